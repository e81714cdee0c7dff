#pragma once
// Progress of a study run over all ranks, drawn by rank 0 on one terminal line: scenarios done of
// the total, elapsed time and an estimate of the time left.
//
// Ranks report without ever entering a collective the others might not call: each non-root rank
// sends its count to rank 0 with a non-blocking point-to-point message at most every
// kSendInterval, and a last message when its share is done; rank 0 drains whatever has arrived
// between its own scenarios, and after its share waits for every rank's last message (it would
// wait for them in the collective write anyway). The clock is read only every `stride`
// scenarios, with the stride adapted so that a look at the clock happens every few tens of
// milliseconds: the per-scenario cost is one integer comparison.
#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace wb::study::run {

class Progress {
 public:
  // Collective over comm when enabled (it duplicates comm so its messages never meet others).
  // `enabled` must be the same on every rank; `total` is the scenarios of all ranks, `mine`
  // this rank's share. Rank 0 draws on `out`.
  Progress(MPI_Comm comm, std::int64_t total, std::int64_t mine, bool enabled, std::FILE* out = stderr);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // This rank has finished `done` of its scenarios. Cheap: usually one comparison.
  void advance(std::int64_t done) {
    done_ = done;
    if (enabled_ && done >= next_check_) check();
  }

  // Every rank calls this after its share: rank 0 waits for all ranks' last counts (drawing as
  // they arrive) and ends the line; the others send their last count.
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  void check();
  void drain(bool block);
  void draw(bool final);

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, ranks_ = 1;
  bool enabled_ = false;
  bool finished_ = false;
  std::FILE* out_ = nullptr;
  std::int64_t total_ = 0, mine_ = 0, done_ = 0;
  std::int64_t next_check_ = 1, stride_ = 1;
  Clock::time_point start_, last_check_, last_send_, last_draw_;
  // Non-root ranks: the message in flight ({done, last}).
  std::int64_t send_buf_[2] = {0, 0};
  MPI_Request request_ = MPI_REQUEST_NULL;
  // Rank 0: each rank's latest count and whether its last message arrived.
  std::vector<std::int64_t> done_of_;
  std::vector<char> final_of_;
};

// "4.2s", "3m07s", "2h05m".
std::string format_duration(double seconds);

}  // namespace wb::study::run
