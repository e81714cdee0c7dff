#pragma once
// One training step as a task graph per GPU (Megatron-LM and DeepSpeed semantics):
//
//  * streams: compute (kernels in issue order), tp (tensor-parallel all-reduces, which the
//    compute stream waits for), comm (gradient reduction), gather (parameter all-gathers,
//    prefetched under ZeRO-3), p2p (pipeline sends/receives), pcie (device<->host copies), cpu
//    (the host optimizer). A task starts when the previous task of its stream and
//    all its dependencies have finished;
//  * compute tasks: forward/backward of the layers between tensor-parallel all-reduces (one
//    task per layer when tp = 1), embedding and head, the GPU optimizer, recomputation;
//  * collectives (TP all-reduce, gradient reduce-scatter / all-reduce in buckets, ZeRO-3
//    all-gathers, embedding all-reduce) complete for every member when the last member has
//    issued them plus their alpha-beta cost;
//  * pipeline parallelism: 1F1B (PipeDream-Flush) or Megatron's interleaved 1F1B order of
//    forward/backward units per stage, with point-to-point activation/gradient messages;
//  * ZeRO-Offload: gradient partitions copied to the host per bucket, CPU-Adam on the host's
//    shared cores, fp16 parameters copied back; optionally one step delayed (two steps are then
//    simulated and the second is measured).
//
// Every device of one pipeline stage runs the same program; group members, peers and
// coordinators are resolved from the device's coordinates when the program runs, so a program
// is built once per stage.
#include <cstdint>
#include <string>
#include <vector>

#include "gpu/collective_cost.hpp"
#include "gpu/framework.hpp"
#include "gpu/hardware.hpp"
#include "gpu/op_cost.hpp"
#include "gpu/strategy.hpp"
#include "model/transformer.hpp"
#include "model/workload.hpp"
#include "sim/event.hpp"

namespace wb::gpu {

using sim::SimTime;

enum class Stream : std::uint8_t { compute, tp, comm, gather, p2p, pcie, cpu };
inline constexpr int kStreams = 7;
const char* timeline_stream(Stream s);  // compute | comm | pcie | cpu

enum class Resource : std::uint8_t { local, collective, send, recv, pcie, cpu };
enum class GroupKind : std::uint8_t { none, tp, dp, embed };
inline constexpr int kGroupKinds = 4;

enum class TaskKind : std::uint8_t {
  overhead, embed_fwd, fwd, attn_fwd, mlp_fwd, head_fwd, head_bwd, recompute, bwd, attn_bwd, mlp_bwd, embed_bwd,
  tp_allreduce, grad_reduce, grad_allreduce, param_allgather, embed_allreduce, send_act, recv_act, send_grad,
  recv_grad, d2h_grads, h2d_params, cpu_adam, gpu_adam
};
const char* to_string(TaskKind k);

// What a task's time counts as in the step breakdown.
enum class Category : std::uint8_t { compute, comm, offload, cpu, bubble };

struct Task {
  SimTime duration = 0;        // local: run time; send: transfer time; collective: cost once all arrived
  double work = 0;             // pcie: bytes; cpu: parameters to update
  std::int64_t tag = 0;        // collective: sequence within its group kind; send/recv: message tag
  std::int32_t peer_stage = -1;  // send: destination pipeline stage
  std::uint32_t dep_begin = 0;   // into Program::deps
  std::uint16_t dep_count = 0;
  std::uint8_t step = 0;         // which simulated step (0-based)
  Stream stream = Stream::compute;
  Resource resource = Resource::local;
  GroupKind group = GroupKind::none;
  TaskKind kind = TaskKind::fwd;
  bool scales = false;           // a compute task: slowed by the device's straggler factor
  bool to_host = false;          // pcie: device -> host
  Collective coll = Collective::all_reduce;  // collective: which one (work = its buffer in bytes)
  std::uint8_t calls = 1;        // collective: separate calls it is issued in (each pays the latency)
  std::uint8_t phase = 0;        // 0 forward, 1 backward, 2 optimizer (a framework's step timers)
};

Category category_of(const Task& t);

struct Program {
  std::vector<Task> tasks;
  std::vector<std::uint32_t> deps;        // explicit dependencies (task indices)
  // Successors (explicit dependents and the next task of the same stream), CSR.
  std::vector<std::uint32_t> succ_begin;  // size tasks + 1
  std::vector<std::uint32_t> succ;
  std::vector<std::uint16_t> pending;     // predecessors each task waits for
  std::vector<std::int32_t> stream_prev;  // previous task on the same stream (-1: none)
  // Collective task index per group kind and sequence number.
  std::vector<std::uint32_t> collective_task[kGroupKinds];
  // First task of each forward/backward unit of the first step, in schedule order, and one past
  // the last unit's tasks (the pipeline's periodic structure, gpu/steady_state.hpp).
  std::vector<std::uint32_t> unit_begin;
  // Fused programs (build_program with ChainTasks::fused, for the serial fast path only): a
  // compute task may stand for a chain of kernels and tensor-parallel all-reduces that run one
  // after another. Per task, the part of its duration those all-reduces take (exposed
  // communication in the breakdown) and how many tasks of the separate program it stands for.
  // Empty for a program of separate tasks.
  std::vector<SimTime> chain_comm;
  std::vector<std::uint32_t> chain_tasks;
  bool fused() const { return !chain_tasks.empty(); }
  void finish();  // builds successors and pending counts
  void clear();   // empties it, keeping the storage for the next program
};

// Everything about a scenario the programs and the simulator need, computed once.
struct StepSetup {
  const model::TransformerConfig* model = nullptr;
  ClusterSpec cluster;
  Strategy strategy;
  const FrameworkSpec* framework = nullptr;
  Fabric fabric;
  std::int64_t seq = 0;
  std::int64_t devices = 1, dp = 1, tp = 1, pp = 1, vp = 1, micro_batch = 1, grad_accum = 1;
  std::int64_t global_batch = 1;
  std::int64_t steps = 1;            // simulated steps (2 with delayed update)
  std::vector<std::int64_t> stage_layers;  // layers per pipeline stage (per chunk when vp > 1)
  // Durations (picoseconds, at nominal device speed).
  SimTime attn_fwd = 0, mlp_fwd = 0, attn_bwd = 0, mlp_bwd = 0, core_fwd = 0;
  SimTime embed_fwd = 0, embed_bwd = 0, head_fwd = 0, head_bwd = 0, overhead = 0, micro_overhead = 0;
  // The same kernels while an overlapped data-parallel collective holds SMs and HBM bandwidth
  // (GpuPerf::collective_sms); equal to the above when that is not modelled.
  struct Contended {
    SimTime attn_fwd = 0, mlp_fwd = 0, attn_bwd = 0, mlp_bwd = 0, core_fwd = 0;
    SimTime embed_fwd = 0, embed_bwd = 0, head_fwd = 0, head_bwd = 0;
  } contended;
  SimTime tp_allreduce = 0;
  double tp_allreduce_bytes = 0;
  SimTime p2p_same_node = 0, p2p_cross_node = 0;
  SimTime p2p_handshake = 0;         // DeepSpeed's paired sends: the receiver's "ready" to the sender
  double layer_params = 0;           // per tensor-parallel rank
  double layer_submodules = 1;       // modules with parameters in a layer (norms, projections)
  int layer_gather_calls = 1;        // ZeRO-3 all-gather calls of one layer's parameters
  double embedding_params = 0;       // token (+ position) embedding, per tp rank
  double head_params = 0;            // untied output layer + final norm, per tp rank
  double stage_params_max = 0;
  GroupShape tp_shape, dp_shape, embed_shape;
  // Host resources.
  double pcie_bandwidth = 0;         // achievable, per GPU link
  double cpu_params_per_s = 0;       // CPU-Adam rate of the whole node
  SimTime pcie_latency = 0;
  std::int64_t gpus_per_node = 1, gpus_per_switch = 1, nodes = 1;
  bool offload = false;
  // Reliability / stragglers.
  double straggler_cv = 0;
  std::uint64_t seed = 1;
  // The stage each device is in, etc.
  std::int64_t stage_of(std::int64_t device) const { return device / (dp * tp); }
  std::int64_t dp_rank_of(std::int64_t device) const { return (device / tp) % dp; }
  std::int64_t tp_rank_of(std::int64_t device) const { return device % tp; }
  std::int64_t device_of(std::int64_t stage, std::int64_t dp_rank, std::int64_t tp_rank) const {
    return stage * dp * tp + dp_rank * tp + tp_rank;
  }
  std::int64_t node_of(std::int64_t device) const { return device / gpus_per_node; }
  double stage_params(std::int64_t stage) const;  // per tp rank
  // Shape of the group of kind g that `device` belongs to (stage boundaries may cut nodes, so
  // groups of one kind need not all look like the representative's).
  GroupShape group_shape(GroupKind g, std::int64_t device) const;
  const GroupShape& representative_shape(GroupKind g) const {
    return g == GroupKind::tp ? tp_shape : g == GroupKind::dp ? dp_shape : embed_shape;
  }
};

// Seconds to picoseconds, at least 1 ps for any positive duration.
SimTime duration_ps(double seconds);

inline bool operator==(const GroupShape& a, const GroupShape& b) {
  return a.members == b.members && a.nodes == b.nodes && a.per_node == b.per_node;
}

// Builds the setup; throws std::invalid_argument when the strategy cannot run (batch not
// divisible, interleaving without enough micro-batches, missing performance data, ...).
StepSetup make_step_setup(const model::TransformerConfig& m, const ClusterSpec& cluster, const Strategy& s,
                          const model::Workload& w, const FrameworkSpec& f, double straggler_cv, std::uint64_t seed);

// A lower bound on the simulated step (picoseconds), without building the programs: the largest,
// over stages, of chains of tasks that must run one after another —
//  * the compute stream (with the tensor-parallel all-reduces and, under DeepSpeed's pipeline
//    engine, the sends it waits for) and the update;
//  * the gradient reductions on the comm stream, after the compute the first waits for, then
//    the update and ZeRO-1/2's all-gathers (what dominates large data-parallel groups);
//  * ZeRO-3's parameter all-gathers on the gather stream, then the update;
//  * 1F1B's fill and drain: micro-batch 0's forward through the stages before, the stage's own
//    units, the last micro-batch's backward through the stages before, stage 0's update.
// Every chain uses the costs the programs use (each stage's own data-parallel group), so the bound
// never exceeds the step (tested on every layout of a grid of models and GPU counts).
// Stragglers only lengthen tasks, so it bounds those runs too. With the delayed update (two
// steps simulated, the second measured) it is the trivial 1 ps.
SimTime step_time_lower_bound(const StepSetup& setup);

// A send that carries no data: the receiver's handshake under DeepSpeed's paired sends (its
// duration is the message latency, not a transfer).
inline bool is_handshake(const Task& t) {
  return t.resource == Resource::send && (t.kind == TaskKind::recv_act || t.kind == TaskKind::recv_grad);
}

// Message tag of a pipeline transfer (direction 0 activations, 1 gradients; 2 and 3 the
// receiver's handshake for them under DeepSpeed's paired sends).
std::int64_t message_tag(std::int64_t step, int direction, std::int64_t micro, std::int64_t chunk,
                         std::int64_t micro_batches, std::int64_t chunks);

}  // namespace wb::gpu
