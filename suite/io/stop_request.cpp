#include "io/stop_request.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace wb::io {

namespace {

constexpr int kTag = 7302;  // on the duplicated communicator only
constexpr int kSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2};

volatile sig_atomic_t g_signal = 0;      // the first stop signal
volatile sig_atomic_t g_armed = 0;       // leave by ourselves kGraceSeconds after it
volatile sig_atomic_t g_words_here = 0;  // this process (rank 0) writes the last words
char g_last_words[2048];
volatile sig_atomic_t g_last_words_size = 0;

int status_of(int sig) { return 128 + (sig == SIGUSR1 || sig == SIGUSR2 ? SIGTERM : sig); }

// The grace period is over (or a second signal came) and the run has not reached a check:
// leave now, with what is saved.
extern "C" void on_grace_over(int) {
  if (g_words_here) {
    const auto size = static_cast<std::size_t>(g_last_words_size);
    for (std::size_t done = 0; done < size;) {
      const ssize_t w = write(STDERR_FILENO, g_last_words + done, size - done);
      if (w <= 0) break;
      done += static_cast<std::size_t>(w);
    }
  }
  _exit(status_of(g_signal != 0 ? g_signal : SIGTERM));
}

extern "C" void on_stop_signal(int sig) {
  if (g_signal != 0) {
    if (g_armed) on_grace_over(sig);  // asked twice: do not wait any longer
    return;
  }
  g_signal = sig;
  if (g_armed) alarm(StopRequest::kGraceSeconds);
}

struct sigaction g_previous[sizeof kSignals / sizeof kSignals[0] + 1];

}  // namespace

StopRequest::StopRequest(MPI_Comm comm) {
  MPI_Comm_dup(comm, &comm_);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &ranks_);
  g_signal = 0;
  g_armed = 1;
  g_words_here = rank_ == 0 ? 1 : 0;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  std::size_t i = 0;
  for (int sig : kSignals) sigaction(sig, &sa, &g_previous[i++]);
  sa.sa_handler = on_grace_over;
  sigaction(SIGALRM, &sa, &g_previous[i]);
}

StopRequest::~StopRequest() {
  g_armed = 0;
  std::size_t i = 0;
  for (int sig : kSignals) sigaction(sig, &g_previous[i++], nullptr);
  if (g_signal == 0) {
    alarm(0);
    sigaction(SIGALRM, &g_previous[i], nullptr);
  }
  if (agreed_) {
    MPI_Comm_free(&comm_);
  } else {
    // Left by an exception before agree(): let the notices go without waiting for them.
    for (auto& r : sends_) MPI_Request_free(&r);
  }
}

void StopRequest::set_last_words(const std::string& text) {
  const std::size_t n = std::min(text.size(), sizeof g_last_words);
  g_last_words_size = 0;
  std::memcpy(g_last_words, text.data(), n);
  g_last_words_size = static_cast<sig_atomic_t>(n);
}

void StopRequest::notify_others() {
  if (notified_) return;
  notified_ = true;
  for (int r = 0; r < ranks_; ++r) {
    if (r == rank_) continue;
    sends_.emplace_back();
    MPI_Isend(&notice_, 1, MPI_INT, r, kTag, comm_, &sends_.back());
  }
}

bool StopRequest::requested() {
  if (stopped_) return true;
  if (g_signal != 0) {
    stopped_ = true;
    notify_others();
    return true;
  }
  if (ranks_ > 1) {
    int flag = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, kTag, comm_, &flag, &status);
    if (flag) {
      int notice = 0;
      MPI_Recv(&notice, 1, MPI_INT, status.MPI_SOURCE, kTag, comm_, MPI_STATUS_IGNORE);
      ++received_;
      stopped_ = true;
      return true;
    }
  }
  return false;
}

bool StopRequest::requested_everywhere() {
  const int mine = stopped_ || g_signal != 0 ? 1 : 0;
  int any = 0;
  MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, comm_);
  stopped_ = any != 0;
  return stopped_;
}

bool StopRequest::agree() {
  const int mine = stopped_ || g_signal != 0 ? 1 : 0;
  int any = 0;
  MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, comm_);
  // Every notice sent to this rank is taken, so that none is left in flight.
  const int sent = notified_ ? 1 : 0;
  std::vector<int> senders(static_cast<std::size_t>(ranks_), 0);
  MPI_Allgather(&sent, 1, MPI_INT, senders.data(), 1, MPI_INT, comm_);
  int expected = 0;
  for (int r = 0; r < ranks_; ++r)
    if (r != rank_) expected += senders[static_cast<std::size_t>(r)];
  for (; received_ < expected; ++received_) {
    int notice = 0;
    MPI_Recv(&notice, 1, MPI_INT, MPI_ANY_SOURCE, kTag, comm_, MPI_STATUS_IGNORE);
  }
  if (!sends_.empty()) MPI_Waitall(static_cast<int>(sends_.size()), sends_.data(), MPI_STATUSES_IGNORE);
  sends_.clear();
  agreed_ = true;
  if (any) {
    // Leaving now: what follows (the message, MPI_Finalize) gets the grace period too.
    stopped_ = true;
    g_last_words_size = 0;
    alarm(kGraceSeconds);
  } else {
    // Every scenario is done: a signal from here on no longer ends the run early, so the
    // result still gets written.
    g_armed = 0;
    alarm(0);
  }
  return any != 0;
}

int StopRequest::exit_status() const { return status_of(g_signal != 0 ? g_signal : SIGTERM); }

}  // namespace wb::io
