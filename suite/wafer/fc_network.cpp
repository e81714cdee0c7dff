#include "wafer/fc_network.hpp"

#include <algorithm>
#include <cmath>

namespace wb::wafer {

Rect region_of(std::int64_t area, const WaferSpec& s) {
  const double aspect = static_cast<double>(s.fabric_height) / static_cast<double>(s.fabric_width);
  Rect r;
  r.rows = std::clamp<std::int64_t>(std::llround(std::sqrt(static_cast<double>(area) * aspect)), 1, s.fabric_height);
  r.cols = std::clamp<std::int64_t>(area / r.rows, 1, s.fabric_width);
  return r;
}

double fc_cycles_per_token(const FcNetwork& net, const CycleModel& cm) {
  const WaferSpec& spec = cm.spec();
  const Rect rect = region_of(spec.program_pes() / net.layers, spec);
  // Per-token cost in steady state: evaluate a long stream so the fill latency is negligible.
  constexpr double kTokens = 1 << 20;
  Gemm g{"fc", kTokens, net.width, net.width, 1, true, net.weight_density, net.activation_density};
  double cycles = cm.gemm(g, Phase::fwd, Dataflow::stationary, rect).cycles;
  if (net.training)
    cycles += cm.gemm(g, Phase::dgrad, Dataflow::stationary, rect).cycles +
              cm.gemm(g, Phase::wgrad, Dataflow::stationary, rect).cycles;
  return cycles / kTokens;
}

}  // namespace wb::wafer
