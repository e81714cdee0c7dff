#pragma once
// Strategy search for training a model on a GPU cluster: every valid combination of data x
// tensor x pipeline parallelism, ZeRO stage, optimizer/parameter offload, micro-batch and
// activation recomputation is checked against the memory plan (gpu/memory_plan.hpp); those
// that fit are timed (gpu/time_model.hpp) and ranked by time to train (by tokens per second
// when no token count is known).
//
// Enumeration rules (what real frameworks accept): tensor parallelism divides the heads and
// stays inside a node (Megatron-LM practice, Narayanan et al. SC'21 Sec. 3.2); pipeline stages
// divide the layers evenly; DeepSpeed's pipeline engine takes ZeRO stage 1 at most; offload
// needs ZeRO >= 1 and parameter offload ZeRO-3; micro-batches are powers of two that divide the
// global batch per data-parallel rank when the workload fixes it.
#include <cstdint>
#include <vector>

#include "gpu/framework.hpp"
#include "gpu/hardware.hpp"
#include "gpu/strategy.hpp"
#include "gpu/time_model.hpp"
#include "model/transformer.hpp"
#include "model/workload.hpp"

namespace wb::gpu {

struct SearchResult {
  Strategy strategy;
  double time_to_train_s = 0;  // NaN when no token count is known
  double tokens_per_s = 0;
};

struct SearchStats {
  std::int64_t enumerated = 0;   // valid layouts considered
  std::int64_t fitting = 0;      // passed the memory plan and were timed
};

// All valid training strategies for the model on the cluster (unranked, unfiltered).
std::vector<Strategy> enumerate_strategies(const model::TransformerConfig& m, const ClusterSpec& cluster,
                                           const model::Workload& w);

// Enumerates, filters by memory, times and ranks (fastest first; ties by canonical string).
std::vector<SearchResult> search_strategies(const model::TransformerConfig& m, const ClusterSpec& cluster,
                                            const model::Workload& w, const FrameworkSpec& f, double train_tokens,
                                            const TimeOptions& opt, SearchStats* stats = nullptr);

}  // namespace wb::gpu
