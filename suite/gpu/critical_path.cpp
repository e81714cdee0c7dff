#include "gpu/critical_path.hpp"

#include <algorithm>

namespace wb::gpu {

namespace {

// The program as it ran.
struct RunView {
  const Program& prog;
  const std::vector<SimTime>& s;
  const std::vector<SimTime>& e;
  const Task& task(std::int64_t i) const { return prog.tasks[static_cast<std::size_t>(i)]; }
  SimTime start(std::int64_t i) const { return s[static_cast<std::size_t>(i)]; }
  SimTime end(std::int64_t i) const { return e[static_cast<std::size_t>(i)]; }
  SimTime chain_comm(std::int64_t i) const { return prog.fused() ? prog.chain_comm[static_cast<std::size_t>(i)] : 0; }
  template <class F>
  void preds(std::int64_t i, F&& f) const {
    const Task& t = task(i);
    for (std::uint32_t d = t.dep_begin; d < t.dep_begin + t.dep_count; ++d) f(static_cast<std::int64_t>(prog.deps[d]));
    const std::int32_t sp = prog.stream_prev[static_cast<std::size_t>(i)];
    if (sp >= 0) f(static_cast<std::int64_t>(sp));
  }
  void visit(std::int64_t&, SimTime&, StepBreakdown&) const {}
};

}  // namespace

StepBreakdown critical_path_breakdown(const Program& prog, const std::vector<SimTime>& start,
                                      const std::vector<SimTime>& end, std::uint8_t step, SimTime window_start) {
  std::int64_t last = -1;
  SimTime best = -1;
  for (std::size_t i = 0; i < prog.tasks.size(); ++i)
    if (prog.tasks[i].step == step && end[i] >= best) {
      best = end[i];
      last = static_cast<std::int64_t>(i);
    }
  RunView v{prog, start, end};
  return walk_critical_path(v, last, window_start);
}

}  // namespace wb::gpu
