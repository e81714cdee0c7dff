// One run per output (io/output_lock.hpp), at np 1, 2 and 3: a second lock on a held output is
// refused on every rank, naming the holder, and changes nothing; a lock of a process that is gone
// is taken over; a killed run's temporary file is cleared; the lock file goes with the lock.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "io/error.hpp"
#include "io/output_lock.hpp"
#include "mpi_test_main.hpp"

namespace {

namespace fs = std::filesystem;

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string lock_error(const std::string& output) {
  try {
    wb::io::OutputLock lock(MPI_COMM_WORLD, output);
  } catch (const wb::io::IoError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(OutputLock, ASecondRunIsRefusedAndChangesNothing) {
  const std::string out = g_out + "_held.h5";
  const std::string lock_file = wb::io::OutputLock::lock_path(out);
  {
    const wb::io::OutputLock held(MPI_COMM_WORLD, out);
    MPI_Barrier(MPI_COMM_WORLD);
    const std::string before = read(lock_file);
    if (g_rank == 0) EXPECT_NE(before.find("pid " + std::to_string(getpid()) + "\n"), std::string::npos) << before;
    // The first run's temporary file must survive the refusal of the second.
    if (g_rank == 0) std::ofstream(out + ".tmp") << "the first run's unfinished file";
    MPI_Barrier(MPI_COMM_WORLD);
    const std::string why = lock_error(out);
    EXPECT_NE(why.find(out + ": another waferbench run is writing this output (pid "), std::string::npos) << why;
    EXPECT_NE(why.find("lock file " + lock_file), std::string::npos) << why;
    MPI_Barrier(MPI_COMM_WORLD);
    EXPECT_EQ(read(lock_file), before);
    EXPECT_EQ(read(out + ".tmp"), "the first run's unfinished file");
    MPI_Barrier(MPI_COMM_WORLD);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_FALSE(fs::exists(lock_file));  // released with the lock
  if (g_rank == 0) fs::remove(out + ".tmp");
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST(OutputLock, TheLockOfADeadRunIsTakenOverAndItsTemporaryFileCleared) {
  const std::string out = g_out + "_stale.h5";
  const std::string lock_file = wb::io::OutputLock::lock_path(out);
  // What a run killed by SIGKILL leaves: its lock file (the kernel released the lock itself) and
  // its temporary file.
  if (g_rank == 0) {
    std::ofstream(lock_file) << "pid 2147483000\nhost elsewhere\nstarted 2026-01-01T00:00:00Z\ncommand waferbench run old\n";
    std::ofstream(out + ".tmp") << "half a file";
  }
  MPI_Barrier(MPI_COMM_WORLD);
  {
    const wb::io::OutputLock lock(MPI_COMM_WORLD, out);
    if (g_rank == 0) {
      EXPECT_NE(lock.notes().find("took over the lock of a run that is no longer alive (pid 2147483000 on host elsewhere"),
                std::string::npos)
          << lock.notes();
      EXPECT_NE(lock.notes().find("removed " + out + ".tmp"), std::string::npos) << lock.notes();
    } else {
      EXPECT_EQ(lock.notes(), "");
    }
    MPI_Barrier(MPI_COMM_WORLD);
    EXPECT_FALSE(fs::exists(out + ".tmp"));
    EXPECT_NE(read(lock_file).find("pid "), std::string::npos);
    MPI_Barrier(MPI_COMM_WORLD);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_FALSE(fs::exists(lock_file));
}

TEST(OutputLock, ADirectoryOrAMissingDirectoryIsNotAnOutput) {
  const std::string dir = fs::temp_directory_path().string();
  EXPECT_EQ(lock_error(dir).rfind(dir + ": is a directory; -o names the result file", 0), 0u);
  EXPECT_EQ(lock_error("/nonexistent-dir/out.h5"), "/nonexistent-dir/out.h5: the directory does not exist");
  EXPECT_FALSE(fs::exists(wb::io::OutputLock::lock_path(dir)));
}
