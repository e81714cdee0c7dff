#pragma once
// The fabric simulator's per-layer cycle cache as a cycle source of the wafer model
// (wafer/cycle_source.hpp): a product's cycles come from the cache when it holds the exact
// shape the model asks for, otherwise the next source (the analytic mapping) answers.
//
// What is looked up (docs/fabric-model.md, "Fabric cache"):
//   weight streaming (Dataflow::streamed) on the whole program rectangle: mapping
//     "weight-streaming", the cache's whole-fabric rectangle for (m, batch);
//   layer-pipelined (Dataflow::stationary): mapping "chain" on the query's own rectangle, or the
//     resident kernel the query names ("meshgemv" on the rectangle; "cannon", "meshgemm",
//     "summa" on its largest square, dense only);
//   forward X.W: m = k, n = n; data gradient dY.W^T: m = n, n = k (the same mapping with W
//     transposed); weight gradients and products of two activations are not in the cache;
//   batch = the instance's tokens (micro-batch x sequence), sparsity = 1 - weight density, only
//     for dense inputs (input_density 1: the simulator skips zero weights, not zero inputs).
#include "wafer/cycle_source.hpp"
#include "wafer/fabric_cache.hpp"

namespace wb::wafer {

class FabricCycleSource final : public CycleSource {
 public:
  // Both must outlive the source.
  FabricCycleSource(const FabricCache& cache, const WaferSpec& chip) : cache_(cache), chip_(chip) {}
  const char* name() const override { return "fabric"; }
  std::optional<double> cycles(const CycleQuery& q) const override;

 private:
  const FabricCache& cache_;
  const WaferSpec& chip_;
};

}  // namespace wb::wafer
