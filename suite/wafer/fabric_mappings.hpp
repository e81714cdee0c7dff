#pragma once
// The program generators of the fabric mappings, one family per file (internal to suite/wafer):
// fabric_gemv_programs.cpp (chain, allreduce, meshgemv), fabric_stream_program.cpp (weight
// streaming), fabric_shift_programs.cpp (cannon, meshgemm, summa). Each fills prog.mesh (colours,
// SRAM words, routes, programs, setup), prog.outputs, prog.steps and, in check mode, prog.results;
// build_fabric_program has validated the case and set the rest.
#include "wafer/fabric_program.hpp"

namespace wb::wafer::fabric {

void build_stationary_gemv(const FabricCaseSpec& spec, FabricProgram& prog);
void build_weight_streaming(const FabricCaseSpec& spec, FabricProgram& prog);
void build_shift_gemm(const FabricCaseSpec& spec, FabricProgram& prog);

// First-level group size of MeshGEMV's K-tree on p_rows rows (spec.group, or round(sqrt(p_rows))).
std::int64_t meshgemv_group(const FabricCaseSpec& spec);

}  // namespace wb::wafer::fabric
