#include "wafer/cycle_model.hpp"

#include <algorithm>
#include <cmath>

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
  CycleQuery q{&g, phase, flow, sub};
  for (const CycleSource* s : preferred_) {
    if (auto c = s->cycles(q)) return {*c * rounds, s->name()};
  }
  return {*analytic_.cycles(q) * rounds, analytic_.name()};
}

double CycleModel::vector_cycles(double ops, const Rect& rect) const {
  return ops / (static_cast<double>(rect.pes()) * static_cast<double>(spec_.simd_fp16));
}

}  // namespace wb::wafer
