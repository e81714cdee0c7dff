#pragma once
// Runs one fabric case on the mesh engine over all ranks of a communicator and returns what the
// study writes: cycle counts (last PE and mean PE completion, plus the chip's fixed per-kernel
// cost), PE-cycle counters, throughput of the simulation, an optional busy map and, in check mode,
// the largest error against the reference product.
#include <mpi.h>

#include <cstdint>
#include <vector>

#include "sim/mesh_engine.hpp"
#include "wafer/fabric_program.hpp"

namespace wb::wafer {

struct FabricRunResult {
  sim::MeshStats stats;
  std::int64_t cycles_max = 0;   // last PE done + launch_overhead
  double cycles_mean = 0;        // mean PE completion + launch_overhead
  std::int64_t sram_bytes_max = 0;
  std::int64_t outputs = 0;      // outputs (columns of W) simulated
  bool checked = false;
  double max_error = 0;          // check mode: max |y - y_ref| / max(sum_k |x_k W_k|, tiny)
  // Busy cycles per PE (row-major over the simulated fabric), on rank 0 when asked for.
  std::vector<std::int64_t> busy;
  int fabric_width = 0, fabric_height = 0;
};

FabricRunResult run_fabric_case(MPI_Comm comm, const FabricCaseSpec& spec, const WaferSpec& chip,
                                const FabricModel& model, bool want_busy_map, std::int64_t max_cycles = 200000000);

}  // namespace wb::wafer
