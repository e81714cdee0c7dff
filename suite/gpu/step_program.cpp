#include "gpu/step_program.hpp"

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
  std::vector<std::uint32_t> count(n + 1, 0);
  pending.assign(n, 0);
  std::int64_t last_on[kStreams];
  std::fill(std::begin(last_on), std::end(last_on), -1);
  stream_prev.assign(n, -1);
  for (std::size_t i = 0; i < n; ++i) {
    const Task& t = tasks[i];
    const int s = static_cast<int>(t.stream);
    stream_prev[i] = static_cast<std::int32_t>(last_on[s]);
    last_on[s] = static_cast<std::int64_t>(i);
    std::uint16_t p = t.dep_count;
    for (std::uint32_t d = t.dep_begin; d < t.dep_begin + t.dep_count; ++d) {
      if (deps[d] >= i) throw std::logic_error("Program: a task depends on a later task");
      ++count[deps[d]];
    }
    if (stream_prev[i] >= 0) {
      ++count[static_cast<std::size_t>(stream_prev[i])];
      ++p;
    }
    pending[i] = p;
  }
  succ_begin.assign(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i) succ_begin[i + 1] = succ_begin[i] + count[i];
  succ.assign(succ_begin[n], 0);
  std::vector<std::uint32_t> fill(succ_begin.begin(), succ_begin.end() - 1);
  for (std::size_t i = 0; i < n; ++i) {
    const Task& t = tasks[i];
    for (std::uint32_t d = t.dep_begin; d < t.dep_begin + t.dep_count; ++d) succ[fill[deps[d]]++] = static_cast<std::uint32_t>(i);
    if (stream_prev[i] >= 0) succ[fill[static_cast<std::size_t>(stream_prev[i])]++] = static_cast<std::uint32_t>(i);
  }
}

std::int64_t message_tag(std::int64_t step, int direction, std::int64_t micro, std::int64_t chunk,
                         std::int64_t micro_batches, std::int64_t chunks) {
  return ((step * 2 + direction) * micro_batches + micro) * chunks + chunk;
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
  const LayerKernels L = layer_kernels(cost, m, st.seq, st.micro_batch, st.tp);
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
  st.embedding_params = static_cast<double>(pc.token_embedding + pc.position_embedding) / t;
  st.head_params = static_cast<double>(pc.final_norm + pc.lm_head) / t;
  if (st.pp > 1 && m.tied_embeddings) st.head_params += static_cast<double>(pc.token_embedding) / t;
  for (std::int64_t stage = 0; stage < st.pp; ++stage) st.stage_params_max = std::max(st.stage_params_max, st.stage_params(stage));

  st.gpus_per_node = cluster.gpus_per_node;
  st.nodes = cluster.nodes;
  st.tp_shape = st.group_shape(GroupKind::tp, 0);
  st.dp_shape = st.group_shape(GroupKind::dp, 0);
  st.embed_shape = st.group_shape(GroupKind::embed, 0);
  st.tp_allreduce = ps(collective_time(Collective::all_reduce, L.tp_allreduce_bytes, st.tp_shape, st.fabric));
  st.tp_allreduce_bytes = L.tp_allreduce_bytes;

  // Pipeline transfers: Megatron's scatter/gather optimisation (SC'21 Sec. 4.1) sends 1/tp of
  // the activation per tensor-parallel rank across nodes and all-gathers it over NVLink.
  const double act = L.activation_bytes;
  st.p2p_same_node = ps(p2p_time(act, true, st.fabric));
  double cross = p2p_time(act / t, false, st.fabric);
  if (st.tp > 1) cross += collective_time(Collective::all_gather, act, st.tp_shape, st.fabric);
  st.p2p_cross_node = ps(cross);

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

SimTime step_time_lower_bound(const StepSetup& st) {
  if (st.steps != 1) return 1;
  const Strategy& s = st.strategy;
  const bool full = s.recompute == model::Recompute::full;
  const bool selective = s.recompute == model::Recompute::selective;
  // One layer's compute tasks per micro-batch (forward, backward, recomputation), as
  // build_program issues them, and the tensor-parallel all-reduces the compute stream waits for.
  SimTime layer = st.attn_fwd + st.mlp_fwd + st.attn_bwd + st.mlp_bwd;
  if (full) layer += st.attn_fwd + st.mlp_fwd;
  if (selective) layer += st.core_fwd;
  if (st.tp > 1) layer += (full ? 6 : 4) * st.tp_allreduce;
  const std::int64_t chunks = st.pp * st.vp;
  const FrameworkTime& ft = *st.framework->time;
  const OpCost cost(st.cluster.gpu, *st.cluster.gpu.perf, ft);
  SimTime worst = 0;
  for (std::int64_t stage = 0; stage < st.pp; ++stage) {
    std::int64_t layers = 0;
    for (std::int64_t c = 0; c < st.vp; ++c) layers += st.stage_layers[static_cast<std::size_t>(c * st.pp + stage)];
    SimTime micro = st.micro_overhead + static_cast<SimTime>(layers) * layer;
    if (stage == 0) micro += st.embed_fwd + st.embed_bwd;            // chunk 0 sits on stage 0
    if (stage == (chunks - 1) % st.pp) micro += st.head_fwd + st.head_bwd;
    SimTime total = st.overhead + static_cast<SimTime>(st.grad_accum) * micro;
    const double params = s.zero_stage >= 1 ? st.stage_params(stage) / static_cast<double>(st.dp) : st.stage_params(stage);
    if (!s.offload_optimizer) {  // the fused Adam step runs on the compute stream too
      total += ps(cost.wall(gpu_adam(cost, params)));
    } else if (st.cpu_params_per_s > 0) {
      // CPU-Adam starts after the GPU's last backward task and the step waits for it. The node's
      // host serves the jobs of its GPUs together (processor sharing): when a node holds GPUs
      // of one stage only, all of them start no earlier than this stage's compute and the last
      // ends no earlier than their total work over the host's rate; otherwise count this GPU's.
      const bool one_stage_per_node = (st.dp * st.tp) % st.gpus_per_node == 0;
      const double sharing = one_stage_per_node ? static_cast<double>(st.gpus_per_node) : 1.0;
      total += std::max<SimTime>(0, sim::to_sim_time(sharing * params / st.cpu_params_per_s) - 1);  // - 1: rounding
    }
    worst = std::max(worst, total);
  }
  return std::max<SimTime>(worst, 1);
}

namespace {

struct Unit {
  bool forward;
  std::int64_t micro;
  std::int64_t chunk;
};

// Order of forward/backward units on one stage: 1F1B (Narayanan et al. SOSP'19 PipeDream-Flush,
// as in Megatron-LM forward_backward_pipelining_without_interleaving) or the interleaved order
// of forward_backward_pipelining_with_interleaving (SC'21 Sec. 2.2.2).
std::vector<Unit> schedule(std::int64_t stage, std::int64_t pp, std::int64_t vp, std::int64_t micro) {
  std::vector<Unit> out;
  if (pp == 1) {
    for (std::int64_t i = 0; i < micro; ++i) {
      out.push_back({true, i, 0});
      out.push_back({false, i, 0});
    }
    return out;
  }
  const std::int64_t total = micro * vp;
  std::int64_t warmup = 0;
  if (vp == 1) {
    warmup = std::min(pp - stage - 1, micro);
  } else {
    warmup = micro == pp ? total : std::min(total, (pp - stage - 1) * 2 + (vp - 1) * pp);
  }
  auto unit_of = [&](std::int64_t k, bool forward) {
    const std::int64_t group = pp * vp;
    std::int64_t chunk = (k % group) / pp;
    if (!forward) chunk = vp - 1 - chunk;
    const std::int64_t mb = (k / group) * pp + k % pp;
    return Unit{forward, vp == 1 ? k : mb, vp == 1 ? 0 : chunk};
  };
  for (std::int64_t k = 0; k < warmup; ++k) out.push_back(unit_of(k, true));
  const std::int64_t steady = total - warmup;
  for (std::int64_t i = 0; i < steady; ++i) {
    out.push_back(unit_of(warmup + i, true));
    out.push_back(unit_of(i, false));
  }
  for (std::int64_t i = steady; i < total; ++i) out.push_back(unit_of(i, false));
  return out;
}

class Builder {
 public:
  explicit Builder(Program& p) : p_(p) {}
  std::uint8_t phase = 0;  // stamped on every task added: 0 forward, 1 backward, 2 optimizer
  std::uint32_t add(Task t, std::initializer_list<std::int64_t> deps) { return add_range(t, deps); }
  std::uint32_t add(Task t, const std::vector<std::int64_t>& deps) { return add_range(t, deps); }
  // Dependencies < 0 mean "none" and are skipped.
  template <class Deps>
  std::uint32_t add_range(Task t, const Deps& deps) {
    t.dep_begin = static_cast<std::uint32_t>(p_.deps.size());
    std::uint16_t n = 0;
    for (std::int64_t d : deps)
      if (d >= 0) {
        p_.deps.push_back(static_cast<std::uint32_t>(d));
        ++n;
      }
    t.dep_count = n;
    t.phase = phase;
    p_.tasks.push_back(t);
    return static_cast<std::uint32_t>(p_.tasks.size() - 1);
  }
  std::uint32_t collective(Task t, GroupKind g, std::initializer_list<std::int64_t> deps) {
    t.resource = Resource::collective;
    t.group = g;
    auto& list = p_.collective_task[static_cast<int>(g)];
    t.tag = static_cast<std::int64_t>(list.size());
    const std::uint32_t id = add(t, deps);
    list.push_back(id);
    return id;
  }

 private:
  Program& p_;
};

Task compute_task(TaskKind k, SimTime d, std::uint8_t step) {
  Task t;
  t.kind = k;
  t.duration = d;
  t.stream = Stream::compute;
  t.resource = Resource::local;
  t.scales = true;
  t.step = step;
  return t;
}

}  // namespace

Program build_program(const StepSetup& st, std::int64_t stage) {
  Program prog;
  Builder b(prog);
  const Strategy& s = st.strategy;
  const FrameworkTime& ft = *st.framework->time;
  const FrameworkSpec& fw = *st.framework;
  const std::int64_t pp = st.pp, vp = st.vp, m = st.grad_accum, chunks = pp * vp;
  const int zero = s.zero_stage;
  const bool tp_split = st.tp > 1;
  const double dp = static_cast<double>(st.dp);
  const bool multi_dp = st.dp > 1;
  const bool recompute_full = s.recompute == model::Recompute::full;
  const bool recompute_sel = s.recompute == model::Recompute::selective;
  // Which micro-batches reduce gradients, with which collective and bucket size.
  const bool pipelined = pp > 1;
  const bool overlap_ddp = ft.grad_reduce == GradReduce::overlapped ||
                           (ft.grad_reduce == GradReduce::overlapped_without_pipeline && !pipelined);
  const double grad_bytes = zero == 0 ? ft.grad_bytes_per_param : 2.0;  // ZeRO reduces fp16 gradients
  double bucket_elems = 0;
  bool reduce_each_micro = false, reduce_last_micro = false, reduce_after = false;
  if (multi_dp) {
    if (zero == 0) {
      if (overlap_ddp) {
        reduce_last_micro = true;
        bucket_elems = fw.ddp_bucket_bytes / grad_bytes;
      } else {
        reduce_after = true;
      }
    } else if (zero == 1) {
      reduce_last_micro = true;
      bucket_elems = fw.reduce_bucket_elements;
    } else {
      reduce_each_micro = true;
      bucket_elems = fw.reduce_bucket_elements;
    }
  } else if (st.offload) {
    // One GPU with offload still copies each gradient bucket to the host as it is produced.
    reduce_each_micro = true;
    bucket_elems = fw.reduce_bucket_elements;
  }
  if (bucket_elems <= 0) bucket_elems = 1e30;
  const Collective reduce_kind = zero == 0 ? Collective::all_reduce : Collective::reduce_scatter;
  const TaskKind reduce_task_kind = zero == 0 ? TaskKind::grad_allreduce : TaskKind::grad_reduce;

  std::int64_t prev_step_update = -1;  // task the next step's first computation waits for
  std::int64_t prev_cpu = -1;          // previous step's CPU optimizer (delayed update)

  for (std::int64_t step = 0; step < st.steps; ++step) {
    const auto stp = static_cast<std::uint8_t>(step);
    std::int64_t last_compute = -1;
    std::vector<std::int64_t> reductions;  // reduce tasks of this step (and their host copies)
    std::vector<std::int64_t> host_copies;
    double pending_grads = 0;

    auto comp = [&](TaskKind k, SimTime d, std::initializer_list<std::int64_t> extra) -> std::int64_t {
      std::vector<std::int64_t> deps(extra);
      if (last_compute < 0 && step > 0) deps.push_back(prev_step_update);
      const std::int64_t id = b.add(compute_task(k, d, stp), deps);
      last_compute = id;
      return id;
    };
    auto tp_ar = [&]() {
      if (!tp_split) return;
      Task t;
      t.kind = TaskKind::tp_allreduce;
      t.duration = st.tp_allreduce;
      t.coll = Collective::all_reduce;
      t.work = st.tp_allreduce_bytes;
      t.stream = Stream::tp;
      t.step = stp;
      const std::int64_t id = b.collective(t, GroupKind::tp, {last_compute});
      // The next kernels consume the all-reduced activations.
      Task wait = compute_task(TaskKind::tp_allreduce, 0, stp);
      wait.scales = false;
      last_compute = b.add(wait, {id});
    };
    // Gradient buckets: a reduction (and, with offload, the copy of this rank's partition to
    // the host) each time a bucket fills during a reducing backward pass.
    auto emit_reduce = [&](double elems, std::int64_t after) {
      if (elems <= 0) return;
      std::int64_t red = after;
      if (multi_dp) {
        Task t;
        t.kind = reduce_task_kind;
        t.stream = Stream::comm;
        t.step = stp;
        t.duration = ps(collective_time(reduce_kind, elems * grad_bytes, st.dp_shape, st.fabric));
        t.coll = reduce_kind;
        t.work = elems * grad_bytes;
        red = b.collective(t, GroupKind::dp, {after});
        reductions.push_back(red);
      }
      if (s.offload_optimizer) {
        Task c;
        c.kind = TaskKind::d2h_grads;
        c.stream = Stream::pcie;
        c.resource = Resource::pcie;
        c.to_host = true;
        c.step = stp;
        c.work = elems / dp * ft.offload_grad_bytes_per_param;
        // With the delayed update the host gradient buffer is free only once the previous
        // step's CPU-Adam has read it.
        const std::int64_t id = b.add(c, {red, prev_cpu});
        host_copies.push_back(id);
      }
    };
    auto add_grads = [&](double elems, bool reducing) {
      if (!reducing) return;
      pending_grads += elems;
      while (pending_grads >= bucket_elems) {
        emit_reduce(bucket_elems, last_compute);
        pending_grads -= bucket_elems;
      }
    };
    // ZeRO-3: all-gather a module's parameters before it runs, prefetched up to the window
    // DeepSpeed allows (stage3_prefetch_bucket_size, at least the next module).
    const bool zero3 = zero == 3;
    const double prefetch_modules = std::max(1.0, std::floor(fw.prefetch_bucket_elements / std::max(1.0, st.layer_params)));
    std::vector<std::int64_t> gather_issue_after;  // compute tasks the window slides on
    auto gather = [&](double params) -> std::int64_t {
      if (!zero3 || !multi_dp) {
        if (zero3 && s.offload_params) {
          Task h;
          h.kind = TaskKind::h2d_params;
          h.stream = Stream::pcie;
          h.resource = Resource::pcie;
          h.step = stp;
          h.work = 2.0 * params;
          return b.add(h, {});
        }
        return -1;
      }
      std::int64_t window = -1;
      const auto k = static_cast<std::int64_t>(gather_issue_after.size());
      if (k >= static_cast<std::int64_t>(prefetch_modules) + 1)
        window = gather_issue_after[static_cast<std::size_t>(k - static_cast<std::int64_t>(prefetch_modules) - 1)];
      std::int64_t src = -1;
      if (s.offload_params) {
        Task h;
        h.kind = TaskKind::h2d_params;
        h.stream = Stream::pcie;
        h.resource = Resource::pcie;
        h.step = stp;
        h.work = 2.0 * params / dp;
        src = b.add(h, {window});
      }
      Task t;
      t.kind = TaskKind::param_allgather;
      t.stream = Stream::gather;
      t.step = stp;
      t.duration = ps(collective_time(Collective::all_gather, 2.0 * params, st.dp_shape, st.fabric));
      t.coll = Collective::all_gather;
      t.work = 2.0 * params;
      return b.collective(t, GroupKind::dp, {window, src});
    };

    b.phase = 0;
    if (st.overhead > 0) comp(TaskKind::overhead, st.overhead, {});

    const std::vector<Unit> units = schedule(stage, pp, vp, m);
    std::int64_t units_done_bwd = 0;
    for (const Unit& u : units) {
      const std::int64_t j = u.chunk * pp + stage;  // virtual stage
      const std::int64_t layers = st.stage_layers[static_cast<std::size_t>(j)];
      const bool first = j == 0, last = j == chunks - 1;
      const bool reducing = reduce_each_micro || (reduce_last_micro && u.micro == m - 1);
      b.phase = u.forward ? 0 : 1;
      if (u.forward) {
        if (st.micro_overhead > 0) {
          const std::int64_t o = comp(TaskKind::overhead, st.micro_overhead, {});
          prog.tasks[static_cast<std::size_t>(o)].scales = false;  // host time
        }
        std::int64_t recv = -1;
        if (!first) {
          Task r;
          r.kind = TaskKind::recv_act;
          r.stream = Stream::p2p;
          r.resource = Resource::recv;
          r.step = stp;
          r.tag = message_tag(step, 0, u.micro, u.chunk, m, vp);
          recv = b.add(r, {});
        }
        if (first) {
          const std::int64_t g = gather(st.embedding_params);
          comp(TaskKind::embed_fwd, st.embed_fwd, {recv, g});
          gather_issue_after.push_back(last_compute);
        }
        for (std::int64_t l = 0; l < layers; ++l) {
          const std::int64_t g = gather(st.layer_params);
          if (tp_split) {
            comp(TaskKind::attn_fwd, st.attn_fwd, {recv, g});
            tp_ar();
            comp(TaskKind::mlp_fwd, st.mlp_fwd, {});
            tp_ar();
          } else {
            comp(TaskKind::fwd, st.attn_fwd + st.mlp_fwd, {recv, g});
          }
          gather_issue_after.push_back(last_compute);
          recv = -1;
        }
        if (last) {
          comp(TaskKind::head_fwd, st.head_fwd, {recv});
        } else {
          const std::int64_t to = (j + 1) % pp;
          const bool same = st.node_of(st.device_of(stage, 0, 0)) == st.node_of(st.device_of(to, 0, 0));
          Task snd;
          snd.kind = TaskKind::send_act;
          snd.stream = Stream::p2p;
          snd.resource = Resource::send;
          snd.step = stp;
          snd.peer_stage = static_cast<std::int32_t>(to);
          snd.duration = same ? st.p2p_same_node : st.p2p_cross_node;
          snd.tag = message_tag(step, 0, u.micro, (j + 1) / pp, m, vp);
          b.add(snd, {last_compute});
        }
      } else {
        std::int64_t recv = -1;
        if (!last) {
          Task r;
          r.kind = TaskKind::recv_grad;
          r.stream = Stream::p2p;
          r.resource = Resource::recv;
          r.step = stp;
          r.tag = message_tag(step, 1, u.micro, u.chunk, m, vp);
          recv = b.add(r, {});
        } else {
          const std::int64_t g = zero3 && !st.model->tied_embeddings ? gather(st.head_params) : -1;
          comp(TaskKind::head_bwd, st.head_bwd, {g});
          if (!st.model->tied_embeddings || pp > 1) add_grads(st.head_params, reducing);
        }
        for (std::int64_t l = 0; l < layers; ++l) {
          const std::int64_t g = gather(st.layer_params);
          if (tp_split) {
            if (recompute_full) {
              comp(TaskKind::recompute, st.attn_fwd, {recv, g});
              tp_ar();
              comp(TaskKind::recompute, st.mlp_fwd, {});
              tp_ar();
              recv = -1;
            }
            comp(TaskKind::mlp_bwd, st.mlp_bwd, {recv, recompute_full ? -1 : g});
            tp_ar();
            comp(TaskKind::attn_bwd, st.attn_bwd + (recompute_sel ? st.core_fwd : 0), {});
            tp_ar();
          } else {
            SimTime d = st.attn_bwd + st.mlp_bwd;
            if (recompute_full) d += st.attn_fwd + st.mlp_fwd;
            if (recompute_sel) d += st.core_fwd;
            comp(TaskKind::bwd, d, {recv, g});
          }
          gather_issue_after.push_back(last_compute);
          recv = -1;
          add_grads(st.layer_params, reducing);
        }
        if (first) {
          comp(TaskKind::embed_bwd, st.embed_bwd, {recv});
          add_grads(st.embedding_params, reducing);
        } else {
          const std::int64_t to = (j - 1 + pp) % pp;
          const bool same = st.node_of(st.device_of(stage, 0, 0)) == st.node_of(st.device_of(to, 0, 0));
          Task snd;
          snd.kind = TaskKind::send_grad;
          snd.stream = Stream::p2p;
          snd.resource = Resource::send;
          snd.step = stp;
          snd.peer_stage = static_cast<std::int32_t>(to);
          snd.duration = same ? st.p2p_same_node : st.p2p_cross_node;
          snd.tag = message_tag(step, 1, u.micro, (j - 1) / pp, m, vp);
          b.add(snd, {last_compute});
        }
        ++units_done_bwd;
        // The last backward unit of a reducing micro-batch flushes the partial bucket.
        const bool last_reducing_unit = reducing && (u.chunk == 0 || vp == 1) &&
                                        (reduce_each_micro || u.micro == m - 1);
        if (last_reducing_unit && pending_grads > 0) {
          emit_reduce(pending_grads, last_compute);
          pending_grads = 0;
        }
      }
    }
    (void)units_done_bwd;
    if (pending_grads > 0) {
      emit_reduce(pending_grads, last_compute);
      pending_grads = 0;
    }
    // Megatron's local DDP: one all-reduce of the stage's gradient buffer after the pipeline.
    const double stage_params = st.stage_params(stage);
    if (reduce_after) {
      Task t;
      t.kind = TaskKind::grad_allreduce;
      t.stream = Stream::comm;
      t.step = stp;
      t.duration = ps(collective_time(Collective::all_reduce, stage_params * grad_bytes, st.dp_shape, st.fabric));
      t.coll = Collective::all_reduce;
      t.work = stage_params * grad_bytes;
      reductions.push_back(b.collective(t, GroupKind::dp, {last_compute}));
    }
    // Tied embeddings across the pipeline: first and last stage all-reduce the word embedding
    // gradient (Megatron-LM, SC'21 Sec. 2).
    if (pp > 1 && st.model->tied_embeddings && (stage == 0 || stage == pp - 1)) {
      Task t;
      t.kind = TaskKind::embed_allreduce;
      t.stream = Stream::comm;
      t.step = stp;
      const double emb = static_cast<double>(st.model->vocab * st.model->d_model) / static_cast<double>(st.tp);
      t.duration = ps(collective_time(Collective::all_reduce, emb * grad_bytes, st.embed_shape, st.fabric));
      t.coll = Collective::all_reduce;
      t.work = emb * grad_bytes;
      reductions.push_back(b.collective(t, GroupKind::embed, {last_compute}));
    }

    // Optimizer.
    b.phase = 2;
    const double local_params = zero >= 1 ? stage_params / dp : stage_params;
    std::vector<std::int64_t> ready = reductions;
    ready.insert(ready.end(), host_copies.begin(), host_copies.end());
    ready.push_back(last_compute);
    std::int64_t update = -1;
    if (s.offload_optimizer) {
      Task c;
      c.kind = TaskKind::cpu_adam;
      c.stream = Stream::cpu;
      c.resource = Resource::cpu;
      c.step = stp;
      c.work = local_params;
      const std::int64_t cpu = b.add(c, ready);
      // DeepSpeed's CPU-Adam copies each updated tile to the GPU while it updates the next.
      Task h;
      h.kind = TaskKind::h2d_params;
      h.stream = Stream::pcie;
      h.resource = Resource::pcie;
      h.step = stp;
      h.work = 2.0 * local_params;
      const std::int64_t h2d = b.add(h, ready);
      Task join = compute_task(TaskKind::cpu_adam, 0, stp);
      join.stream = Stream::cpu;
      join.scales = false;
      update = b.add(join, {h2d});
      prev_cpu = update;
      (void)cpu;
    } else {
      Task a = compute_task(TaskKind::gpu_adam, ps(0), stp);
      const OpCost cost(st.cluster.gpu, *st.cluster.gpu.perf, ft);
      a.duration = ps(cost.wall(gpu_adam(cost, local_params)));
      update = b.add(a, ready);
      last_compute = update;
    }
    // ZeRO-1/2: every rank all-gathers the updated fp16 partitions (allgather_bucket_size).
    if (zero >= 1 && zero <= 2 && multi_dp) {
      double left = stage_params;
      std::int64_t prev = update;
      while (left > 0) {
        const double chunk = std::min(left, fw.allgather_bucket_elements > 0 ? fw.allgather_bucket_elements : left);
        Task t;
        t.kind = TaskKind::param_allgather;
        t.stream = Stream::gather;
        t.step = stp;
        t.duration = ps(collective_time(Collective::all_gather, 2.0 * chunk, st.dp_shape, st.fabric));
        t.coll = Collective::all_gather;
        t.work = 2.0 * chunk;
        prev = b.collective(t, GroupKind::dp, {update});
        left -= chunk;
      }
      update = prev;
    }
    // With the delayed update the next step runs on the previous parameters; otherwise it waits.
    prev_step_update = s.delayed_update ? -1 : update;
    if (s.delayed_update) prev_step_update = last_compute;
  }
  prog.finish();
  return prog;
}

}  // namespace wb::gpu
