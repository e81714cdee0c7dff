#include "io/output_lock.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "io/error.hpp"
#include "io/file_source.hpp"
#include "io/utc.hpp"

namespace wb::io {

namespace fs = std::filesystem;

namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown-host";
  return buf;
}

// Clock ticks after boot at which process pid started (/proc/PID/stat field 22), "" if unknown:
// with the boot id it tells a live holder from another process that got its pid later.
std::string start_ticks(long pid) {
  const std::string stat = first_line("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos) return "";
  std::istringstream rest(stat.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i)
    if (i == 22) return field;
  return "";
}

std::string command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (char& c : all)
    if (c == '\0') c = ' ';
  while (!all.empty() && all.back() == ' ') all.pop_back();
  return all.size() > 300 ? all.substr(0, 300) + "..." : all;
}

using Holder = std::map<std::string, std::string>;

Holder parse_holder(const std::string& text) {
  Holder h;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto space = line.find(' ');
    if (space != std::string::npos) h[line.substr(0, space)] = line.substr(space + 1);
  }
  return h;
}

std::string describe(const Holder& h) {
  const auto get = [&](const char* k) {
    auto it = h.find(k);
    return it == h.end() ? std::string("?") : it->second;
  };
  std::string out = "pid " + get("pid") + " on host " + get("host") + ", started " + get("started");
  if (h.count("command")) out += ": " + h.at("command");
  return out;
}

// Without file locks: is the holder still running? False when it is on this host and gone (or
// its pid now belongs to another process, or the host rebooted); true when it runs or cannot be
// checked (another host).
bool holder_may_be_alive(const Holder& h) {
  if (!h.count("pid") || !h.count("host")) return false;  // empty or cut short: its writer died
  if (h.at("host") != host_name()) return true;
  if (h.count("boot") && h.at("boot") != first_line("/proc/sys/kernel/random/boot_id")) return false;
  const long pid = std::atol(h.at("pid").c_str());
  if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)) return false;
  return !h.count("start_ticks") || h.at("start_ticks") == start_ticks(pid);
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (off_t off = 0;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, off);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    off += n;
  }
  return out;
}

bool same_file(int fd, const std::string& path) {
  struct stat a {}, b {};
  return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Rank 0's part: takes the lock or returns why not ("" when taken; fd and notes set).
std::string take(const std::string& output, const std::string& lock, int& fd, std::string& notes) {
  std::error_code ec;
  const fs::path p(output);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (fs::is_directory(p, ec))
    return output + ": is a directory; -o names the result file (e.g. " + (p / "study.h5").string() + ")";
  if (!fs::is_directory(dir, ec)) return output + ": the directory does not exist";
  for (int attempt = 0; attempt < 10; ++attempt) {
    fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return lock + ": cannot create the lock file of this output: " + std::strerror(errno);
    bool file_locks = true;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      if (err == EWOULDBLOCK) {
        const std::string holder = describe(parse_holder(read_all(fd)));
        ::close(fd);
        fd = -1;
        return output + ": another waferbench run is writing this output (" + holder + "; lock file " + lock +
               "); wait for it to finish, or choose another -o";
      }
      if (err != ENOLCK && err != EOPNOTSUPP && err != ENOSYS && err != EINVAL) {
        ::close(fd);
        fd = -1;
        return lock + ": cannot lock: " + std::strerror(err);
      }
      file_locks = false;
    }
    // The holder may have removed the file between our open and our lock: then retry on the new one.
    if (!same_file(fd, lock)) {
      ::close(fd);
      fd = -1;
      continue;
    }
    const Holder previous = parse_holder(read_all(fd));
    if (!previous.empty()) {
      if (!file_locks && holder_may_be_alive(previous)) {
        ::close(fd);
        fd = -1;
        return output + ": another waferbench run may be writing this output (" + describe(previous) + "; lock file " +
               lock + "); this file system has no file locks, so whether that run is alive can only be checked on its "
               "host; if it is not, remove " + lock + " and run again";
      }
      notes += "waferbench: took over the lock of a run that is no longer alive (" + describe(previous) + ")\n";
    }
    const long pid = static_cast<long>(::getpid());
    const std::string mine = "pid " + std::to_string(pid) + "\nhost " + host_name() + "\nboot " +
                             first_line("/proc/sys/kernel/random/boot_id") + "\nstart_ticks " + start_ticks(pid) +
                             "\nstarted " + utc_now() + "\ncommand " + command_line() + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, mine.data(), mine.size(), 0) != static_cast<ssize_t>(mine.size())) {
      const std::string why = std::strerror(errno);
      ::unlink(lock.c_str());
      ::close(fd);
      fd = -1;
      return lock + ": cannot write the lock file of this output: " + why;
    }
    // Nobody else writes this output now: a temporary file there is a killed run's leftover.
    const std::string temp = output + ".tmp";
    if (fs::exists(temp, ec) && fs::remove(temp, ec))
      notes += "waferbench: removed " + temp + ", the unfinished file of a run that was killed\n";
    return "";
  }
  return lock + ": the lock file keeps being replaced; is another run starting on this output?";
}

}  // namespace

OutputLock::OutputLock(MPI_Comm comm, std::string output) : output_(std::move(output)), lock_(lock_path(output_)) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string refusal;
  if (rank == 0) refusal = take(output_, lock_, fd_, notes_);
  broadcast_string(comm, refusal);
  if (!refusal.empty()) throw IoError(refusal);
}

OutputLock::~OutputLock() {
  if (fd_ < 0) return;
  // Unlink before unlocking: a run waiting on this file then finds it gone and takes a new one.
  if (same_file(fd_, lock_)) ::unlink(lock_.c_str());
  ::close(fd_);
}

}  // namespace wb::io
