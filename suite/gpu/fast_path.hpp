#pragma once
// The serial fast path: the representatives' step (one GPU per pipeline stage, as
// SimMode::reduced runs it on the engine) computed without events, as the longest path through
// their joined task graph. Exact where reduced_applicable() holds.
#include "gpu/cluster_sim.hpp"

namespace wb::gpu {

SimRun simulate_fast(const StepSetup& st, const std::vector<Program>& programs, bool stragglers, bool timeline);

}  // namespace wb::gpu
