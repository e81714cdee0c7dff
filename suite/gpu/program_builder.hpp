#pragma once
// Builds the task graph of one pipeline stage's training step (step_program.hpp): the
// schedule's forward and backward units, gradient buckets reduced as they fill, the reductions
// after the pipeline, and the optimizer (GPU Adam, or ZeRO-Offload's copies and CPU-Adam).
#include <cstdint>

#include "gpu/step_program.hpp"

namespace wb::gpu {

// The program of one pipeline stage.
Program build_program(const StepSetup& setup, std::int64_t stage);

}  // namespace wb::gpu
