#pragma once
// The serial fast path: the representatives' step (one GPU per pipeline stage, as
// SimMode::reduced runs it on the engine) computed without events, as the longest path through
// their joined task graph. Exact where reduced_applicable() holds.
#include <cstdint>
#include <vector>

#include "gpu/cluster_sim.hpp"

namespace wb::gpu {

// Every representative task's start and end, as the event simulation would time them.
struct FastWalk {
  std::vector<std::vector<SimTime>> start, end;  // per pipeline stage, per task
  std::vector<std::int64_t> label;               // the device each stage's representative reports as
  // Pipeline messages: the send task each receive is matched with (-1: none), per stage.
  std::vector<std::vector<std::int32_t>> source_stage, source_task;
  std::int64_t processed = 0;
};

FastWalk walk_fast(const StepSetup& st, const std::vector<Program>& programs, bool stragglers);
// The same into `w`, reusing its storage.
void walk_fast(const StepSetup& st, const std::vector<Program>& programs, bool stragglers, FastWalk& w);

// The end of each simulated step over all representatives.
std::vector<SimTime> step_ends(const StepSetup& st, const std::vector<Program>& programs, const FastWalk& w);

SimRun simulate_fast(const StepSetup& st, const std::vector<Program>& programs, bool stragglers, bool timeline);

// simulate_fast over every micro-batch on programs with fused chains (program_builder.hpp,
// ChainTasks::fused), built in storage kept on the thread: the same result with fewer tasks.
// False, with nothing done, where they do not apply: a timeline (it lists every task),
// stragglers in this run (they slow each kernel on its own) or two simulated steps (the
// measured step's window could start inside a chain).
bool simulate_fast_fused(const StepSetup& st, bool stragglers, bool timeline, SimRun& out);

}  // namespace wb::gpu
