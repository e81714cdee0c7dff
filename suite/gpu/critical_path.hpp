#pragma once
// Where a simulated step's time went: the critical path of one device's step, walked back from
// its last task through each task's binding predecessor, by category and phase.
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "gpu/cluster_sim.hpp"
#include "gpu/step_program.hpp"

namespace wb::gpu {

// The parts sum to the end of `step` minus window_start exactly.
StepBreakdown critical_path_breakdown(const Program& prog, const std::vector<SimTime>& start,
                                      const std::vector<SimTime>& end, std::uint8_t step, SimTime window_start);

// The walk itself over any view of one device's tasks (the program as run, or the steady-state
// evaluation's program with repeated pipeline periods, gpu/steady_state.cpp). A view provides
//   const Task& task(i); SimTime start(i), end(i);
//   SimTime chain_comm(i): of a fused chain's duration, the part its tensor-parallel all-reduces
//     take (0 for a task of a separate program);
//   preds(i, f): f(p) for each explicit dependency and the previous task of i's stream;
//   visit(i, covered_to, b): called before task i is counted; may move the walk to an
//     equivalent earlier task (and account for what it skipped) by changing i, covered_to, b.
// The binding predecessor is the one that ended last (ties: the later task).
template <class View>
StepBreakdown walk_critical_path(View& v, std::int64_t last, SimTime window_start) {
  StepBreakdown b;
  std::int64_t cur = last;
  SimTime covered_to = last >= 0 ? v.end(last) : 0;
  auto add = [&b](const Task& t, SimTime dt, SimTime comm = 0) {
    b.phase[t.phase] += dt;
    b.comm += comm;
    dt -= comm;
    switch (category_of(t)) {
      case Category::compute: b.compute += dt; break;
      case Category::comm: b.comm += dt; break;
      case Category::offload: b.offload += dt; break;
      case Category::cpu: b.cpu += dt; break;
      case Category::bubble: b.bubble += dt; break;
    }
  };
  while (cur >= 0) {
    v.visit(cur, covered_to, b);
    const Task& t = v.task(cur);
    const SimTime s = v.start(cur), e = std::min(v.end(cur), covered_to);
    const SimTime lo = std::max(s, window_start);
    const SimTime comm = v.chain_comm(cur);
    // A fused chain is counted whole: a critical path that starts or ends inside one would need
    // its parts' order (fused programs are walked for one step, whose path covers every task it
    // meets, which max-plus timing guarantees: a task starts when its binding predecessor ends).
    if (comm > 0 && (e != v.end(cur) || lo != s))
      throw std::logic_error("critical path: a fused chain is cut by the step window");
    if (e > lo) add(t, e - lo, comm);
    covered_to = std::min(covered_to, s);
    if (s <= window_start) break;
    std::int64_t pred = -1;
    SimTime pend = -1;
    v.preds(cur, [&](std::int64_t p) {
      const SimTime pe = v.end(p);
      if (pe > pend || (pe == pend && p > pred)) {
        pend = pe;
        pred = p;
      }
    });
    if (pred < 0) {
      Task waited = t;  // waited from the step's start for nothing local
      waited.resource = Resource::recv;
      add(waited, s - window_start);
      break;
    }
    if (pend < s) {  // not expected; keeps the sum exact
      Task waited = t;
      waited.resource = Resource::recv;
      add(waited, s - std::max(pend, window_start));
    }
    cur = pred;
  }
  return b;
}

}  // namespace wb::gpu
