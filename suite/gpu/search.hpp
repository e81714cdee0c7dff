#pragma once
// Strategy search for training a model on a GPU cluster: every valid combination of data x
// tensor x pipeline parallelism, ZeRO stage, optimizer/parameter offload, micro-batch and
// activation recomputation is checked against the memory plan (gpu/memory_plan.hpp); those
// that fit are timed (gpu/time_model.hpp) and ranked by time to train (by tokens per second
// when no token count is known).
//
// Enumeration rules (what real frameworks accept): tensor parallelism divides the heads and
// stays inside a node (Megatron-LM practice, Narayanan et al. SC'21 Sec. 3.2); pipeline stages
// divide the layers evenly; offload needs ZeRO >= 1 and parameter offload ZeRO-3; micro-batches
// are powers of two that divide the global batch per data-parallel rank when the workload fixes
// it; interleaved pipelines (vp<N>) cut each stage into N chunks of whole layers and need the
// micro-batches in groups of pp; and the framework must run the layout (its `supports:`: Megatron-LM no ZeRO-2/3 nor
// offload, DeepSpeed's pipeline engine ZeRO-1 at most, FSDP no tensor or pipeline parallelism).
#include <cstdint>
#include <vector>

#include "gpu/framework.hpp"
#include "gpu/hardware.hpp"
#include "gpu/strategy.hpp"
#include "gpu/time_model.hpp"
#include "model/transformer.hpp"
#include "model/workload.hpp"

namespace wb::gpu {

// What the user allows the search (a study's `search:` constraints), on top of what the
// framework supports: the best layout *their* setup can run.
struct SearchConstraints {
  std::vector<int> zero_stages;   // empty: any the framework supports
  std::int64_t tp_max = 0;        // 0: no limit
  std::int64_t pp_max = 0;        // 0: no limit
  bool offload = true;            // false: no optimizer or parameter offload
};
bool allows(const SearchConstraints& c, const Strategy& s);

struct SearchResult {
  Strategy strategy;
  double time_to_train_s = 0;  // NaN when no token count is known
  double tokens_per_s = 0;
};

struct SearchStats {
  std::int64_t enumerated = 0;   // valid layouts considered
  std::int64_t fitting = 0;      // passed the memory plan (and, in search_strategies, were timed)
  std::int64_t timed = 0;        // step simulated (search_best skips those its bound rules out)
};

// All valid training strategies for the model on the cluster (unranked, not filtered by memory);
// with a framework, only those it supports, and only those the constraints allow.
std::vector<Strategy> enumerate_strategies(const model::TransformerConfig& m, const ClusterSpec& cluster,
                                           const model::Workload& w, const FrameworkSpec* f = nullptr,
                                           const SearchConstraints& c = {});

// Enumerates, filters by memory, times and ranks (fastest first; ties by canonical string).
std::vector<SearchResult> search_strategies(const model::TransformerConfig& m, const ClusterSpec& cluster,
                                            const model::Workload& w, const FrameworkSpec& f, double train_tokens,
                                            const TimeOptions& opt, SearchStats* stats = nullptr,
                                            const SearchConstraints& c = {});

// The fastest strategy only, found without timing every candidate: each layout that fits gets a
// lower bound on its step (gpu::step_time_lower_bound: each stage's compute stream, its gradient
// reductions and ZeRO-3 gathers one after another, the pipeline's fill and drain), candidates are timed in order of their bound, and the search stops
// when no remaining bound can beat the best step found. The answer is the one search_strategies
// ranks first (same order, same tie-break). Candidates are compared on the straggler-free step
// (opt.stragglers is ignored), which every symmetric layout computes on the exact fast path.
struct BestStrategy {
  bool found = false;            // a layout fits and was timed
  SearchResult best;             // when found
  bool any_layout = false;       // some valid layout exists (fitting or not)
  Strategy smallest;             // when nothing fits: the layout with the smallest device footprint
  SearchStats stats;
};
BestStrategy search_best(const model::TransformerConfig& m, const ClusterSpec& cluster, const model::Workload& w,
                         const FrameworkSpec& f, double train_tokens, const TimeOptions& opt,
                         const SearchConstraints& c = {});

}  // namespace wb::gpu
