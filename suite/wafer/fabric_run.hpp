#pragma once
// Runs one fabric case on the mesh engine over all ranks of a communicator and returns what the
// study writes: the on-chip cycles as the PE timers report them (WaferLLM's and the SDK
// benchmarks' launch scripts: max = last PE's end - first PE's start, mean = mean over PEs of end -
// start, both per timed repeat), the host's launch and readback apart, PE-cycle counters,
// throughput of the simulation, an optional busy map and, in check mode, the largest error
// against the reference product.
#include <mpi.h>

#include <cstdint>
#include <vector>

#include "sim/mesh_engine.hpp"
#include "wafer/fabric_program.hpp"

namespace wb::wafer {

struct FabricRunResult {
  sim::MeshStats stats;
  double cycles_max = 0;         // on-chip: (last PE's end - first PE's timer start) / repeats
  double cycles_mean = 0;        // on-chip: mean over PEs of (end - timer start) / repeats
  double launch_cycles = 0;      // host side, outside the timers: x in and y out over the system I/O
  std::int64_t sram_bytes_max = 0;
  std::int64_t outputs = 0;      // outputs (columns of W) simulated
  bool checked = false;
  double max_error = 0;          // check mode: max |y - y_ref| / max(sum_k |x_k W_k|, tiny)
  // Busy cycles per PE (row-major over the simulated fabric), on rank 0 when asked for.
  std::vector<std::int64_t> busy;
  int fabric_width = 0, fabric_height = 0;
};

// Host-side cycles of one kernel call that the PE timers do not see: the activations in (x) and
// the result out (y), fp16, over the system I/O at the chip clock. The launch RPC's own latency
// is not published and not included.
double host_launch_cycles(const FabricCaseSpec& spec, const WaferSpec& chip);

FabricRunResult run_fabric_case(MPI_Comm comm, const FabricCaseSpec& spec, const WaferSpec& chip,
                                const FabricModel& model, bool want_busy_map, std::int64_t max_cycles = 200000000);

}  // namespace wb::wafer
