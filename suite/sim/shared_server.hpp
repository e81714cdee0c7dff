#pragma once
// A processor-sharing server (host CPU cores, a PCIe uplink): every active job progresses at
// capacity x weight / (total weight), the textbook egalitarian processor sharing (Kleinrock,
// "Queueing Systems" vol. 2, Sec. 4.4). A job of weight k stands for k identical jobs submitted
// together, and finishes exactly when those k would: the arithmetic is the same, term for term,
// so a reduced simulation that keeps one representative of k symmetric GPUs reproduces the
// full simulation bit for bit.
//
// Not an LP itself: an LP owns servers and turns next_completion() into a self-event, dropping
// events whose version no longer matches.
#include <cstdint>
#include <vector>

#include "sim/event.hpp"

namespace wb::sim {

class SharedServer {
 public:
  explicit SharedServer(double capacity_per_s = 1.0) : capacity_(capacity_per_s) {}

  // Starts a job of `work` units per sub-job, standing for `weight` identical sub-jobs.
  void add(SimTime now, std::int64_t id, double work, double weight);
  // The earliest completion time of an active job (kNever when idle).
  SimTime next_completion() const;
  // Removes and returns the jobs that complete at `now` (every job whose completion time is
  // now; they finish together, as identical jobs must).
  std::vector<std::int64_t> complete(SimTime now);
  bool idle() const { return jobs_.empty(); }
  // Bumped whenever completion times change, so stale completion events can be recognised.
  std::uint64_t version() const { return version_; }
  double capacity() const { return capacity_; }

 private:
  struct Job {
    std::int64_t id;
    double remaining;  // work left per sub-job
    double weight;
  };
  void advance(SimTime now);
  SimTime finish_of(const Job& j) const;

  double capacity_;
  std::vector<Job> jobs_;
  double total_weight_ = 0;
  SimTime last_ = 0;
  std::uint64_t version_ = 0;
};

}  // namespace wb::sim
