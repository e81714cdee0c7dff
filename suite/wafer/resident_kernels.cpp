#include "wafer/resident_kernels.hpp"

#include <algorithm>
#include <cmath>

namespace wb::wafer {

namespace {

double ceil_div(double a, double b) { return std::ceil(a / b); }

// One vector FMAC per x element over `len` lanes (the simulator's kGemv / kTileGemm).
double fmac_cycles(double len, double simd) { return std::max(1.0, std::ceil(len / simd)); }

}  // namespace

double kernel_sram_budget(const WaferSpec& spec) { return spec.sram_per_pe_bytes - spec.mapping.sram_reserved_per_pe_bytes; }

std::int64_t ktree_group(std::int64_t p) {
  return std::max<std::int64_t>(1, std::llround(std::sqrt(static_cast<double>(p))));
}

// MeshGEMV (WaferLLM Sec. 6): one task runs the local GEMV over the resident x tile; the column's
// partial sums go by pipelined chains (receive, add, send per element) to the middle of each
// group of g rows, then between the group roots to the middle one, and are broadcast back: the
// latency grows like g/2 + P/(2g) hops each way, the throughput term like the partial sums per PE.
KernelCost meshgemv_cost(const ResidentGemm& g, const WaferSpec& spec) {
  KernelCost k;
  if (g.p_rows < 1 || g.p_cols < 1 || static_cast<double>(g.p_rows) > g.inner || static_cast<double>(g.p_cols) > g.cols)
    return k;
  const MappingParams& mp = spec.mapping;
  const double simd = static_cast<double>(spec.simd_fp16);
  const double k_t = ceil_div(g.inner, static_cast<double>(g.p_rows));
  const double n_t = ceil_div(g.cols, static_cast<double>(g.p_cols));
  const double local = mp.task_overhead_cycles + g.rows * k_t * fmac_cycles(g.weight_density * n_t, simd);
  const double sums = g.rows * n_t;  // partial sums per PE
  const double p = static_cast<double>(g.p_rows);
  const double group = static_cast<double>(ktree_group(g.p_rows));
  // Hops of the two levels to the root (each half of a line reduces towards its middle); every
  // member of a chain also adds (reduce_cycles_per_element). A level's root takes the chain from
  // below, then the one from above, so each level streams the partial sums twice through it.
  const double reduce_hops = std::ceil((group - 1) / 2) + std::ceil((std::ceil(p / group) - 1) / 2) * group;
  const double members = std::ceil((group - 1) / 2) + std::ceil((std::ceil(p / group) - 1) / 2);
  const double reduce = g.p_rows > 1 ? 4 * sums * mp.reduce_cycles_per_element + reduce_hops * mp.hop_cycles +
                                           members * mp.reduce_cycles_per_element
                                     : 0.0;
  const double broadcast = g.p_rows > 1 ? sums * mp.reduce_cycles_per_element + std::ceil(p / 2) * mp.hop_cycles : 0.0;
  k.applies = true;
  k.cycles = local + reduce + broadcast;
  // fp16 W tile and x tile, fp32 partial sums (the simulator's layout).
  k.sram_bytes = 2 * k_t * n_t + 2 * g.rows * k_t + 4 * sums;
  return k;
}

// Cannon, MeshGEMM, SUMMA on P x P (WaferLLM Sec. 5; van de Geijn & Watts 1997 for SUMMA), the
// simulator's programs: a tile's transfer is one wavelet per element, each received at
// reduce_cycles_per_element; a tile GEMM is one vector FMAC per A element.
KernelCost shift_gemm_cost(ShiftKind kind, const ResidentGemm& g, const WaferSpec& spec) {
  KernelCost k;
  // The largest square of the rectangle that gives every PE a tile of each operand.
  const double pd = std::floor(std::min({static_cast<double>(std::min(g.p_rows, g.p_cols)), g.rows, g.inner, g.cols}));
  if (pd < 2) return k;
  const MappingParams& mp = spec.mapping;
  const double simd = static_cast<double>(spec.simd_fp16);
  const double bt = ceil_div(g.rows, pd), kt = ceil_div(g.inner, pd), ot = ceil_div(g.cols, pd);
  const double gemm = mp.task_overhead_cycles + bt * kt * fmac_cycles(ot, simd);
  const double tile = std::max(bt * kt, kt * ot);  // the larger operand tile, in elements
  const double recv = tile * mp.reduce_cycles_per_element;
  switch (kind) {
    case ShiftKind::cannon:
      // A's alignment (up to P - 1 shifts; W arrives aligned), P - 1 multiply-then-shift steps,
      // the last multiply; the head-to-tail wrap's P - 1 hops once (the ring is a pipeline).
      k.cycles = (pd - 1) * (recv + mp.hop_cycles) + (pd - 1) * (gemm + recv + mp.hop_cycles) + gemm + (pd - 1) * mp.hop_cycles;
      break;
    case ShiftKind::meshgemm:
      // The same on the interleaved ring (two hops at most), each step's shifts overlapping its
      // multiply (double buffers).
      k.cycles = (pd - 1) * (recv + 2 * mp.hop_cycles) + (pd - 1) * (std::max(gemm, recv) + 2 * mp.hop_cycles) + gemm;
      break;
    case ShiftKind::summa:
      // P steps of row and column broadcasts relayed PE by PE (pipelined: the tile plus the line's
      // hops, each relay a receive), then the multiply; no overlap.
      k.cycles = pd * (recv + (pd - 1) * (mp.hop_cycles + mp.reduce_cycles_per_element) + gemm);
      break;
  }
  k.applies = true;
  // Two fp16 buffers of each operand tile, one fp32 C tile.
  k.sram_bytes = 2 * 2 * bt * kt + 2 * 2 * kt * ot + 4 * bt * ot;
  return k;
}

}  // namespace wb::wafer
