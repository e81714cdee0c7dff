#pragma once
// The analytic PE mapping: cycles of a matrix product on a rectangle of PEs from the layer shape,
// the rectangle, the SIMD width and three per-PE costs (task start, partial-sum reduction, fabric
// delivery). Formulas and their sources are in docs/wafer-model.md ("Per-layer compute").
#include "wafer/cycle_source.hpp"
#include "wafer/resident_kernels.hpp"

namespace wb::wafer {

class AnalyticCycles final : public CycleSource {
 public:
  explicit AnalyticCycles(const WaferSpec& spec) : spec_(spec) {}
  const char* name() const override { return "analytic"; }
  std::optional<double> cycles(const CycleQuery& q) const override;

  // The two mappings on one given logical grid (tokens or k over the first count of PEs, the
  // output width over the second); cycles() tries the grids the rectangle folds into and keeps
  // the fastest.
  double streamed(double tokens, double stream_len, double width, double density, bool reduce_tokens,
                  std::int64_t grid_tokens, std::int64_t grid_width) const;
  double stationary(double tokens, double k, double n, double weight_density, double input_density, Phase phase,
                    std::int64_t grid_k, std::int64_t grid_n) const;
  // A resident kernel (meshgemv, cannon, meshgemm, summa) for q: the cheapest orientation on
  // q.rect whose fullest PE fits kernel_sram_budget(); applies = false when none does.
  KernelCost resident(const CycleQuery& q) const;

 private:
  const WaferSpec& spec_;
};

}  // namespace wb::wafer
