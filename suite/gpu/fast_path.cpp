#include "gpu/fast_path.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>

#include "gpu/cluster_lps.hpp"
#include "gpu/critical_path.hpp"

namespace wb::gpu {

// The fast path: the representatives' programs as one task graph (pipeline messages and the
// embedding all-reduce link the stages), each task timed when its last predecessor is known.
// The arithmetic is the event simulation's, term for term: a local task ends start + its
// (scaled) duration, a collective of one representative start + cost, one of two at the later
// issue + cost, a receive at max(ready, arrival), a host job start + latency + its processor-
// sharing time + the 1 ps notice (each stream is FIFO, so a representative never has two jobs
// on one host server at once).
SimRun simulate_fast(const StepSetup& st, const std::vector<Program>& programs, bool stragglers, bool timeline) {
  const auto t0 = std::chrono::steady_clock::now();
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
  struct Device {
    std::int64_t id, label;
    const Program* prog;
    std::vector<std::uint16_t> pending;
    std::vector<SimTime> ready, start, end;
    GroupShape shape[kGroupKinds];
    bool own_cost[kGroupKinds];
  };
  std::vector<Device> dev(pp);
  for (std::size_t s = 0; s < pp; ++s) {
    Device& d = dev[s];
    d.id = st.device_of(static_cast<std::int64_t>(s), 0, 0);
    d.label = strag ? label0 : d.id;  // stragglers imply pp == 1 here
    d.prog = &programs[s];
    d.pending = d.prog->pending;
    const std::size_t n = d.prog->tasks.size();
    d.ready.assign(n, 0);
    d.start.assign(n, -1);
    d.end.assign(n, -1);
    for (GroupKind g : {GroupKind::tp, GroupKind::dp, GroupKind::embed}) {
      d.shape[static_cast<int>(g)] = st.group_shape(g, d.id);
      d.own_cost[static_cast<int>(g)] = !(d.shape[static_cast<int>(g)] == st.representative_shape(g));
    }
  }
  auto weight_pcie = [&](std::int64_t device) {
    const std::int64_t node = st.node_of(device);
    const std::int64_t in_node = std::min(st.gpus_per_node, st.devices - node * st.gpus_per_node);
    const std::int64_t sw = (device - node * st.gpus_per_node) / st.gpus_per_switch;
    return static_cast<double>(std::min(st.gpus_per_switch, in_node - sw * st.gpus_per_switch));
  };
  std::vector<std::pair<std::size_t, std::uint32_t>> work;
  std::map<std::pair<std::size_t, std::int64_t>, SimTime> arrived;        // (stage, tag) -> arrival
  std::map<std::pair<std::size_t, std::int64_t>, std::uint32_t> waiting;  // (stage, tag) -> recv task
  std::map<std::int64_t, std::vector<std::pair<std::size_t, std::uint32_t>>> rendezvous;  // embed tag
  std::int64_t processed = 0;

  auto finish = [&](std::size_t s, std::uint32_t t, SimTime when) {
    Device& d = dev[s];
    d.end[t] = when;
    ++processed;
    for (std::uint32_t k = d.prog->succ_begin[t]; k < d.prog->succ_begin[t + 1]; ++k) {
      const std::uint32_t n = d.prog->succ[k];
      d.ready[n] = std::max(d.ready[n], when);
      if (--d.pending[n] == 0) work.emplace_back(s, n);
    }
  };
  for (std::size_t s = 0; s < pp; ++s)
    for (std::uint32_t t = 0; t < dev[s].prog->tasks.size(); ++t)
      if (dev[s].prog->pending[t] == 0) work.emplace_back(s, t);

  while (!work.empty()) {
    const auto [s, id] = work.back();
    work.pop_back();
    Device& d = dev[s];
    const Task& t = d.prog->tasks[id];
    const SimTime now = d.ready[id];
    d.start[id] = now;
    switch (t.resource) {
      case Resource::local: finish(s, id, now + (t.scales ? scaled(t.duration, fmax) : t.duration)); break;
      case Resource::collective: {
        const SimTime c = d.own_cost[static_cast<int>(t.group)]
                              ? duration_ps(collective_time(t.coll, t.work, d.shape[static_cast<int>(t.group)], st.fabric))
                              : t.duration;
        if (t.group != GroupKind::embed || pp == 1) {
          finish(s, id, now + c);
          break;
        }
        auto& members = rendezvous[t.tag];
        members.emplace_back(s, id);
        if (members.size() < 2) break;
        SimTime last = 0;
        for (const auto& [ms, mt] : members) last = std::max(last, dev[ms].start[mt]);
        for (const auto& [ms, mt] : members) finish(ms, mt, last + c);
        rendezvous.erase(t.tag);
        break;
      }
      case Resource::send: {
        const std::int64_t peer_device = st.device_of(t.peer_stage, 0, 0);
        const SimTime dt = st.node_of(peer_device) == st.node_of(d.id) ? st.p2p_same_node : st.p2p_cross_node;
        finish(s, id, now + dt);
        const std::pair<std::size_t, std::int64_t> key{static_cast<std::size_t>(t.peer_stage), t.tag};
        auto w = waiting.find(key);
        if (w != waiting.end()) {
          const std::uint32_t r = w->second;
          waiting.erase(w);
          finish(key.first, r, std::max(dev[key.first].start[r], now + dt));
        } else {
          arrived.emplace(key, now + dt);
        }
        break;
      }
      case Resource::recv: {
        const std::pair<std::size_t, std::int64_t> key{s, t.tag};
        auto a = arrived.find(key);
        if (a != arrived.end()) {
          const SimTime at = a->second;
          arrived.erase(a);
          finish(s, id, std::max(now, at));
        } else {
          waiting.emplace(key, id);
        }
        break;
      }
      case Resource::pcie:
      case Resource::cpu: {
        const double w = t.resource == Resource::pcie ? weight_pcie(d.id) : static_cast<double>(
            std::min(st.gpus_per_node, st.devices - st.node_of(d.id) * st.gpus_per_node));
        const double cap = t.resource == Resource::pcie ? st.pcie_bandwidth : st.cpu_params_per_s;
        finish(s, id, now + st.pcie_latency + sim::to_sim_time(t.work * w / cap) + kResponse);
        break;
      }
    }
  }
  for (const Device& d : dev)
    for (SimTime e : d.end)
      if (e < 0) throw std::logic_error("fast path: a task was never reached (cyclic or unmatched program)");

  SimRun run;
  run.events = processed;
  run.lps = static_cast<std::int64_t>(pp);
  run.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::size_t steps = static_cast<std::size_t>(st.steps);
  std::vector<SimTime> ends(steps, 0);
  for (const Device& d : dev)
    for (std::size_t i = 0; i < d.prog->tasks.size(); ++i)
      ends[d.prog->tasks[i].step] = std::max(ends[d.prog->tasks[i].step], d.end[i]);
  const SimTime last_end = ends[steps - 1];
  const SimTime window_start = steps > 1 ? ends[steps - 2] : 0;
  run.step_time = last_end - window_start;
  // Critical device: the lowest label among those whose last step ends last (all carry fmax).
  const Device* crit = nullptr;
  for (const Device& d : dev) {
    SimTime e = 0;
    for (std::size_t i = 0; i < d.prog->tasks.size(); ++i)
      if (d.prog->tasks[i].step == steps - 1) e = std::max(e, d.end[i]);
    if (e == last_end && (!crit || d.label < crit->label)) crit = &d;
  }
  run.critical_device = crit->label;
  run.breakdown = critical_path_breakdown(*crit->prog, crit->start, crit->end, static_cast<std::uint8_t>(steps - 1), window_start);
  if (timeline) {
    for (const Device& d : dev)
      for (std::size_t i = 0; i < d.prog->tasks.size(); ++i) {
        const Task& t = d.prog->tasks[i];
        if (d.end[i] <= d.start[i]) continue;
        run.timeline.push_back({d.label, t.stream, t.kind, d.start[i], d.end[i]});
      }
    std::stable_sort(run.timeline.begin(), run.timeline.end(),
                     [](const TimelineRow& a, const TimelineRow& b) { return a.device < b.device; });
  }
  return run;
}

}  // namespace wb::gpu
