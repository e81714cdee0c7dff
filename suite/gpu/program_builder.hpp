#pragma once
// Builds the task graph of one pipeline stage's training step (step_program.hpp): the
// schedule's forward and backward units, gradient buckets reduced as they fill, the reductions
// after the pipeline, and the optimizer (GPU Adam, or ZeRO-Offload's copies and CPU-Adam).
#include <cstdint>

#include "gpu/step_program.hpp"

namespace wb::gpu {

// How the compute stream's chains are built. `separate`: every kernel task and tensor-parallel
// all-reduce on its own, as the event simulation runs them. `fused`: for the serial fast path
// without stragglers, each chain of compute tasks and tensor-parallel all-reduces that only
// wait for one another (the layers of a unit between a receive, a ZeRO-3 gather or a
// gradient bucket and the next) is one task whose duration is the chain's, with its
// all-reduce part in Program::chain_comm; its start and end, and the critical path's
// breakdown, are those of the chain's first and last task in the separate program.
enum class ChainTasks : std::uint8_t { separate, fused };

// The program of one pipeline stage.
Program build_program(const StepSetup& setup, std::int64_t stage);
// The same into `out`, reusing its storage: a strategy search builds millions of tasks, and
// fresh vectors for each layout cost more in allocation and first-touch page faults than the
// building itself.
void build_program(const StepSetup& setup, std::int64_t stage, Program& out, ChainTasks chains = ChainTasks::separate);

// How a step reduces gradients over the data-parallel group (DeepSpeed ZeRO / PyTorch DDP /
// Megatron local DDP), for the programs and for step_time_lower_bound().
struct GradReduction {
  bool each_micro = false;   // every micro-batch's gradients, in buckets (ZeRO-2/3, offload)
  bool last_micro = false;   // the last micro-batch's, in buckets (DDP overlapped, ZeRO-1)
  bool after = false;        // one all-reduce of the stage's buffer after the pipeline
  double bucket_elems = 1e30;
  double grad_bytes = 2;     // per gradient element reduced
  Collective kind = Collective::all_reduce;
  TaskKind task = TaskKind::grad_allreduce;
};
GradReduction grad_reduction(const StepSetup& setup);

// Forward units a stage runs before its first backward (1F1B or interleaved warm-up, or all of
// them); the units after alternate forward, backward until the cool-down's backward units.
std::int64_t schedule_warmup(std::int64_t stage, std::int64_t pp, std::int64_t vp, std::int64_t micro);

}  // namespace wb::gpu
