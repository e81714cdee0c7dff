#include "wafer/fabric_cycle_source.hpp"

#include <algorithm>
#include <cmath>

namespace wb::wafer {

std::optional<double> FabricCycleSource::cycles(const CycleQuery& q) const {
  const Gemm& g = *q.gemm;
  if (!g.weights || q.phase == Phase::wgrad || g.input_density != 1.0) return std::nullopt;
  const double tokens = std::nearbyint(g.tokens);
  if (tokens < 1 || tokens != g.tokens) return std::nullopt;
  const auto batch = static_cast<std::int64_t>(tokens);
  const std::int64_t m = q.phase == Phase::fwd ? g.k : g.n;
  const std::int64_t n = q.phase == Phase::fwd ? g.n : g.k;
  const double sparsity = 1.0 - g.weight_density;
  switch (q.kernel) {
    case Kernel::meshgemv:
      return cache_.lookup(FabricCacheKey{chip_.name, "meshgemv", m, n, batch, q.rect.rows, q.rect.cols, sparsity});
    case Kernel::cannon:
    case Kernel::meshgemm:
    case Kernel::summa: {
      // The shift GEMMs run on the largest square of the rectangle and are dense.
      if (sparsity != 0) return std::nullopt;
      const std::int64_t p = std::min({q.rect.rows, q.rect.cols, m, n, batch});
      return cache_.lookup(FabricCacheKey{chip_.name, to_string(q.kernel), m, n, batch, p, p, 0.0});
    }
    default: break;
  }
  if (q.flow == Dataflow::streamed) {
    // The cache maps a streamed layer onto the whole fabric; a sub-rectangle (several instances
    // side by side) is not a shape it holds.
    if (q.rect.rows != chip_.fabric_height || q.rect.cols != chip_.fabric_width) return std::nullopt;
    return cache_.lookup_whole_fabric(chip_, "weight-streaming", m, n, batch, sparsity);
  }
  return cache_.lookup(FabricCacheKey{chip_.name, "chain", m, n, batch, q.rect.rows, q.rect.cols, sparsity});
}

}  // namespace wb::wafer
