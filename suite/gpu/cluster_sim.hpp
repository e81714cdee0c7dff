#pragma once
// The GPU cluster on the PDES engine (sim/pdes.hpp): its logical processes (one per GPU, four
// per node) are in cluster_lps.hpp. LPs are dealt to ranks by node, so only inter-node messages
// cross ranks; the lookahead is the smallest delay that crosses nodes (half a cross-node
// collective's cost or a cross-node pipeline transfer).
//
// Three ways to run the same step:
//   full     every GPU and node, over an MPI communicator (any rank count, identical results);
//   reduced  one representative GPU per pipeline stage (data-parallel replica 0, tensor rank 0)
//            with the nodes that host them, serially. Members of a symmetric group all issue a
//            collective at the same time, so the collective ends at the representative's own
//            issue time plus its cost; a representative's host jobs carry the weight of the k
//            identical GPUs sharing the resource. It is exact (bit-identical times) whenever
//            the symmetry holds, which reduced_applicable() decides;
//   fast     the reduced step without the event engine: the serial fast path. Tests compare
//            all three.
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gpu/step_program.hpp"

namespace wb::gpu {

struct TimelineRow {
  std::int64_t device = 0;
  Stream stream = Stream::compute;
  TaskKind kind = TaskKind::fwd;
  SimTime start = 0, end = 0;
};

// Picoseconds of the measured step along its critical path, by category (sum = step time).
struct StepBreakdown {
  SimTime compute = 0, comm = 0, offload = 0, cpu = 0, bubble = 0;
  SimTime phase[3] = {0, 0, 0};  // the same path by phase: forward, backward, optimizer
  SimTime total() const { return compute + comm + offload + cpu + bubble; }
};

struct SimRun {
  SimTime step_time = 0;  // last simulated step, from the end of the previous one
  StepBreakdown breakdown;
  std::int64_t critical_device = 0;
  std::vector<TimelineRow> timeline;  // representative devices only, when asked for
  std::int64_t events = 0;            // processed, all ranks
  std::int64_t rounds = 0;            // synchronisation rounds
  std::int64_t lps = 0;
  std::int64_t max_queue = 0;         // most events pending on one rank at once
  std::int64_t remote_events = 0;     // events sent between ranks
  std::int64_t exchanges = 0;         // rounds in which events crossed ranks
  double wall_s = 0;
  double handle_cpu_s = 0;            // CPU time handling events, the busiest rank (no MPI waits)
  double critical_handle_cpu_s = 0;   // sum over rounds of the busiest rank's (sim::EngineStats)
  // The fast path: micro-batches whose tasks were walked; fewer than the step's when the steady
  // state was extrapolated (gpu/steady_state.hpp), which steady_state then says.
  std::int64_t micro_batches_walked = 0;
  bool steady_state = false;
};

// full: the PDES over all LPs; reduced: the PDES over the representatives; fast: the same
// representatives' step computed without events, as the longest path through their task graph
// (every start is the latest end of its predecessors, exactly what the event simulation does),
// the serial fast path a strategy search uses.
enum class SimMode { full, reduced, fast };

// Per-device time factor (>= 0.5): 1 + cv z with z standard normal drawn from (seed, device).
double straggler_factor(const StepSetup& st, std::int64_t device);

// Whether the reduced simulation reproduces the full one exactly; `why` says what breaks it.
bool reduced_applicable(const StepSetup& st, bool stragglers, std::string* why = nullptr);

// Programs of every stage, built once and shared by runs.
std::vector<Program> build_programs(const StepSetup& st);

// Simulates the step. `comm` is used by the full mode only (collective over it; every rank gets
// the same SimRun).
SimRun simulate(const StepSetup& st, const std::vector<Program>& programs, SimMode mode, bool stragglers,
                bool timeline, MPI_Comm comm);

}  // namespace wb::gpu
