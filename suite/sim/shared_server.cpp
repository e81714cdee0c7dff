#include "sim/shared_server.hpp"

#include <algorithm>

namespace wb::sim {

void SharedServer::advance(SimTime now) {
  if (jobs_.empty()) {
    // An idle server restarts its clock: arrivals to an idle server always see the same state.
    last_ = now;
    total_weight_ = 0;
    return;
  }
  const double served = to_seconds(now - last_) * capacity_ / total_weight_;
  for (Job& j : jobs_) j.remaining -= served;
  last_ = now;
}

SimTime SharedServer::finish_of(const Job& j) const {
  const double rest = j.remaining > 0 ? j.remaining : 0.0;
  return last_ + to_sim_time(rest * total_weight_ / capacity_);
}

void SharedServer::add(SimTime now, std::int64_t id, double work, double weight) {
  advance(now);
  jobs_.push_back({id, work, weight});
  total_weight_ += weight;
  ++version_;
}

SimTime SharedServer::next_completion() const {
  SimTime t = kNever;
  for (const Job& j : jobs_) t = std::min(t, finish_of(j));
  return t;
}

std::vector<std::int64_t> SharedServer::complete(SimTime now) {
  std::vector<std::int64_t> done;
  // Decide with the completion times as they were scheduled, before advancing the clock.
  double weight_done = 0;
  for (const Job& j : jobs_) {
    if (finish_of(j) <= now) {
      done.push_back(j.id);
      weight_done += j.weight;
    }
  }
  if (done.empty()) return done;
  advance(now);
  // advance() served every job; drop the finished ones and their weight.
  std::vector<Job> rest;
  for (const Job& j : jobs_) {
    bool finished = false;
    for (std::int64_t id : done) finished = finished || id == j.id;
    if (!finished) rest.push_back(j);
  }
  jobs_ = std::move(rest);
  total_weight_ -= weight_done;
  if (jobs_.empty()) total_weight_ = 0;
  ++version_;
  return done;
}

}  // namespace wb::sim
