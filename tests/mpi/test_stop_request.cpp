// Stopping on request (io/stop_request.hpp), at np 1, 2 and 3: a signal that reaches one rank
// stops every rank at its next check, all ranks agree that the run stopped, and the exit status
// is 128 + the signal (SIGTERM for the SIGUSR1/2 mpirun forwards in its place).
#include <gtest/gtest.h>
#include <mpi.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "io/stop_request.hpp"
#include "mpi_test_main.hpp"

namespace {

// Runs "scenarios" of 1 ms until requested(); rank `signalled` raises `sig` at its 5th. Returns
// whether this rank saw the request within 20 s (it takes one message).
bool run_until_stopped(wb::io::StopRequest& stop, int signalled, int sig) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (int i = 0; std::chrono::steady_clock::now() < deadline; ++i) {
    if (g_rank == signalled && i == 5) raise(sig);
    if (stop.requested()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

}  // namespace

TEST(StopRequest, WithoutASignalNothingStops) {
  wb::io::StopRequest stop(MPI_COMM_WORLD);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(stop.requested());
  EXPECT_FALSE(stop.agree());
}

TEST(StopRequest, ASignalToOneRankStopsEveryRank) {
  {
    wb::io::StopRequest stop(MPI_COMM_WORLD);
    EXPECT_TRUE(run_until_stopped(stop, g_ranks - 1, SIGTERM));
    EXPECT_TRUE(stop.agree());
    EXPECT_EQ(stop.exit_status(), 143);
  }
  alarm(0);  // the grace period a stopping run would leave by
}

TEST(StopRequest, TheStatusNamesTheSignal) {
  for (const auto& [sig, status] : {std::pair{SIGUSR2, 143}, std::pair{SIGINT, 130}, std::pair{SIGHUP, 129}}) {
    {
      wb::io::StopRequest stop(MPI_COMM_WORLD);
      EXPECT_TRUE(run_until_stopped(stop, 0, sig));
      EXPECT_TRUE(stop.agree());
      if (g_rank == 0) EXPECT_EQ(stop.exit_status(), status) << sig;
    }
    alarm(0);
    MPI_Barrier(MPI_COMM_WORLD);
  }
}

// In a loop whose every step takes all ranks, a signal to one rank stops all of them at the same
// step (the next one), so none is left waiting in a step the others never start.
TEST(StopRequest, EveryRankLeavesAStepLoopAtTheSameStep) {
  {
    wb::io::StopRequest stop(MPI_COMM_WORLD);
    int step = 0;
    for (; step < 1000; ++step) {
      if (stop.requested_everywhere()) break;
      if (g_rank == g_ranks - 1 && step == 5) raise(SIGTERM);
      MPI_Barrier(MPI_COMM_WORLD);  // the step, on every rank
    }
    EXPECT_EQ(step, 6);
    EXPECT_TRUE(stop.agree());
    EXPECT_EQ(stop.exit_status(), 143);
  }
  alarm(0);
}
