#pragma once
// Where the cycles of a layer's matrix product come from. The wafer model asks a chain of
// sources and takes the first answer: the fabric simulator's cache of measured cycle counts when
// it has this shape (issue 5, suite/wafer/fabric_cache.hpp), else the analytic mapping, which
// always answers. Each answer says which source gave it, and results show it (compute_source,
// /wafer_layers.source).
#include <cstdint>
#include <optional>
#include <string>

#include "wafer/layer_ops.hpp"
#include "wafer/wafer_spec.hpp"

namespace wb::wafer {

// Which product of a layer: the forward X.W, the data gradient dY.W^T, or the weight gradient
// X^T.dY.
enum class Phase { fwd, dgrad, wgrad };
const char* to_string(Phase p);

// How weights meet tokens:
//   streamed    weight streaming: tokens stay in place on the PEs, weights arrive row by row and
//               each non-zero weight triggers one AXPY over the PE's tokens;
//   stationary  layer-pipelined: each PE holds a tile of the weights, tokens flow through, each
//               non-zero input triggers one AXPY over the PE's non-zero weights, partial sums are
//               reduced along the chain of PEs that split the input dimension.
enum class Dataflow { streamed, stationary };
const char* to_string(Dataflow d);

// The program a product runs on its rectangle; the names are the fabric simulator's mappings
// (docs/fabric-model.md), so the cache and the analytic mapping answer for the same kernel:
//   weight-streaming  the streamed dataflow above;
//   chain             the stationary dataflow above (per-input tasks, chain reduction);
//   meshgemv          x resident on every PE of its row, one local GEMV, K-tree reduction;
//   cannon, meshgemm, summa  both operands resident on a P x P grid, shifted or broadcast.
// The last four need both operands on the PEs: weights resident (layer-pipelined) or a product
// of two activations (attention).
enum class Kernel { weight_streaming, chain, meshgemv, cannon, meshgemm, summa };
const char* to_string(Kernel k);

// A rectangle of PEs (rows x cols).
struct Rect {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::int64_t pes() const { return rows * cols; }
};

// Cycles of one instance of a product on a rectangle.
struct CycleQuery {
  const Gemm* gemm = nullptr;
  Phase phase = Phase::fwd;
  Dataflow flow = Dataflow::streamed;
  Rect rect;
  Kernel kernel = Kernel::weight_streaming;  // streamed flow: weight-streaming; stationary: chain or a resident kernel
};

class CycleSource {
 public:
  virtual ~CycleSource() = default;
  virtual const char* name() const = 0;  // "analytic" | "fabric"
  // Cycles for one instance of q.gemm in phase q.phase on q.rect, or nothing when this source
  // does not know the shape.
  virtual std::optional<double> cycles(const CycleQuery& q) const = 0;
};

}  // namespace wb::wafer
