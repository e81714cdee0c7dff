#include "gpu/step_program.hpp"

#include "gpu/program_builder.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace wb::gpu {

using sim::to_sim_time;

const char* timeline_stream(Stream s) {
  switch (s) {
    case Stream::compute: return "compute";
    case Stream::tp:
    case Stream::comm:
    case Stream::gather:
    case Stream::p2p: return "comm";
    case Stream::pcie: return "pcie";
    case Stream::cpu: return "cpu";
  }
  return "?";
}

const char* to_string(TaskKind k) {
  switch (k) {
    case TaskKind::overhead: return "overhead";
    case TaskKind::embed_fwd: return "embed_fwd";
    case TaskKind::fwd: return "fwd";
    case TaskKind::attn_fwd: return "attn_fwd";
    case TaskKind::mlp_fwd: return "mlp_fwd";
    case TaskKind::head_fwd: return "head_fwd";
    case TaskKind::head_bwd: return "head_bwd";
    case TaskKind::recompute: return "recompute";
    case TaskKind::bwd: return "bwd";
    case TaskKind::attn_bwd: return "attn_bwd";
    case TaskKind::mlp_bwd: return "mlp_bwd";
    case TaskKind::embed_bwd: return "embed_bwd";
    case TaskKind::tp_allreduce: return "tp_allreduce";
    case TaskKind::grad_reduce: return "grad_reduce_scatter";
    case TaskKind::grad_allreduce: return "grad_allreduce";
    case TaskKind::param_allgather: return "param_allgather";
    case TaskKind::embed_allreduce: return "embed_allreduce";
    case TaskKind::send_act: return "send_act";
    case TaskKind::recv_act: return "recv_act";
    case TaskKind::send_grad: return "send_grad";
    case TaskKind::recv_grad: return "recv_grad";
    case TaskKind::d2h_grads: return "d2h_grads";
    case TaskKind::h2d_params: return "h2d_params";
    case TaskKind::cpu_adam: return "cpu_adam";
    case TaskKind::gpu_adam: return "gpu_adam";
  }
  return "?";
}

Category category_of(const Task& t) {
  switch (t.resource) {
    case Resource::local: return t.stream == Stream::p2p ? Category::bubble : Category::compute;
    case Resource::collective: return Category::comm;
    case Resource::send: return Category::comm;
    case Resource::recv: return Category::bubble;
    case Resource::pcie: return Category::offload;
    case Resource::cpu: return Category::cpu;
  }
  return Category::compute;
}

void Program::finish() {
  const std::size_t n = tasks.size();
  // Successors in CSR: counted into succ_begin[i + 1], summed, then filled with succ_begin[i]
  // as the cursor of task i's list and shifted back (no scratch arrays: a search builds
  // thousands of programs).
  succ_begin.assign(n + 1, 0);
  pending.resize(n);
  std::int64_t last_on[kStreams];
  std::fill(std::begin(last_on), std::end(last_on), -1);
  stream_prev.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Task& t = tasks[i];
    const int s = static_cast<int>(t.stream);
    stream_prev[i] = static_cast<std::int32_t>(last_on[s]);
    last_on[s] = static_cast<std::int64_t>(i);
    std::uint16_t p = t.dep_count;
    for (std::uint32_t d = t.dep_begin; d < t.dep_begin + t.dep_count; ++d) {
      if (deps[d] >= i) throw std::logic_error("Program: a task depends on a later task");
      ++succ_begin[deps[d] + 1];
    }
    if (stream_prev[i] >= 0) {
      ++succ_begin[static_cast<std::size_t>(stream_prev[i]) + 1];
      ++p;
    }
    pending[i] = p;
  }
  for (std::size_t i = 0; i < n; ++i) succ_begin[i + 1] += succ_begin[i];
  succ.resize(succ_begin[n]);
  for (std::size_t i = 0; i < n; ++i) {
    const Task& t = tasks[i];
    for (std::uint32_t d = t.dep_begin; d < t.dep_begin + t.dep_count; ++d) succ[succ_begin[deps[d]]++] = static_cast<std::uint32_t>(i);
    if (stream_prev[i] >= 0) succ[succ_begin[static_cast<std::size_t>(stream_prev[i])]++] = static_cast<std::uint32_t>(i);
  }
  for (std::size_t i = n; i > 0; --i) succ_begin[i] = succ_begin[i - 1];
  succ_begin[0] = 0;
}

void Program::clear() {
  tasks.clear();
  deps.clear();
  succ_begin.clear();
  succ.clear();
  pending.clear();
  stream_prev.clear();
  for (auto& c : collective_task) c.clear();
  unit_begin.clear();
  chain_comm.clear();
  chain_tasks.clear();
}

std::int64_t message_tag(std::int64_t step, int direction, std::int64_t micro, std::int64_t chunk,
                         std::int64_t micro_batches, std::int64_t chunks) {
  return ((step * 4 + direction) * micro_batches + micro) * chunks + chunk;
}

double StepSetup::stage_params(std::int64_t stage) const {
  double p = 0;
  for (std::int64_t c = 0; c < vp; ++c) p += static_cast<double>(stage_layers[static_cast<std::size_t>(c * pp + stage)]) * layer_params;
  if (stage == 0) p += embedding_params;
  if (stage == pp - 1) p += head_params;
  return p;
}

namespace {

SimTime ps(double seconds) { return duration_ps(seconds); }

}  // namespace

SimTime duration_ps(double seconds) {
  const SimTime t = to_sim_time(seconds);
  return seconds > 0 && t == 0 ? 1 : t;
}

GroupShape StepSetup::group_shape(GroupKind g, std::int64_t device) const {
  const std::int64_t stage = stage_of(device), d = dp_rank_of(device), r = tp_rank_of(device);
  // Members are in increasing device order, so the nodes they sit on are too: count the changes.
  std::int64_t first = 0, stride = 1, n = 1;
  switch (g) {
    case GroupKind::tp: first = device_of(stage, d, 0), stride = 1, n = tp; break;
    case GroupKind::dp: first = device_of(stage, 0, r), stride = tp, n = dp; break;
    case GroupKind::embed: first = device_of(0, d, r), stride = device_of(pp - 1, d, r) - first, n = pp > 1 ? 2 : 1; break;
    case GroupKind::none: first = device; break;
  }
  GroupShape shape;
  shape.members = n;
  std::int64_t spanned = 0, last = -1;
  for (std::int64_t k = 0; k < n; ++k) {
    const std::int64_t node = (first + k * stride) / gpus_per_node;
    if (node != last) {
      ++spanned;
      last = node;
    }
  }
  shape.nodes = spanned;
  shape.per_node = (n + spanned - 1) / spanned;
  return shape;
}

StepSetup make_step_setup(const model::TransformerConfig& m, const ClusterSpec& cluster, const Strategy& s,
                          const model::Workload& w, const FrameworkSpec& f, double straggler_cv, std::uint64_t seed) {
  if (!cluster.gpu.perf)
    throw std::invalid_argument("GPU '" + cluster.gpu.name + "' has no `performance:` block; the time model needs it");
  if (!f.time) throw std::invalid_argument("framework '" + f.name + "' has no `time_model:` block; the time model needs it");
  if (m.encoder_layers > 0) throw std::invalid_argument("the time model covers decoder-only GPT models");
  StepSetup st;
  st.model = &m;
  st.cluster = cluster;
  st.strategy = s;
  st.framework = &f;
  st.fabric = make_fabric(cluster);
  st.seq = w.seq_len;
  st.devices = cluster.total_gpus();
  st.tp = s.tp;
  st.pp = s.pp;
  st.vp = s.virtual_stages;
  st.micro_batch = s.micro_batch;
  if (st.devices % (st.tp * st.pp) != 0) throw std::invalid_argument("GPUs not divisible by tp x pp");
  st.dp = st.devices / (st.tp * st.pp);
  if (s.zero_stage >= 2 && st.pp > 1)
    throw std::invalid_argument("DeepSpeed's pipeline engine supports ZeRO stage 1 only (zero" +
                                std::to_string(s.zero_stage) + " with pp" + std::to_string(st.pp) + ")");
  const std::int64_t per_step = st.dp * st.micro_batch;
  if (s.grad_accum > 0) {
    st.grad_accum = s.grad_accum;
    st.global_batch = per_step * st.grad_accum;
    if (w.global_batch > 0 && w.global_batch != st.global_batch)
      throw std::invalid_argument("ga" + std::to_string(s.grad_accum) + " gives a global batch of " +
                                  std::to_string(st.global_batch) + ", the workload asks for " + std::to_string(w.global_batch));
  } else if (w.global_batch > 0) {
    if (w.global_batch % per_step != 0)
      throw std::invalid_argument("global batch " + std::to_string(w.global_batch) + " is not a multiple of dp x mb = " +
                                  std::to_string(per_step));
    st.global_batch = w.global_batch;
    st.grad_accum = w.global_batch / per_step;
  } else {
    st.grad_accum = 1;
    st.global_batch = per_step;
  }
  const std::int64_t chunks = st.pp * st.vp;
  if (st.vp > 1) {
    if (m.layers % chunks != 0)
      throw std::invalid_argument("interleaving needs the layers (" + std::to_string(m.layers) + ") divisible by pp x vp");
    if (st.grad_accum % st.pp != 0)
      throw std::invalid_argument("interleaved 1F1B needs the micro-batches per step (" + std::to_string(st.grad_accum) +
                                  ") divisible by pp (Megatron-LM)");
  }
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int64_t base = m.layers / chunks, extra = m.layers % chunks;
    st.stage_layers.push_back(base + (c < extra ? 1 : 0));
  }
  st.steps = s.delayed_update ? 2 : 1;
  st.offload = s.offload_optimizer || s.offload_params;

  const GpuPerf& gp = *cluster.gpu.perf;
  const FrameworkTime& ft = *f.time;
  OpCost cost(cluster.gpu, gp, ft);
  // Weight sparsity (docs/gpu-time-model.md): unstructured zeros are multiplied like any other
  // value by dense tensor-core kernels (no change); 2:4 structured sparsity speeds up the
  // products with the sparse weights on GPUs with sparse tensor cores.
  cost.use_sparse_weights(s.sparse_2to4);
  if (s.fp8 && cluster.gpu.peak_fp8_flops <= 0)
    throw std::invalid_argument("fp8 needs FP8 tensor cores: " + cluster.gpu.name + "'s file has no peak_fp8");
  cost.use_fp8(s.fp8);
  const LayerKernels L = layer_kernels(cost, m, st.seq, st.micro_batch, st.tp, s.sequence_parallel);
  const EdgeKernels E = edge_kernels(cost, m, st.seq, st.micro_batch, st.tp);
  st.attn_fwd = ps(cost.wall(L.attn_fwd));
  st.mlp_fwd = ps(cost.wall(L.mlp_fwd));
  st.attn_bwd = ps(cost.wall(L.attn_bwd));
  st.mlp_bwd = ps(cost.wall(L.mlp_bwd));
  st.core_fwd = ps(cost.wall(L.attn_core_fwd));
  st.embed_fwd = ps(cost.wall(E.embed_fwd));
  st.embed_bwd = ps(cost.wall(E.embed_bwd));
  st.head_fwd = ps(cost.wall(E.head_fwd));
  st.head_bwd = ps(cost.wall(E.head_bwd));
  st.overhead = ps(ft.step_overhead_s);
  st.micro_overhead = ps(ft.microbatch_overhead_s);

  const model::ParamCounts pc = model::count_params(m);
  const double t = static_cast<double>(st.tp);
  st.layer_params = static_cast<double>(pc.per_layer) / t;
  // Norms, the attention projections (one fused QKV module as in GPT-2 and Megatron, or q, k, v
  // apart as in Llama's grouped-query attention), the output projection and the MLP matrices.
  st.layer_submodules = static_cast<double>(m.norms_per_layer + (m.kv_heads < m.heads ? 3 : 1) + 1 +
                                            (m.mlp == model::Mlp::swiglu ? 3 : 2));
  st.embedding_params = static_cast<double>(pc.token_embedding + pc.position_embedding) / t;
  st.head_params = static_cast<double>(pc.final_norm + pc.lm_head) / t;
  if (st.pp > 1 && m.tied_embeddings) st.head_params += static_cast<double>(pc.token_embedding) / t;
  for (std::int64_t stage = 0; stage < st.pp; ++stage) st.stage_params_max = std::max(st.stage_params_max, st.stage_params(stage));

  st.gpus_per_node = cluster.gpus_per_node;
  st.nodes = cluster.nodes;
  st.tp_shape = st.group_shape(GroupKind::tp, 0);
  st.dp_shape = st.group_shape(GroupKind::dp, 0);
  st.embed_shape = st.group_shape(GroupKind::embed, 0);
  // Kernels beside an overlapped data-parallel collective (ZeRO-3 prefetch, gradient buckets):
  // its channels hold SMs and its traffic HBM bandwidth while it runs (perf_spec.hpp).
  OpCost shared = cost;
  if (gp.collective_sms > 0 && st.dp > 1) {
    const double hbm = gp.collective_hbm_bytes_per_byte * collective_bandwidth(st.dp_shape, st.fabric) /
                       cluster.gpu.memory_bandwidth;
    shared.share_with_collective(static_cast<double>(gp.collective_sms), std::min(0.9, hbm));
  }
  const LayerKernels Lc = layer_kernels(shared, m, st.seq, st.micro_batch, st.tp, s.sequence_parallel);
  const EdgeKernels Ec = edge_kernels(shared, m, st.seq, st.micro_batch, st.tp);
  st.contended = {ps(shared.wall(Lc.attn_fwd)),  ps(shared.wall(Lc.mlp_fwd)),   ps(shared.wall(Lc.attn_bwd)),
                  ps(shared.wall(Lc.mlp_bwd)),   ps(shared.wall(Lc.attn_core_fwd)), ps(shared.wall(Ec.embed_fwd)),
                  ps(shared.wall(Ec.embed_bwd)), ps(shared.wall(Ec.head_fwd)),  ps(shared.wall(Ec.head_bwd))};
  st.tp_allreduce = ps(collective_time(Collective::all_reduce, L.tp_allreduce_bytes, st.tp_shape, st.fabric));
  // DeepSpeed fetches each submodule separately: the same bytes in several calls, each paying
  // the ring's latency; FSDP gathers the unit in one call.
  st.layer_gather_calls = ft.zero3_gather == Zero3Gather::per_submodule ? static_cast<int>(st.layer_submodules) : 1;
  st.tp_allreduce_bytes = L.tp_allreduce_bytes;

  // Pipeline transfers: Megatron's scatter/gather optimisation (SC'21 Sec. 4.1) sends 1/tp of
  // the activation per tensor-parallel rank across nodes and all-gathers it over NVLink.
  // DeepSpeed's PipelineEngine does the same by default (runtime/config.py: pipeline
  // pipe_partitioned and grad_partitioned true; engine.py sends a PartitionedTensor and the
  // receiver's forward or backward all-gathers it with .full()).
  const double act = L.activation_bytes;
  st.p2p_same_node = ps(p2p_time(act, true, st.fabric));
  double cross = p2p_time(act / t, false, st.fabric);
  if (st.tp > 1) cross += collective_time(Collective::all_gather, act, st.tp_shape, st.fabric);
  st.p2p_cross_node = ps(cross);
  // DeepSpeed's sends are blocking and paired (runtime/pipe/schedule.py): a send can only start
  // once the receiver has reached its receive, which it signals across the network. (Its
  // TrainSchedule has no interleaving: with vp > 1 the units keep Megatron's order.)
  if (ft.pipeline_p2p == PipelineP2p::deepspeed && st.vp == 1) st.p2p_handshake = ps(p2p_time(0.0, false, st.fabric));

  const NodePerf& np = *cluster.node->perf;
  st.pcie_bandwidth = np.pcie_achievable;
  st.pcie_latency = ps(np.pcie_latency_s);
  st.gpus_per_switch = std::min(np.gpus_per_pcie_switch, st.gpus_per_node);
  const double cores = static_cast<double>(cluster.node->cpu.cores());
  // CPU-Adam: compute-bound at the per-core rate, or bound by the host memory traffic.
  st.cpu_params_per_s = std::min(np.adam_params_per_s_per_core * cores, np.host_stream_bandwidth / ft.cpu_optimizer_bytes_per_param);
  st.straggler_cv = straggler_cv;
  st.seed = seed;
  return st;
}

namespace {

// Parts of one stage's step the lower bound adds up.
struct StageCost {
  SimTime fwd = 0, bwd = 0;  // one micro-batch's forward and backward compute (and the tp all-reduces it waits for)
  SimTime fwd0 = 0, bwd0 = 0;  // the same for the stage's first model chunk (all of it without interleaving)
  SimTime units = 0;         // every forward and backward unit of the step, micro-batch overheads included
  SimTime sends = 0;         // pipeline sends the compute stream waits for (DeepSpeed's engine)
  SimTime update = 0;        // the GPU optimizer on the compute stream (0 with offload)
  SimTime cpu = 0;           // CPU-Adam the step waits for (offload)
  SimTime allgather = 0;     // ZeRO-1/2: the updated partitions gathered after the update
  SimTime reduce = 0;        // gradient reductions of the step, one after another on the comm stream
  SimTime reduce_after = 0;  // compute that must precede the first of them
  SimTime gathers = 0;       // ZeRO-3 parameter all-gathers of the step on the gather stream
};

StageCost stage_cost(const StepSetup& st, std::int64_t stage, const GradReduction& red) {
  const Strategy& s = st.strategy;
  const bool full = s.recompute == model::Recompute::full;
  const bool selective = s.recompute == model::Recompute::selective;
  const std::int64_t chunks = st.pp * st.vp, m = st.grad_accum;
  const FrameworkTime& ft = *st.framework->time;
  const OpCost cost(st.cluster.gpu, *st.cluster.gpu.perf, ft);
  // One layer's compute tasks per micro-batch, as the program builder issues them.
  SimTime layer_fwd = st.attn_fwd + st.mlp_fwd, layer_bwd = st.attn_bwd + st.mlp_bwd;
  if (full) layer_bwd += st.attn_fwd + st.mlp_fwd;
  if (selective) layer_bwd += st.core_fwd;
  if (st.tp > 1) {
    layer_fwd += 2 * st.tp_allreduce;
    layer_bwd += (full ? 4 : 2) * st.tp_allreduce;
  }
  std::int64_t layers = 0;
  for (std::int64_t c = 0; c < st.vp; ++c) layers += st.stage_layers[static_cast<std::size_t>(c * st.pp + stage)];
  const bool first = stage == 0, last = stage == (chunks - 1) % st.pp;  // chunk 0 sits on stage 0
  StageCost c;
  c.fwd = static_cast<SimTime>(layers) * layer_fwd + (first ? st.embed_fwd : 0) + (last ? st.head_fwd : 0);
  c.bwd = static_cast<SimTime>(layers) * layer_bwd + (first ? st.embed_bwd : 0) + (last ? st.head_bwd : 0);
  const std::int64_t layers0 = st.stage_layers[static_cast<std::size_t>(stage)];
  const bool head0 = st.vp == 1 && last;
  c.fwd0 = static_cast<SimTime>(layers0) * layer_fwd + (first ? st.embed_fwd : 0) + (head0 ? st.head_fwd : 0);
  c.bwd0 = static_cast<SimTime>(layers0) * layer_bwd + (first ? st.embed_bwd : 0) + (head0 ? st.head_bwd : 0);
  // Every forward unit (a micro-batch's chunk) starts with the framework's per-micro-batch work.
  c.units = static_cast<SimTime>(m) * (st.vp * st.micro_overhead + c.fwd + c.bwd);
  if (ft.pipeline_p2p == PipelineP2p::deepspeed && st.pp > 1 && st.vp == 1) {
    // Each micro-batch's activations go on (but from the last stage) and its gradients back (but
    // from stage 0), each send an instruction the next one waits for.
    const SimTime p2p = std::min(st.p2p_same_node, st.p2p_cross_node);
    c.sends = static_cast<SimTime>(m) * ((stage < st.pp - 1 ? p2p : 0) + (stage > 0 ? p2p : 0));
  }
  const double stage_params = st.stage_params(stage);
  const double params = s.zero_stage >= 1 ? stage_params / static_cast<double>(st.dp) : stage_params;
  if (!s.offload_optimizer) {
    c.update = duration_ps(cost.wall(gpu_adam(cost, params)));
  } else if (st.cpu_params_per_s > 0) {
    // CPU-Adam starts after the GPU's last backward task and the step waits for it. The node's
    // host serves the jobs of its GPUs together (processor sharing): when a node holds GPUs
    // of one stage only, all of them start no earlier than this stage's compute and the last
    // ends no earlier than their total work over the host's rate; otherwise count this GPU's.
    const bool one_stage_per_node = (st.dp * st.tp) % st.gpus_per_node == 0;
    const double sharing = one_stage_per_node ? static_cast<double>(st.gpus_per_node) : 1.0;
    c.cpu = std::max<SimTime>(0, sim::to_sim_time(sharing * params / st.cpu_params_per_s) - 1);  // - 1: rounding
  }
  if (st.dp <= 1) return c;
  // Collectives over this stage's own data-parallel group (stage boundaries may cut nodes).
  const GroupShape dp = st.group_shape(GroupKind::dp, st.device_of(stage, 0, 0));
  auto coll = [&](Collective k, double bytes, int calls = 1) {
    return duration_ps(collective_time(k, bytes, dp, st.fabric, calls));
  };
  if (s.zero_stage >= 1 && s.zero_stage <= 2) {
    const double bucket = st.framework->allgather_bucket_elements > 0 ? st.framework->allgather_bucket_elements : stage_params;
    const double n = std::floor(stage_params / bucket), rest = stage_params - n * bucket;
    c.allgather = static_cast<SimTime>(n) * coll(Collective::all_gather, 2.0 * bucket) +
                  (rest > 0 ? coll(Collective::all_gather, 2.0 * rest) - 1 : 0);  // - 1: rounding of the rest
  }
  if (s.zero_stage == 3) {
    const SimTime per_layer = coll(Collective::all_gather, 2.0 * st.layer_params, st.layer_gather_calls);
    SimTime micro = 2 * static_cast<SimTime>(layers) * per_layer;  // forward and backward
    if (first) micro += coll(Collective::all_gather, 2.0 * st.embedding_params);
    if (last && !st.model->tied_embeddings) micro += coll(Collective::all_gather, 2.0 * st.head_params);
    c.gathers = static_cast<SimTime>(m) * micro;
  }
  // Gradients of one reducing micro-batch, in the order and buckets the builder fills them.
  double grads = static_cast<double>(layers) * st.layer_params;
  if (first) grads += st.embedding_params;
  if (last && (!st.model->tied_embeddings || st.pp > 1)) grads += st.head_params;
  if (red.after) {
    c.reduce = coll(Collective::all_reduce, stage_params * red.grad_bytes);
    c.reduce_after = st.overhead + c.units;
  } else if (red.each_micro || red.last_micro) {
    const double n = std::floor(grads / red.bucket_elems), rest = grads - n * red.bucket_elems;
    SimTime micro = static_cast<SimTime>(n) * coll(red.kind, red.bucket_elems * red.grad_bytes);
    if (rest > 0) micro += coll(red.kind, rest * red.grad_bytes) - 1;  // - 1: rounding of the rest
    c.reduce = (red.each_micro ? static_cast<SimTime>(m) : 1) * std::max<SimTime>(0, micro);
    // The first reduction waits for a forward (every micro-batch reduces), or for every unit
    // but the last backward (1F1B: the last micro-batch's backward is the stage's last unit).
    const bool last_unit = red.last_micro && st.vp == 1;
    c.reduce_after = st.overhead + (last_unit ? c.units - c.bwd : st.micro_overhead + c.fwd);
  }
  return c;
}

}  // namespace

SimTime step_time_lower_bound(const StepSetup& st) {
  if (st.steps != 1) return 1;
  const GradReduction red = grad_reduction(st);
  std::vector<StageCost> cost;
  for (std::int64_t stage = 0; stage < st.pp; ++stage) cost.push_back(stage_cost(st, stage, red));
  SimTime worst = 0;
  const SimTime p2p = std::min(st.p2p_same_node, st.p2p_cross_node);
  SimTime arrive = st.overhead + st.micro_overhead, back = 0;  // micro-batch 0's activations reach stage s; gradients return
  for (std::int64_t stage = 0; stage < st.pp; ++stage) {
    const StageCost& c = cost[static_cast<std::size_t>(stage)];
    const SimTime update = c.update + c.cpu + c.allgather;
    // The stage's compute stream: its tasks run one after another, then the update.
    worst = std::max(worst, st.overhead + c.units + c.sends + update);
    // Its gradient reductions, one after another, after the compute they wait for; the update
    // waits for the last of them.
    if (c.reduce > 0) worst = std::max(worst, c.reduce_after + c.reduce + update);
    // ZeRO-3's all-gathers, one after another; the update follows the last backward.
    worst = std::max(worst, c.gathers + c.update + c.cpu);
    // The pipeline: micro-batch 0 passes the first chunk of stages 0..s-1 before this stage
    // computes; after its last unit (the first chunk's backward of the last micro-batch, in 1F1B
    // and interleaved 1F1B alike) those gradients pass stages s-1..0, then stage 0 updates
    // (Narayanan et al. SC'21 Sec. 2.2: the bubble of (pp - 1) chunk forward and backward passes).
    if (stage > 0 && (st.vp == 1 || st.grad_accum % st.pp == 0)) {
      const StageCost& c0 = cost[0];
      worst = std::max(worst, arrive + (c.units - st.micro_overhead) + back + c0.update + c0.cpu + c0.allgather);
    }
    arrive += c.fwd0 + p2p;
    back += c.bwd0 + p2p;
  }
  return std::max<SimTime>(worst, 1);
}

}  // namespace wb::gpu
