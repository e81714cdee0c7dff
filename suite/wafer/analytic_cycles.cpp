#include "wafer/analytic_cycles.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

namespace wb::wafer {

const char* to_string(Phase p) {
  switch (p) {
    case Phase::fwd: return "fwd";
    case Phase::dgrad: return "bwd";
    case Phase::wgrad: return "wgrad";
  }
  return "?";
}

const char* to_string(Dataflow d) { return d == Dataflow::streamed ? "streamed" : "stationary"; }

const char* to_string(Kernel k) {
  switch (k) {
    case Kernel::weight_streaming: return "weight-streaming";
    case Kernel::chain: return "chain";
    case Kernel::meshgemv: return "meshgemv";
    case Kernel::cannon: return "cannon";
    case Kernel::meshgemm: return "meshgemm";
    case Kernel::summa: return "summa";
  }
  return "?";
}

namespace {

// Largest fold tried when a dimension of the product is laid over a multiple or a fraction of a
// side of the rectangle (folding keeps neighbours adjacent on the mesh).
constexpr std::int64_t kMaxFold = 16;

double ceil_div(double a, double b) { return std::ceil(a / b); }

// Logical grids (a, b) a rectangle can be folded into: a along one side times g, b along the
// other divided by g, in both orientations.
std::vector<std::pair<std::int64_t, std::int64_t>> grids(const Rect& r) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (const auto& [x, y] : {std::pair{r.rows, r.cols}, std::pair{r.cols, r.rows}}) {
    for (std::int64_t g = 1; g <= kMaxFold; ++g) {
      if (y / g >= 1) out.emplace_back(x * g, y / g);
      if (g > 1 && x / g >= 1) out.emplace_back(x / g, y * g);
    }
  }
  return out;
}

}  // namespace

// Weight streaming (docs/wafer-model.md): the tokens of the pass are split over `grid_tokens`
// PEs, the output width over `grid_width`. Weights arrive one row (of `width` values) at a time;
// a PE receives its `n_t` weights of the row and the row's input value for each of its `t_t`
// tokens (broadcast along its line of PEs, `values_per_wavelet` per wavelet), and runs one AXPY of
// length t_t per non-zero weight. For the weight gradient each task is a dot product over t_t
// tokens whose result is reduced along the token chain.
double AnalyticCycles::streamed(double tokens, double stream_len, double width, double density, bool reduce_tokens,
                                std::int64_t grid_tokens, std::int64_t grid_width) const {
  const MappingParams& mp = spec_.mapping;
  const double w = static_cast<double>(spec_.simd_fp16);
  const double t_t = ceil_div(tokens, static_cast<double>(grid_tokens));
  const double n_t = ceil_div(width, static_cast<double>(grid_width));
  const double tasks = density * n_t;
  const double per_task = mp.task_overhead_cycles + std::ceil(t_t / w) + (reduce_tokens ? mp.reduce_cycles_per_element : 0.0);
  const double compute = tasks * per_task;
  const double fabric = std::max(std::ceil(t_t / mp.values_per_wavelet), tasks);
  const double fill = mp.hop_cycles * static_cast<double>(grid_tokens + grid_width);
  return stream_len * std::max(compute, fabric) + fill;
}

// Layer-pipelined (docs/wafer-model.md): the weight matrix k x n is split in tiles over a grid of
// grid_k x grid_n PEs and stays there; tokens flow through one at a time. Forward: each non-zero
// input of the PE's k_t inputs starts an AXPY over the PE's non-zero weights of that row, and the
// n_t partial sums are reduced along the chain of grid_k PEs. Data gradient: the same with k and
// n exchanged. Weight gradient: a rank-1 update of the local tile, no reduction. Zero inputs
// (ReLU outputs, and the gradients a ReLU masks) are never sent, so they start no task.
double AnalyticCycles::stationary(double tokens, double k, double n, double weight_density, double input_density,
                                  Phase phase, std::int64_t grid_k, std::int64_t grid_n) const {
  const MappingParams& mp = spec_.mapping;
  const double w = static_cast<double>(spec_.simd_fp16);
  const double k_t = ceil_div(k, static_cast<double>(grid_k));
  const double n_t = ceil_div(n, static_cast<double>(grid_n));
  double per_token = 0, fabric = 0;
  switch (phase) {
    case Phase::fwd:
      per_token = input_density * k_t * (mp.task_overhead_cycles + std::ceil(weight_density * n_t / w)) +
                  (grid_k > 1 ? mp.reduce_cycles_per_element * n_t : 0.0);
      fabric = std::max(input_density * k_t, n_t);
      break;
    case Phase::dgrad:
      // The output gradients behind a ReLU are zero where its output was: input_density again.
      per_token = input_density * n_t * (mp.task_overhead_cycles + std::ceil(weight_density * k_t / w)) +
                  (grid_n > 1 ? mp.reduce_cycles_per_element * k_t : 0.0);
      fabric = std::max(input_density * n_t, k_t);
      break;
    case Phase::wgrad:
      per_token = input_density * k_t * (mp.task_overhead_cycles + std::ceil(weight_density * n_t / w));
      fabric = std::max(input_density * k_t, std::ceil(n_t / mp.values_per_wavelet));
      break;
  }
  const double fill = mp.hop_cycles * static_cast<double>(grid_k + grid_n);
  return tokens * std::max(per_token, fabric) + fill;
}

KernelCost AnalyticCycles::resident(const CycleQuery& q) const {
  const Gemm& g = *q.gemm;
  ResidentGemm r;
  const double k = static_cast<double>(g.k), n = static_cast<double>(g.n);
  switch (q.phase) {  // rows x inner x cols of the product
    case Phase::fwd: r = {g.tokens, k, n, 1, 0, 0}; break;
    case Phase::dgrad: r = {g.tokens, n, k, 1, 0, 0}; break;
    case Phase::wgrad: r = {k, g.tokens, n, 1, 0, 0}; break;
  }
  if (g.weights && q.phase != Phase::wgrad) r.weight_density = g.weight_density;
  const double budget = kernel_sram_budget(spec_);
  KernelCost best;
  for (const auto& [a, b] : {std::pair{q.rect.rows, q.rect.cols}, std::pair{q.rect.cols, q.rect.rows}}) {
    r.p_rows = a;
    r.p_cols = b;
    KernelCost c;
    switch (q.kernel) {
      case Kernel::meshgemv:
        if (q.phase != Phase::wgrad) c = meshgemv_cost(r, spec_);
        break;
      case Kernel::cannon: c = shift_gemm_cost(ShiftKind::cannon, r, spec_); break;
      case Kernel::meshgemm: c = shift_gemm_cost(ShiftKind::meshgemm, r, spec_); break;
      case Kernel::summa: c = shift_gemm_cost(ShiftKind::summa, r, spec_); break;
      default: break;
    }
    if (c.applies && c.sram_bytes <= budget && (!best.applies || c.cycles < best.cycles)) best = c;
  }
  return best;
}

std::optional<double> AnalyticCycles::cycles(const CycleQuery& q) const {
  if (q.kernel != Kernel::weight_streaming && q.kernel != Kernel::chain) {
    const KernelCost c = resident(q);
    if (!c.applies) return std::nullopt;
    return c.cycles;
  }
  const Gemm& g = *q.gemm;
  const double k = static_cast<double>(g.k), n = static_cast<double>(g.n);
  const double dw = g.weights ? g.weight_density : 1.0;
  double best = std::numeric_limits<double>::infinity();
  for (const auto& [a, b] : grids(q.rect)) {
    double c = 0;
    if (q.flow == Dataflow::streamed) {
      switch (q.phase) {
        case Phase::fwd: c = streamed(g.tokens, k, n, dw, false, a, b); break;
        case Phase::dgrad: c = streamed(g.tokens, n, k, dw, false, a, b); break;
        case Phase::wgrad: c = streamed(g.tokens, k, n, dw, true, a, b); break;
      }
    } else {
      c = stationary(g.tokens, k, n, dw, g.input_density, q.phase, a, b);
    }
    best = std::min(best, c);
  }
  return best;
}

}  // namespace wb::wafer
