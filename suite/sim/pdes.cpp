#include "sim/pdes.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
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

namespace {

// CPU time of the calling thread: what handling events costs, apart from the other jobs of a
// shared machine and from waiting for other ranks.
double thread_cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

}  // namespace

EngineStats Engine::run() {
  const auto t0 = std::chrono::steady_clock::now();
  EngineStats stats;
  stats.lookahead = lookahead_;
  SimTime last = 0;
  const std::size_t n = static_cast<std::size_t>(ranks_);
  std::vector<int> send_counts(n), recv_counts(n), send_displs(n), recv_displs(n);
  // What one MPI_Alltoall per round carries to each peer: the bytes of the events for it, the
  // earliest event this rank holds or has sent anywhere, how many it has sent, and the CPU
  // nanoseconds it spent handling the round's events. The minimum of the second over the ranks
  // is the next round's start (every event in flight is counted by its sender), and the third
  // says whether any event crosses at all, so a round costs one collective, or two when events
  // cross (an MPI_Allreduce, an MPI_Alltoall and an MPI_Alltoallv each round before). The
  // largest of the fourth, summed over rounds, is what the run would take with a core per rank
  // and free synchronisation.
  constexpr std::size_t kHead = 4;
  std::vector<long long> send_head(kHead * n), recv_head(kHead * n);
  std::vector<Event> send_buf, recv_buf;
  const int event_bytes = static_cast<int>(sizeof(Event));

  long long next = queue_.empty() ? static_cast<long long>(kNever) : static_cast<long long>(queue_.top_time());
  if (ranks_ > 1) {
    const long long mine = next;
    MPI_Allreduce(&mine, &next, 1, MPI_LONG_LONG, MPI_MIN, comm_);
  }
  while (next != static_cast<long long>(kNever)) {
    ++stats.rounds;
    // One rank: no other rank can send anything, so the whole future is safe.
    const SimTime window_end =
        ranks_ == 1 || lookahead_ >= kNever - next ? kNever : static_cast<SimTime>(next) + lookahead_;
    stats.max_queue = std::max(stats.max_queue, static_cast<std::int64_t>(queue_.size()));
    const double c0 = thread_cpu_s();
    while (!queue_.empty() && (window_end == kNever || queue_.top_time() < window_end)) {
      if (static_cast<std::int64_t>(queue_.size()) > stats.max_queue) stats.max_queue = static_cast<std::int64_t>(queue_.size());
      const Event e = queue_.pop();
      // The next event's LP (its first lines: the vtable pointer and what handlers keep
      // first), fetched while this one is handled: over thousands of LPs it is a cache miss.
      const LpId next_lp = queue_.next_dst();
      if (next_lp >= 0) {
        if (const char* p = reinterpret_cast<const char*>(lps_[static_cast<std::size_t>(next_lp)].get())) {
          __builtin_prefetch(p);
          __builtin_prefetch(p + 64);
        }
      }
      LogicalProcess* lp = lps_[static_cast<std::size_t>(e.dst)].get();
      if (!lp) throw std::logic_error("Engine: event for LP " + std::to_string(e.dst) + " which was never added");
      Context ctx(*this, e.dst, e.time);
      lp->handle(e, ctx);
      ++stats.events;
      last = e.time;
    }
    const double handled = thread_cpu_s() - c0;
    stats.handle_cpu_s += handled;
    if (ranks_ == 1) {
      stats.critical_handle_cpu_s += handled;
      next = queue_.empty() ? static_cast<long long>(kNever) : static_cast<long long>(queue_.top_time());
      continue;
    }
    // Exchange the events that crossed ranks during the window, and agree on the next round.
    long long earliest = queue_.empty() ? static_cast<long long>(kNever) : static_cast<long long>(queue_.top_time());
    long long sent = 0;
    for (std::size_t r = 0; r < n; ++r) {
      for (const Event& e : outbox_[r]) earliest = std::min<long long>(earliest, e.time);
      sent += static_cast<long long>(outbox_[r].size());
    }
    for (std::size_t r = 0; r < n; ++r) {
      send_head[kHead * r] = static_cast<long long>(outbox_[r].size()) * event_bytes;
      send_head[kHead * r + 1] = earliest;
      send_head[kHead * r + 2] = sent;
      send_head[kHead * r + 3] = std::llround(handled * 1e9);
    }
    MPI_Alltoall(send_head.data(), kHead, MPI_LONG_LONG, recv_head.data(), kHead, MPI_LONG_LONG, comm_);
    next = static_cast<long long>(kNever);
    bool crossing = false;
    long long slowest = 0;
    for (std::size_t r = 0; r < n; ++r) {
      next = std::min(next, recv_head[kHead * r + 1]);
      crossing = crossing || recv_head[kHead * r + 2] > 0;
      slowest = std::max(slowest, recv_head[kHead * r + 3]);
    }
    stats.critical_handle_cpu_s += 1e-9 * static_cast<double>(slowest);
    if (!crossing) continue;
    ++stats.exchanges;
    int send_total = 0, recv_total = 0;
    send_buf.clear();
    for (std::size_t r = 0; r < n; ++r) {
      send_counts[r] = static_cast<int>(send_head[kHead * r]);
      recv_counts[r] = static_cast<int>(recv_head[kHead * r]);
      send_displs[r] = send_total;
      recv_displs[r] = recv_total;
      send_total += send_counts[r];
      recv_total += recv_counts[r];
      auto& box = outbox_[r];
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
  long long sums[2] = {stats.events, remote_}, sums_all[2] = {sums[0], sums[1]}, t = last, t_all = t;
  double busy = stats.handle_cpu_s, busy_max = busy;
  if (ranks_ > 1) {
    MPI_Allreduce(sums, sums_all, 2, MPI_LONG_LONG, MPI_SUM, comm_);
    MPI_Allreduce(&t, &t_all, 1, MPI_LONG_LONG, MPI_MAX, comm_);
    MPI_Allreduce(&busy, &busy_max, 1, MPI_DOUBLE, MPI_MAX, comm_);
  }
  stats.events_total = sums_all[0];
  stats.remote_events_total = sums_all[1];
  stats.end_time = t_all;
  stats.handle_cpu_s_max = busy_max;
  stats.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return stats;
}

}  // namespace wb::sim
