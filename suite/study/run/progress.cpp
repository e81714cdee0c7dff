#include "study/run/progress.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace wb::study::run {

namespace {
constexpr int kTag = 7301;                            // on the duplicated communicator only
constexpr double kSendInterval_s = 0.25;              // non-root ranks report at most this often
constexpr double kDrawInterval_s = 0.1;               // rank 0 redraws at most this often
constexpr double kCheckTarget_s = 0.02;               // aim for a look at the clock this often
constexpr std::int64_t kMaxStride = std::int64_t{1} << 20;
constexpr int kBarWidth = 24;

double seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

std::string format_duration(double s) {
  char buf[32];
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) std::snprintf(buf, sizeof buf, "%.1fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s / 60), static_cast<int>(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s / 3600), static_cast<int>(s / 60) % 60);
  return buf;
}

Progress::Progress(MPI_Comm comm, std::int64_t total, std::int64_t mine, bool enabled, std::FILE* out)
    : enabled_(enabled), out_(out), total_(total), mine_(mine) {
  if (!enabled_) return;
  MPI_Comm_dup(comm, &comm_);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &ranks_);
  start_ = last_check_ = last_draw_ = Clock::now();
  last_send_ = start_;
  if (rank_ == 0) {
    done_of_.assign(static_cast<std::size_t>(ranks_), 0);
    final_of_.assign(static_cast<std::size_t>(ranks_), 0);
    draw(false);
  }
}

Progress::~Progress() {
  // Only after finish() is every message matched and the communicator free to release on all
  // ranks; an exception before that ends the job anyway (the driver aborts).
  if (enabled_ && finished_) MPI_Comm_free(&comm_);
}

void Progress::check() {
  const auto now = Clock::now();
  // Adapt the stride so that the clock is read about every kCheckTarget_s.
  const double since = seconds(now - last_check_);
  if (since < kCheckTarget_s / 2) stride_ = std::min(kMaxStride, stride_ * 2);
  else if (since > kCheckTarget_s * 4) stride_ = std::max<std::int64_t>(1, stride_ / 2);
  last_check_ = now;
  next_check_ = done_ + stride_;

  if (rank_ == 0) {
    drain(false);
    if (seconds(now - last_draw_) >= kDrawInterval_s) draw(false);
    return;
  }
  if (seconds(now - last_send_) < kSendInterval_s) return;
  if (request_ != MPI_REQUEST_NULL) {
    int complete = 0;
    MPI_Test(&request_, &complete, MPI_STATUS_IGNORE);
    if (!complete) return;  // rank 0 has not taken the last one yet; report next time
  }
  send_buf_[0] = done_;
  send_buf_[1] = 0;
  MPI_Isend(send_buf_, 2, MPI_INT64_T, 0, kTag, comm_, &request_);
  last_send_ = now;
}

void Progress::drain(bool block) {
  for (;;) {
    int flag = 0;
    MPI_Status status;
    if (block) {
      MPI_Probe(MPI_ANY_SOURCE, kTag, comm_, &status);
      flag = 1;
    } else {
      MPI_Iprobe(MPI_ANY_SOURCE, kTag, comm_, &flag, &status);
    }
    if (!flag) return;
    std::int64_t msg[2] = {0, 0};
    MPI_Recv(msg, 2, MPI_INT64_T, status.MPI_SOURCE, kTag, comm_, MPI_STATUS_IGNORE);
    const auto r = static_cast<std::size_t>(status.MPI_SOURCE);
    done_of_[r] = std::max(done_of_[r], msg[0]);
    if (msg[1]) final_of_[r] = 1;
    if (block) return;
  }
}

void Progress::draw(bool final) {
  last_draw_ = Clock::now();
  std::int64_t done = done_;
  for (int r = 1; r < ranks_; ++r) done += done_of_[static_cast<std::size_t>(r)];
  const double elapsed = seconds(last_draw_ - start_);
  const double fraction = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  const int filled = static_cast<int>(fraction * kBarWidth);
  const std::string bar = std::string(static_cast<std::size_t>(filled), '#') +
                          std::string(static_cast<std::size_t>(kBarWidth - filled), '-');
  std::string left = "~?";
  if (done > 0) left = "~" + format_duration(elapsed * static_cast<double>(total_ - done) / static_cast<double>(done));
  std::fprintf(out_, "\r[waferbench] [%s] %lld/%lld scenarios (%.0f%%), %s elapsed, %s left   ", bar.c_str(),
               static_cast<long long>(done), static_cast<long long>(total_), 100.0 * fraction,
               format_duration(elapsed).c_str(), final ? "0.0s" : left.c_str());
  if (final) std::fprintf(out_, "\n");
  std::fflush(out_);
}

void Progress::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  if (rank_ == 0) {
    done_ = mine_;
    auto all_final = [&] {
      for (int r = 1; r < ranks_; ++r)
        if (!final_of_[static_cast<std::size_t>(r)]) return false;
      return true;
    };
    while (!all_final()) {
      drain(true);
      if (seconds(Clock::now() - last_draw_) >= kDrawInterval_s) draw(false);
    }
    draw(true);
    return;
  }
  if (request_ != MPI_REQUEST_NULL) MPI_Wait(&request_, MPI_STATUS_IGNORE);
  send_buf_[0] = mine_;
  send_buf_[1] = 1;
  MPI_Send(send_buf_, 2, MPI_INT64_T, 0, kTag, comm_);
}

}  // namespace wb::study::run
