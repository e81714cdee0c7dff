#include "sim/pdes.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <string>

namespace wb::sim {

SimTime to_sim_time(double seconds) {
  if (!(seconds > 0)) return 0;
  const double ps = seconds * static_cast<double>(kPicosecondsPerSecond);
  if (ps >= 9.0e18) throw std::overflow_error("simulated duration beyond 100 days: " + std::to_string(seconds) + " s");
  return static_cast<SimTime>(std::llround(ps));
}

void Context::send(LpId dst, SimTime delay, const Event& e) {
  Event& out = engine_.post(self_, dst, now_, delay);
  out.type = e.type;
  out.count = e.count;
  out.key = e.key;
  out.value = e.value;
  out.amount = e.amount;
  out.extra = e.extra;
}

Event& Context::emit(LpId dst, SimTime delay) { return engine_.post(self_, dst, now_, delay); }

Engine::Engine(MPI_Comm comm, std::vector<int> lp_rank, SimTime local_cross_latency)
    : comm_(comm), lp_rank_(std::move(lp_rank)) {
  // A serial engine on MPI_COMM_SELF makes no MPI call at all (usable before MPI_Init, and
  // cheaper for the many small simulations of a strategy search).
  if (comm_ != MPI_COMM_SELF) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &ranks_);
  }
  for (int r : lp_rank_)
    if (r < 0 || r >= ranks_) throw std::logic_error("Engine: an LP is dealt to rank " + std::to_string(r));
  lps_.resize(lp_rank_.size());
  next_seq_.assign(lp_rank_.size(), 0);
  outbox_.resize(static_cast<std::size_t>(ranks_));
  // Lookahead: the smallest rank-crossing latency anywhere (SST/ROSS convention).
  long long mine = static_cast<long long>(local_cross_latency);
  long long global = mine;
  if (ranks_ > 1) MPI_Allreduce(&mine, &global, 1, MPI_LONG_LONG, MPI_MIN, comm_);
  lookahead_ = static_cast<SimTime>(global);
  if (ranks_ > 1 && lookahead_ <= 0)
    throw std::logic_error("Engine: a link crossing ranks has no latency; lookahead would be zero");
}

Engine::~Engine() = default;

void Engine::add(LpId id, std::unique_ptr<LogicalProcess> lp) {
  if (!is_local(id)) throw std::logic_error("Engine::add: LP " + std::to_string(id) + " is not on this rank");
  lps_[static_cast<std::size_t>(id)] = std::move(lp);
}

void Engine::schedule(LpId dst, SimTime time, Event e) {
  if (!is_local(dst)) throw std::logic_error("Engine::schedule: LP " + std::to_string(dst) + " is not on this rank");
  if (time < 0) throw std::logic_error("Engine::schedule: negative time");
  e.time = time;
  e.dst = dst;
  e.src = dst;
  e.seq = next_seq_[static_cast<std::size_t>(dst)]++;
  queue_.push(e);
}

Event& Engine::post(LpId src, LpId dst, SimTime now, SimTime delay) {
  if (dst < 0 || static_cast<std::size_t>(dst) >= lp_rank_.size())
    throw std::logic_error("Engine: event to unknown LP " + std::to_string(dst));
  if (delay <= 0)
    throw std::logic_error("Engine: LP " + std::to_string(src) + " sent an event to LP " + std::to_string(dst) +
                           " with delay " + std::to_string(delay) + " ps (must be > 0)");
  const SimTime time = now + delay;
  const std::int64_t seq = next_seq_[static_cast<std::size_t>(src)]++;
  const int to = lp_rank_[static_cast<std::size_t>(dst)];
  if (to == rank_) return queue_.push(time, dst, src, seq);
  if (delay < lookahead_)
    throw std::logic_error("Engine: event from LP " + std::to_string(src) + " to LP " + std::to_string(dst) +
                           " on another rank with delay " + std::to_string(delay) + " ps below the lookahead " +
                           std::to_string(lookahead_) + " ps");
  ++remote_;
  Event& e = outbox_[static_cast<std::size_t>(to)].emplace_back();
  e.time = time;
  e.dst = dst;
  e.src = src;
  e.seq = seq;
  return e;
}

EngineStats Engine::run() {
  const auto t0 = std::chrono::steady_clock::now();
  EngineStats stats;
  stats.lookahead = lookahead_;
  SimTime last = 0;
  std::vector<int> send_counts(static_cast<std::size_t>(ranks_)), recv_counts(static_cast<std::size_t>(ranks_));
  std::vector<int> send_displs(static_cast<std::size_t>(ranks_)), recv_displs(static_cast<std::size_t>(ranks_));
  std::vector<Event> send_buf, recv_buf;
  const int event_bytes = static_cast<int>(sizeof(Event));

  for (;;) {
    long long mine = queue_.empty() ? static_cast<long long>(kNever) : static_cast<long long>(queue_.top_time());
    long long next = mine;
    if (ranks_ > 1) MPI_Allreduce(&mine, &next, 1, MPI_LONG_LONG, MPI_MIN, comm_);
    if (next == static_cast<long long>(kNever)) break;
    ++stats.rounds;
    // One rank: no other rank can send anything, so the whole future is safe.
    const SimTime window_end =
        ranks_ == 1 || lookahead_ >= kNever - next ? kNever : static_cast<SimTime>(next) + lookahead_;
    stats.max_queue = std::max(stats.max_queue, static_cast<std::int64_t>(queue_.size()));
    while (!queue_.empty() && queue_.top_time() < window_end) {
      if (static_cast<std::int64_t>(queue_.size()) > stats.max_queue) stats.max_queue = static_cast<std::int64_t>(queue_.size());
      const Event e = queue_.pop();
      LogicalProcess* lp = lps_[static_cast<std::size_t>(e.dst)].get();
      if (!lp) throw std::logic_error("Engine: event for LP " + std::to_string(e.dst) + " which was never added");
      Context ctx(*this, e.dst, e.time);
      lp->handle(e, ctx);
      ++stats.events;
      last = e.time;
    }
    if (ranks_ == 1) continue;
    // Exchange the events that crossed ranks during the window.
    for (int r = 0; r < ranks_; ++r)
      send_counts[static_cast<std::size_t>(r)] = static_cast<int>(outbox_[static_cast<std::size_t>(r)].size()) * event_bytes;
    MPI_Alltoall(send_counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT, comm_);
    int send_total = 0, recv_total = 0;
    send_buf.clear();
    for (int r = 0; r < ranks_; ++r) {
      send_displs[static_cast<std::size_t>(r)] = send_total;
      recv_displs[static_cast<std::size_t>(r)] = recv_total;
      send_total += send_counts[static_cast<std::size_t>(r)];
      recv_total += recv_counts[static_cast<std::size_t>(r)];
      auto& box = outbox_[static_cast<std::size_t>(r)];
      send_buf.insert(send_buf.end(), box.begin(), box.end());
      box.clear();
    }
    recv_buf.resize(static_cast<std::size_t>(recv_total / event_bytes));
    MPI_Alltoallv(send_buf.data(), send_counts.data(), send_displs.data(), MPI_BYTE, recv_buf.data(),
                  recv_counts.data(), recv_displs.data(), MPI_BYTE, comm_);
    for (const Event& e : recv_buf) queue_.push(e);
  }

  stats.remote_events = remote_;
  stats.end_time = last;
  long long ev = stats.events, ev_all = ev, t = last, t_all = t;
  if (ranks_ > 1) {
    MPI_Allreduce(&ev, &ev_all, 1, MPI_LONG_LONG, MPI_SUM, comm_);
    MPI_Allreduce(&t, &t_all, 1, MPI_LONG_LONG, MPI_MAX, comm_);
  }
  stats.events_total = ev_all;
  stats.end_time = t_all;
  stats.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return stats;
}

}  // namespace wb::sim
