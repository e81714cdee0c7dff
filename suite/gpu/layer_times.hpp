#pragma once
// Per-layer times of one micro-batch on one GPU of a training step, as the step programs cost
// them: each layer's forward and backward kernels (recomputation in the backward), the
// tensor-parallel collectives the compute stream waits for inside the layer, and ZeRO-3's
// all-gathers of its parameters, with the pipeline stage that holds it.
#include <cstdint>
#include <string>
#include <vector>

#include "gpu/step_program.hpp"

namespace wb::gpu {

struct LayerTime {
  std::int64_t layer = 0;    // 0 embedding, 1..L decoder layers, L + 1 the head
  std::string name;          // embedding, layer<i> (0-based), lm_head
  std::int64_t stage = 0;    // pipeline stage holding it
  double forward_s = 0;      // its forward kernels, one micro-batch
  double backward_s = 0;     // data and weight gradients, with what recomputation runs again
  double tp_comm_s = 0;      // tensor-parallel collectives inside it, forward and backward
  double gather_s = 0;       // ZeRO-3 all-gathers of its parameters, forward and backward
  double contended_s = 0;    // forward + backward with a data-parallel collective beside them
};

std::vector<LayerTime> layer_times(const StepSetup& setup);

}  // namespace wb::gpu
