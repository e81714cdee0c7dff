#pragma once
// Training a decoder-only transformer on N wafer-scale systems: does it fit, how long is a step,
// how long is training. Two placements:
//   weight streaming  activations stay on the wafer; each layer's weights stream in from MemoryX
//                     for the forward pass and again for the backward pass, weight gradients
//                     stream out, the optimizer runs in MemoryX; a layer takes the larger of its
//                     wafer compute and its streaming time; SwarmX broadcasts weights to the N
//                     systems and sums their gradients on the way back (a tree);
//   layer-pipelined   weights, gradients, optimizer state and in-flight activations in SRAM;
//                     each layer a region of PEs in proportion to its work; throughput set by the
//                     slowest stage, plus the fill and drain of the pipeline; gradients of N
//                     systems summed through SwarmX at the end of the step.
// Every formula and its source: docs/wafer-model.md.
#include <cstdint>
#include <string>
#include <vector>

#include "model/transformer.hpp"
#include "sim/reliability.hpp"
#include "wafer/cycle_model.hpp"
#include "wafer/layer_ops.hpp"
#include "wafer/wafer_spec.hpp"
#include "wafer/wafer_strategy.hpp"

namespace wb::wafer {

struct WaferRun {
  const model::TransformerConfig* model = nullptr;
  const WaferSpec* spec = nullptr;
  std::int64_t systems = 1;
  std::int64_t seq = 0;
  std::int64_t global_batch = 0;  // sequences per optimizer step, all systems together
  double tokens = 0;              // tokens to train on
  WaferStrategy strategy;
};

// One row of /wafer_layers: one kind of work of one layer over a whole step (all passes).
struct LayerRow {
  std::int64_t layer = 0;  // 0 embedding, 1..L decoder layers, L+1 the head
  std::string name;
  std::string kind;        // fwd | recompute | bwd | wgrad
  double cycles = 0;       // wafer compute cycles
  double compute_s = 0;
  double stream_s = 0;     // its own MemoryX/SwarmX transfer (weights in or gradients out)
  double time_s = 0;       // compute_s plus its share of the streaming its layer group cannot hide
  std::string bound;       // compute | streaming: which bounds the row's layer group
  std::string source;      // analytic | fabric | fabric+analytic
  std::string kernels;     // the kernels chosen for the row's products ("meshgemm+chain"; cycle_source.hpp)
};

struct SramUse {
  double params = 0, grads = 0, optimizer = 0, activations = 0, buffers = 0;
  double total() const { return params + grads + optimizer + activations + buffers; }
};

struct WaferStep {
  Placement placement = Placement::weight_streaming;
  bool fits = false;
  std::string why_not;  // when it does not fit
  model::Recompute recompute = model::Recompute::none;
  std::int64_t per_system_batch = 0;  // sequences per system per step
  std::int64_t micro_batch = 0;       // sequences per system per pass
  std::int64_t passes = 0;            // passes per step (gradient accumulation)
  std::int64_t stages = 0;            // layer-pipelined: pipeline stages
  SramUse sram;
  double sram_capacity = 0;
  double memoryx_bytes = 0;           // weight streaming: parameter store in MemoryX
  double memoryx_capacity = 0;
  std::vector<LayerRow> rows;
  // The step and its parts, which sum to step_s.
  double step_s = 0;
  double compute_s = 0;        // wafer compute (layer-pipelined: slowest stage x passes, optimizer)
  double exposed_comm_s = 0;   // streaming not hidden by compute, SwarmX latency and exchange
  double optimizer_s = 0;      // MemoryX optimizer update not hidden by the last backward pass
  double bubble_s = 0;         // layer-pipelined fill and drain
  std::string bound;           // compute | streaming | io: the largest share of the step
  std::string compute_source;  // analytic | fabric | fabric+analytic
};

struct WaferTraining {
  WaferStep step;
  double tokens_per_s = 0;        // failure-free
  double steps = 0;
  sim::RunTime run;               // with checkpoints, failures and restarts
  double scaling_efficiency = 1;  // step time on 1 system / (N x step time on N), same global batch
  double system_seconds = 0;
  double checkpoint_s = 0;
  double job_mtbf_s = 0;
};

// Weights (and activations) in SRAM for weight streaming with `micro_batch` sequences per pass.
SramUse sram_weight_streaming(const model::TransformerConfig& m, std::int64_t seq, std::int64_t micro_batch,
                              model::Recompute recompute, const WaferSpec& spec);
// Everything in SRAM for layer-pipelined training with `passes` micro-batches per step.
SramUse sram_layer_pipelined(const model::TransformerConfig& m, std::int64_t seq, std::int64_t micro_batch,
                             std::int64_t passes, model::Recompute recompute, const WaferSpec& spec,
                             double weight_density);

// Depth of the SwarmX tree joining n systems (0 for one system).
std::int64_t swarmx_depth(std::int64_t systems, std::int64_t fanout);

// The step for a given placement, micro-batch and recompute choice (no search).
WaferStep step_weight_streaming(const WaferRun& run, const CycleModel& cycles, std::int64_t micro_batch,
                                model::Recompute recompute);
WaferStep step_layer_pipelined(const WaferRun& run, const CycleModel& cycles, std::int64_t micro_batch,
                               model::Recompute recompute);

// Chooses placement (when auto), micro-batch (when not given) and activation recompute: the
// fastest step that fits; when nothing fits, the smallest footprint, marked as not fitting.
WaferStep plan_step(const WaferRun& run, const CycleModel& cycles);

// The whole run: the step, tokens/s, failures and restarts, scaling efficiency, system-hours.
WaferTraining plan_training(const WaferRun& run, const CycleModel& cycles);

}  // namespace wb::wafer
