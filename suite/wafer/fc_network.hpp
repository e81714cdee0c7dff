#pragma once
// A stack of equal fully connected layers trained layer-pipelined on one wafer: the network of
// the CS-1 sparsity measurements (Hot Chips 32, 2020). Each layer gets an equal region of the
// program rectangle; the step time is set by one layer's stage, so speed-ups are ratios of one
// stage's cycles per token.
#include <cstdint>

#include "wafer/cycle_model.hpp"

namespace wb::wafer {

struct FcNetwork {
  std::int64_t layers = 0;
  std::int64_t width = 0;       // inputs = outputs of every layer
  double weight_density = 1;    // 1 - unstructured weight sparsity
  double activation_density = 1;  // fraction of non-zero activations (and of gradients behind ReLU)
  bool training = true;         // forward + data gradient + weight gradient; else forward only
};

// A rectangle of about `area` PEs with the program rectangle's aspect.
Rect region_of(std::int64_t area, const WaferSpec& spec);

// Cycles of one layer's stage per token in steady state.
double fc_cycles_per_token(const FcNetwork& net, const CycleModel& cycles);

}  // namespace wb::wafer
