#include "gpu/critical_path.hpp"

#include <algorithm>

namespace wb::gpu {

StepBreakdown critical_path_breakdown(const Program& prog, const std::vector<SimTime>& start,
                                      const std::vector<SimTime>& end, std::uint8_t step, SimTime window_start) {
  StepBreakdown b;
  std::int64_t cur = -1;
  SimTime best = -1;
  for (std::size_t i = 0; i < prog.tasks.size(); ++i)
    if (prog.tasks[i].step == step && end[i] >= best) {
      best = end[i];
      cur = static_cast<std::int64_t>(i);
    }
  SimTime covered_to = best;
  while (cur >= 0) {
    const std::size_t i = static_cast<std::size_t>(cur);
    const SimTime s = start[i], e = std::min(end[i], covered_to);
    const SimTime lo = std::max(s, window_start);
    if (e > lo) {
      b.phase[prog.tasks[i].phase] += e - lo;
      switch (category_of(prog.tasks[i])) {
        case Category::compute: b.compute += e - lo; break;
        case Category::comm: b.comm += e - lo; break;
        case Category::offload: b.offload += e - lo; break;
        case Category::cpu: b.cpu += e - lo; break;
        case Category::bubble: b.bubble += e - lo; break;
      }
    }
    covered_to = std::min(covered_to, s);
    if (s <= window_start) break;
    // The predecessor that finished last is the one this task waited for.
    std::int64_t pred = -1;
    SimTime pend = -1;
    const Task& t = prog.tasks[i];
    for (std::uint32_t d = t.dep_begin; d < t.dep_begin + t.dep_count; ++d) {
      const std::uint32_t p = prog.deps[d];
      if (end[p] > pend || (end[p] == pend && static_cast<std::int64_t>(p) > pred)) {
        pend = end[p];
        pred = p;
      }
    }
    const std::int32_t sp = prog.stream_prev[i];
    if (sp >= 0 && (end[static_cast<std::size_t>(sp)] > pend || (end[static_cast<std::size_t>(sp)] == pend && sp > pred))) {
      pend = end[static_cast<std::size_t>(sp)];
      pred = sp;
    }
    if (pred < 0) {
      b.bubble += s - window_start;  // waited from the step's start for nothing local
      b.phase[prog.tasks[i].phase] += s - window_start;
      break;
    }
    if (pend < s) {  // not expected; keeps the sum exact
      b.bubble += s - std::max(pend, window_start);
      b.phase[prog.tasks[i].phase] += s - std::max(pend, window_start);
    }
    cur = pred;
  }
  return b;
}

}  // namespace wb::gpu
