#pragma once
// The analytic costs of the wafer kernels that keep both operands on the PEs (WaferLLM, He et al.,
// OSDI'25): MeshGEMV (the input resident on every PE of its row, a local GEMV, a two-level K-tree
// reduction along the column and the result broadcast back) and the shift GEMMs on a P x P grid
// (Cannon, MeshGEMM, SUMMA). Each mirrors the program the fabric simulator runs
// (suite/wafer/fabric_*_programs.cpp) step for step, with the analytic mapping's per-element and
// per-task costs (docs/wafer-model.md, "Kernels"); the SRAM each needs per PE decides whether the
// wafer model may pick it.
#include <cstdint>

#include "wafer/wafer_spec.hpp"

namespace wb::wafer {

// rows x inner times inner x cols on a grid; p_rows x p_cols for MeshGEMV (inner over the rows),
// the largest square that fits the rectangle and the dimensions for the shift GEMMs.
struct ResidentGemm {
  double rows = 0, inner = 0, cols = 0;
  double weight_density = 1;  // MeshGEMV skips zero weights in its FMACs
  std::int64_t p_rows = 0, p_cols = 0;
};

enum class ShiftKind { cannon, meshgemm, summa };

// Cycles and SRAM bytes of the fullest PE; a kernel that does not apply to the shape (a grid side
// longer than a dimension) returns no value.
struct KernelCost {
  bool applies = false;
  double cycles = 0;
  double sram_bytes = 0;
};

KernelCost meshgemv_cost(const ResidentGemm& g, const WaferSpec& spec);
KernelCost shift_gemm_cost(ShiftKind kind, const ResidentGemm& g, const WaferSpec& spec);

// SRAM per PE a kernel's operands and buffers may use: the PE's SRAM less what program code,
// stacks and routing hold (mapping.sram_reserved_per_pe); 48 KB - 8 KB = 40 KB on CS-2 and CS-3.
double kernel_sram_budget(const WaferSpec& spec);

// MeshGEMV's first-level group on p rows, as the simulator's default: round(sqrt(p)).
std::int64_t ktree_group(std::int64_t p);

}  // namespace wb::wafer
