#pragma once
// Conservative parallel discrete-event simulation on MPI (in the style of ROSS, CODES and SST):
//
//  * logical processes (LPs) are numbered 0..n-1 and dealt to ranks by the caller (lp_rank);
//    each rank creates only its own LPs;
//  * an LP reacts to an event by changing its state and sending new events, each with a delay
//    that is strictly positive (so an LP never receives an event in its own past or present,
//    which makes the processing order of every LP independent of the rank layout);
//  * lookahead = the smallest latency of a link that crosses ranks, MPI_Allreduce(MIN) of what
//    each rank declares; every event sent to another rank must be at least that far in the
//    future (checked);
//  * synchronisation rounds: all ranks agree on the next global event time T, process their
//    events in [T, T + lookahead), then exchange the events that crossed ranks: one Alltoall
//    carries the byte counts and each rank's earliest pending or sent event (whose minimum is
//    the next T), an Alltoallv the events when any cross. Rounds jump over empty stretches of
//    time.
//
// Within a rank, events are processed in the total order of event_before(); events for one LP
// therefore arrive in the same order at any rank count, and a deterministic model produces
// bit-identical results on 1, 2 or N ranks.
#include <mpi.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/event.hpp"
#include "sim/event_queue.hpp"

namespace wb::sim {

class Engine;

// What an LP handler may do: read the clock and send events.
class Context {
 public:
  SimTime now() const { return now_; }
  LpId self() const { return self_; }
  // Sends `e` (its payload fields) to dst, arriving after `delay` (> 0; >= lookahead when dst
  // lives on another rank). Throws std::logic_error otherwise.
  void send(LpId dst, SimTime delay, const Event& e);
  // The same, the event's payload filled in place by the caller through the reference, which
  // holds until the next send (cheaper than assembling an event and copying it).
  Event& emit(LpId dst, SimTime delay);

 private:
  friend class Engine;
  Context(Engine& engine, LpId self, SimTime now) : engine_(engine), self_(self), now_(now) {}
  Engine& engine_;
  LpId self_;
  SimTime now_;
};

class LogicalProcess {
 public:
  virtual ~LogicalProcess() = default;
  virtual void handle(const Event& event, Context& ctx) = 0;
};

struct EngineStats {
  std::int64_t events = 0;         // processed on this rank
  std::int64_t events_total = 0;   // processed on all ranks
  std::int64_t remote_events = 0;  // sent by this rank to other ranks
  std::int64_t remote_events_total = 0;  // sent between ranks, all ranks
  std::int64_t rounds = 0;         // synchronisation rounds
  std::int64_t exchanges = 0;      // rounds in which events crossed ranks
  double handle_cpu_s = 0;         // CPU time this rank spent handling its events (no MPI)
  double handle_cpu_s_max = 0;     // the same, the largest over the ranks
  // Sum over rounds of the busiest rank's handling CPU time: the run's time with one core per
  // rank and free synchronisation (the same on every rank).
  double critical_handle_cpu_s = 0;
  SimTime lookahead = 0;
  SimTime end_time = 0;            // time of the last event processed anywhere
  std::int64_t max_queue = 0;      // most events pending on this rank at once
  double wall_s = 0;               // wall time of run() on this rank
};

class Engine {
 public:
  // lp_rank[i]: rank owning LP i (same vector on every rank). local_cross_latency: the smallest
  // latency of any link from an LP of this rank to an LP of another rank (kNever if none).
  Engine(MPI_Comm comm, std::vector<int> lp_rank, SimTime local_cross_latency);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  int rank() const { return rank_; }
  int ranks() const { return ranks_; }
  bool is_local(LpId id) const { return lp_rank_[static_cast<std::size_t>(id)] == rank_; }
  std::size_t lp_count() const { return lp_rank_.size(); }
  SimTime lookahead() const { return lookahead_; }

  // Installs a local LP (id must be local).
  void add(LpId id, std::unique_ptr<LogicalProcess> lp);
  LogicalProcess* local(LpId id) const { return lps_[static_cast<std::size_t>(id)].get(); }

  // An initial event for a local LP at absolute time `time` (>= 0), with source `dst` itself.
  void schedule(LpId dst, SimTime time, Event e);

  // Runs to completion (no event left anywhere). Collective over the communicator.
  EngineStats run();

 private:
  friend class Context;
  // The sent event, its header set and its payload empty.
  Event& post(LpId src, LpId dst, SimTime now, SimTime delay);

  MPI_Comm comm_;
  int rank_ = 0, ranks_ = 1;
  std::vector<int> lp_rank_;
  std::vector<std::unique_ptr<LogicalProcess>> lps_;
  std::vector<std::int64_t> next_seq_;  // per local source LP
  EventQueue queue_;
  std::vector<std::vector<Event>> outbox_;  // per destination rank
  SimTime lookahead_ = kNever;
  std::int64_t remote_ = 0;
};

}  // namespace wb::sim
