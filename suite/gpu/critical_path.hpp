#pragma once
// Where a simulated step's time went: the critical path of one device's step, walked back from
// its last task through each task's binding predecessor, by category and phase.
#include <cstdint>
#include <vector>

#include "gpu/cluster_sim.hpp"
#include "gpu/step_program.hpp"

namespace wb::gpu {

// The parts sum to the end of `step` minus window_start exactly.
StepBreakdown critical_path_breakdown(const Program& prog, const std::vector<SimTime>& start,
                                      const std::vector<SimTime>& end, std::uint8_t step, SimTime window_start);

}  // namespace wb::gpu
