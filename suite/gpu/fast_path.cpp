#include "gpu/fast_path.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "gpu/cluster_lps.hpp"
#include "gpu/critical_path.hpp"
#include "gpu/program_builder.hpp"

namespace wb::gpu {

namespace {

// Working storage of a walk, kept on the thread between walks: a search walks thousands of
// layouts, and fresh vectors for each cost more in allocation and first-touch page faults than
// the walk itself.
struct WalkScratch {
  struct Device {
    std::int64_t id;
    const Program* prog;
    std::vector<std::uint16_t> pending;
    std::vector<SimTime> ready;
    std::vector<char> waiting;  // a ready receive whose message has not been sent
    SimTime cost[kGroupKinds];  // a collective's cost when this device's group is placed unlike the representative's: -1
    GroupShape shape[kGroupKinds];
    double pcie_weight, cpu_weight;
  };
  std::vector<Device> dev;
  std::vector<std::vector<std::int32_t>> dest, recv_of;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> work;  // (stage, task)
  std::vector<std::pair<std::int64_t, std::pair<std::uint32_t, std::uint32_t>>> rendezvous;  // embed tag -> first member
};

WalkScratch& walk_scratch() {
  thread_local WalkScratch s;
  return s;
}

// Pipeline messages matched once, by (destination stage, tag): each receive's send and each
// send's receive (tags are dense: message_tag()).
void match_messages(const std::vector<Program>& programs, FastWalk& w, std::vector<std::vector<std::int32_t>>& dest,
                    std::vector<std::vector<std::int32_t>>& recv_of) {
  const std::size_t pp = programs.size();
  std::int64_t tags = 0;
  for (const Program& p : programs)
    for (const Task& t : p.tasks)
      if (t.resource == Resource::send || t.resource == Resource::recv) tags = std::max(tags, t.tag + 1);
  recv_of.resize(pp);
  w.source_stage.resize(pp);
  w.source_task.resize(pp);
  dest.resize(pp);
  for (std::size_t s = 0; s < pp; ++s) {
    recv_of[s].assign(static_cast<std::size_t>(tags), -1);
    const std::size_t n = programs[s].tasks.size();
    w.source_stage[s].assign(n, -1);
    w.source_task[s].assign(n, -1);
    dest[s].assign(n, -1);
    for (std::size_t i = 0; i < n; ++i) {
      const Task& t = programs[s].tasks[i];
      if (t.resource == Resource::recv) recv_of[s][static_cast<std::size_t>(t.tag)] = static_cast<std::int32_t>(i);
    }
  }
  for (std::size_t s = 0; s < pp; ++s)
    for (std::size_t i = 0; i < programs[s].tasks.size(); ++i) {
      const Task& t = programs[s].tasks[i];
      if (t.resource != Resource::send) continue;
      const std::size_t to = static_cast<std::size_t>(t.peer_stage);
      const std::int32_t r = recv_of[to][static_cast<std::size_t>(t.tag)];
      if (r < 0) throw std::logic_error("fast path: a pipeline message has no receive");
      dest[s][i] = r;
      w.source_stage[to][static_cast<std::size_t>(r)] = static_cast<std::int32_t>(s);
      w.source_task[to][static_cast<std::size_t>(r)] = static_cast<std::int32_t>(i);
    }
}

}  // namespace

// The representatives' programs as one task graph (pipeline messages and the embedding
// all-reduce link the stages), each task timed when its last predecessor is known. The
// arithmetic is the event simulation's, term for term: a local task ends start + its (scaled)
// duration, a collective of one representative start + cost, one of two at the later issue +
// cost, a receive at max(ready, arrival), a host job start + latency + its processor-sharing
// time + the 1 ps notice (each stream is FIFO, so a representative never has two jobs on one
// host server at once).
FastWalk walk_fast(const StepSetup& st, const std::vector<Program>& programs, bool stragglers) {
  FastWalk w;
  walk_fast(st, programs, stragglers, w);
  return w;
}

void walk_fast(const StepSetup& st, const std::vector<Program>& programs, bool stragglers, FastWalk& w) {
  const std::size_t pp = static_cast<std::size_t>(st.pp);
  const bool strag = stragglers && st.straggler_cv > 0;
  double fmax = 1.0;
  std::int64_t label0 = st.device_of(0, 0, 0);
  if (strag) {
    fmax = 0.0;
    for (std::int64_t d = 0; d < st.devices; ++d) {
      const double f = straggler_factor(st, d);
      if (f > fmax) {
        fmax = f;
        label0 = d;
      }
    }
  }
  for (const Program& p : programs)
    if (p.fused() && fmax != 1.0)
      throw std::logic_error("fast path: a fused program walked with stragglers (each kernel is slowed on its own)");
  WalkScratch& scratch = walk_scratch();
  std::vector<std::vector<std::int32_t>>& dest = scratch.dest;
  match_messages(programs, w, dest, scratch.recv_of);
  using Device = WalkScratch::Device;
  std::vector<Device>& dev = scratch.dev;
  dev.resize(pp);
  w.start.resize(pp);
  w.end.resize(pp);
  w.label.resize(pp);
  for (std::size_t s = 0; s < pp; ++s) {
    Device& d = dev[s];
    d.id = st.device_of(static_cast<std::int64_t>(s), 0, 0);
    w.label[s] = strag ? label0 : d.id;  // stragglers imply pp == 1 here
    d.prog = &programs[s];
    d.pending.assign(d.prog->pending.begin(), d.prog->pending.end());
    const std::size_t n = d.prog->tasks.size();
    d.ready.assign(n, 0);
    d.waiting.assign(n, 0);
    w.start[s].assign(n, -1);
    w.end[s].assign(n, -1);
    for (GroupKind g : {GroupKind::tp, GroupKind::dp, GroupKind::embed}) {
      const int k = static_cast<int>(g);
      d.shape[k] = st.group_shape(g, d.id);
      d.cost[k] = d.shape[k] == st.representative_shape(g) ? -1 : 0;
    }
    const std::int64_t node = st.node_of(d.id);
    const std::int64_t in_node = std::min(st.gpus_per_node, st.devices - node * st.gpus_per_node);
    const std::int64_t sw = (d.id - node * st.gpus_per_node) / st.gpus_per_switch;
    d.pcie_weight = static_cast<double>(std::min(st.gpus_per_switch, in_node - sw * st.gpus_per_switch));
    d.cpu_weight = static_cast<double>(in_node);
  }
  auto& work = scratch.work;
  auto& rendezvous = scratch.rendezvous;
  work.clear();
  rendezvous.clear();
  std::int64_t processed = 0;

  auto finish = [&](std::size_t s, std::uint32_t t, SimTime when) {
    Device& d = dev[s];
    w.end[s][t] = when;
    const Program& p = *d.prog;
    processed += p.fused() ? p.chain_tasks[t] : 1;  // the tasks of the separate program
    for (std::uint32_t k = p.succ_begin[t]; k < p.succ_begin[t + 1]; ++k) {
      const std::uint32_t n = p.succ[k];
      if (d.ready[n] < when) d.ready[n] = when;
      if (--d.pending[n] == 0) work.emplace_back(static_cast<std::uint32_t>(s), n);
    }
  };
  for (std::size_t s = 0; s < pp; ++s)
    for (std::uint32_t t = 0; t < dev[s].prog->tasks.size(); ++t)
      if (dev[s].prog->pending[t] == 0) work.emplace_back(static_cast<std::uint32_t>(s), t);

  while (!work.empty()) {
    const auto [s, id] = work.back();
    work.pop_back();
    Device& d = dev[s];
    const Task& t = d.prog->tasks[id];
    const SimTime now = d.ready[id];
    w.start[s][id] = now;
    switch (t.resource) {
      case Resource::local: finish(s, id, now + (t.scales ? scaled(t.duration, fmax) : t.duration)); break;
      case Resource::collective: {
        const int g = static_cast<int>(t.group);
        const SimTime c = d.cost[g] < 0 ? t.duration : duration_ps(collective_time(t.coll, t.work, d.shape[g], st.fabric, t.calls));
        if (t.group != GroupKind::embed || pp == 1) {
          finish(s, id, now + c);
          break;
        }
        auto it = std::find_if(rendezvous.begin(), rendezvous.end(), [&](const auto& r) { return r.first == t.tag; });
        if (it == rendezvous.end()) {
          rendezvous.push_back({t.tag, {s, id}});
          break;
        }
        const auto [ms, mt] = it->second;
        rendezvous.erase(it);
        const SimTime last = std::max(w.start[ms][mt], now);
        finish(ms, mt, last + c);
        finish(s, id, last + c);
        break;
      }
      case Resource::send: {
        const std::int64_t peer_device = st.device_of(t.peer_stage, 0, 0);
        SimTime dt = st.node_of(peer_device) == st.node_of(d.id) ? st.p2p_same_node : st.p2p_cross_node;
        if (is_handshake(t)) dt = t.duration;
        finish(s, id, now + dt);
        const std::size_t to = static_cast<std::size_t>(t.peer_stage);
        const std::int32_t r = dest[s][id];
        if (dev[to].waiting[static_cast<std::size_t>(r)]) {
          dev[to].waiting[static_cast<std::size_t>(r)] = 0;
          finish(to, static_cast<std::uint32_t>(r), std::max(w.start[to][static_cast<std::size_t>(r)], now + dt));
        }
        break;
      }
      case Resource::recv: {
        const std::int32_t ss = w.source_stage[s][id], sid = w.source_task[s][id];
        if (ss < 0) throw std::logic_error("fast path: a pipeline receive has no send");
        const SimTime sent = w.start[static_cast<std::size_t>(ss)][static_cast<std::size_t>(sid)];
        if (sent >= 0 && w.end[static_cast<std::size_t>(ss)][static_cast<std::size_t>(sid)] >= 0) {
          finish(s, id, std::max(now, w.end[static_cast<std::size_t>(ss)][static_cast<std::size_t>(sid)]));
        } else {
          d.waiting[id] = 1;
        }
        break;
      }
      case Resource::pcie:
      case Resource::cpu: {
        const double wt = t.resource == Resource::pcie ? d.pcie_weight : d.cpu_weight;
        const double cap = t.resource == Resource::pcie ? st.pcie_bandwidth : st.cpu_params_per_s;
        finish(s, id, now + st.pcie_latency + sim::to_sim_time(t.work * wt / cap) + kResponse);
        break;
      }
    }
  }
  for (std::size_t s = 0; s < pp; ++s)
    for (SimTime e : w.end[s])
      if (e < 0) throw std::logic_error("fast path: a task was never reached (cyclic or unmatched program)");
  w.processed = processed;
}

std::vector<SimTime> step_ends(const StepSetup& st, const std::vector<Program>& programs, const FastWalk& w) {
  std::vector<SimTime> ends(static_cast<std::size_t>(st.steps), 0);
  for (std::size_t s = 0; s < programs.size(); ++s)
    for (std::size_t i = 0; i < programs[s].tasks.size(); ++i)
      ends[programs[s].tasks[i].step] = std::max(ends[programs[s].tasks[i].step], w.end[s][i]);
  return ends;
}

SimRun simulate_fast(const StepSetup& st, const std::vector<Program>& programs, bool stragglers, bool timeline) {
  const auto t0 = std::chrono::steady_clock::now();
  if (timeline && !programs.empty() && programs[0].fused())
    throw std::logic_error("fast path: a timeline needs the separate tasks, not fused chains");
  const FastWalk w = walk_fast(st, programs, stragglers);
  SimRun run;
  run.events = w.processed;
  run.lps = st.pp;
  run.micro_batches_walked = st.grad_accum;
  const std::size_t steps = static_cast<std::size_t>(st.steps);
  const std::vector<SimTime> ends = step_ends(st, programs, w);
  const SimTime last_end = ends[steps - 1];
  const SimTime window_start = steps > 1 ? ends[steps - 2] : 0;
  run.step_time = last_end - window_start;
  // Critical device: the lowest label among those whose last step ends last (all carry fmax).
  std::int64_t crit = -1;
  for (std::size_t s = 0; s < programs.size(); ++s) {
    SimTime e = 0;
    for (std::size_t i = 0; i < programs[s].tasks.size(); ++i)
      if (programs[s].tasks[i].step == steps - 1) e = std::max(e, w.end[s][i]);
    if (e == last_end && (crit < 0 || w.label[s] < w.label[static_cast<std::size_t>(crit)])) crit = static_cast<std::int64_t>(s);
  }
  const std::size_t c = static_cast<std::size_t>(crit);
  run.critical_device = w.label[c];
  run.breakdown = critical_path_breakdown(programs[c], w.start[c], w.end[c], static_cast<std::uint8_t>(steps - 1), window_start);
  if (timeline) {
    for (std::size_t s = 0; s < programs.size(); ++s)
      for (std::size_t i = 0; i < programs[s].tasks.size(); ++i) {
        const Task& t = programs[s].tasks[i];
        if (w.end[s][i] <= w.start[s][i]) continue;
        run.timeline.push_back({w.label[s], t.stream, t.kind, w.start[s][i], w.end[s][i]});
      }
    std::stable_sort(run.timeline.begin(), run.timeline.end(),
                     [](const TimelineRow& a, const TimelineRow& b) { return a.device < b.device; });
  }
  run.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return run;
}

bool simulate_fast_fused(const StepSetup& st, bool stragglers, bool timeline, SimRun& out) {
  if (timeline || (stragglers && st.straggler_cv > 0) || st.steps != 1) return false;
  thread_local std::vector<Program> programs;
  programs.resize(static_cast<std::size_t>(st.pp));
  for (std::int64_t s = 0; s < st.pp; ++s) build_program(st, s, programs[static_cast<std::size_t>(s)], ChainTasks::fused);
  out = simulate_fast(st, programs, stragglers, false);
  return true;
}

}  // namespace wb::gpu
