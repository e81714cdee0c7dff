#include "wafer/cycle_model.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace wb::wafer {

GemmCycles CycleModel::gemm(const Gemm& g, Phase phase, Dataflow flow, const Rect& rect) const {
  // Instances side by side: each gets an equal sub-rectangle of about the rectangle's aspect;
  // more instances than sub-rectangles run in rounds.
  Rect sub = rect;
  double rounds = 1;
  if (g.instances > 1) {
    const std::int64_t area = rect.pes() / g.instances;
    if (area >= 1) {
      const double aspect = static_cast<double>(rect.rows) / static_cast<double>(rect.cols);
      sub.rows = std::clamp<std::int64_t>(std::llround(std::sqrt(static_cast<double>(area) * aspect)), 1, rect.rows);
      sub.cols = std::clamp<std::int64_t>(area / sub.rows, 1, rect.cols);
      const std::int64_t per_round = (rect.rows / sub.rows) * (rect.cols / sub.cols);
      rounds = std::ceil(static_cast<double>(g.instances) / static_cast<double>(per_round));
    } else {
      sub = {1, 1};
      rounds = std::ceil(static_cast<double>(g.instances) / static_cast<double>(rect.pes()));
    }
  }
  // The dataflow's own kernel, and the resident kernels where both operands are on the PEs
  // (weights resident in layer-pipelined mode, or two activations); each competes only where
  // it fits SRAM (AnalyticCycles::resident), the fastest wins.
  const Kernel own = flow == Dataflow::streamed ? Kernel::weight_streaming : Kernel::chain;
  std::vector<Kernel> kernels{own};
  if (flow == Dataflow::stationary || !g.weights)
    kernels.insert(kernels.end(), {Kernel::meshgemv, Kernel::cannon, Kernel::meshgemm, Kernel::summa});
  GemmCycles best;
  bool found = false;
  for (const Kernel k : kernels) {
    CycleQuery q{&g, phase, flow, sub, k};
    if (k != own && !analytic_.resident(q).applies) continue;
    std::string source;
    const auto c = cycles_of(q, source);
    if (!c) continue;
    if (!found || *c * rounds < best.cycles) {
      best = {*c * rounds, source, k};
      found = true;
    }
  }
  return best;
}

std::optional<double> CycleModel::cycles_of(const CycleQuery& q, std::string& source) const {
  for (const CycleSource* s : preferred_) {
    if (auto c = s->cycles(q)) {
      source = s->name();
      return c;
    }
  }
  source = analytic_.name();
  return analytic_.cycles(q);
}

double CycleModel::vector_cycles(double ops, const Rect& rect) const {
  return ops / (static_cast<double>(rect.pes()) * static_cast<double>(spec_.simd_fp16));
}

}  // namespace wb::wafer
