#include "gpu/time_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "gpu/fast_path.hpp"
#include "gpu/op_cost.hpp"
#include "gpu/steady_state.hpp"
#include "io/figure.hpp"
#include "model/training_run.hpp"
#include "sim/reliability.hpp"

namespace wb::gpu {

using io::Dim;

TimeOptions parse_time_options(io::YamlMap& m) {
  TimeOptions o;
  if (auto v = m.optional("engine")) {
    const std::string e = v->as_string();
    if (e == "auto") o.engine = EngineChoice::automatic;
    else if (e == "fast") o.engine = EngineChoice::fast;
    else if (e == "pdes") o.engine = EngineChoice::pdes;
    else v->fail("unknown engine '" + e + "'; expected auto, fast or pdes");
  }
  if (auto v = m.optional("distributed")) o.distributed = v->as_bool();
  if (auto v = m.optional("timeline")) o.timeline = v->as_bool();
  if (auto v = m.optional("stragglers")) o.stragglers = v->as_bool();
  if (auto v = m.optional("seed")) o.seed = static_cast<std::uint64_t>(v->as_int());
  io::Provenance p;
  if (auto f = io::read_optional_figure(m, "checkpoint_interval", Dim::seconds)) o.checkpoint_interval_s = p.add(*f);
  if (auto f = io::read_optional_figure(m, "storage_read_bandwidth", Dim::bytes_per_s)) o.storage_read_bandwidth = p.add(*f);
  if (auto f = io::read_optional_figure(m, "checkpoint_bytes_per_param", Dim::count)) o.checkpoint_bytes_per_param = p.add(*f);
  for (const auto& f : p.figures)
    o.sources.push_back(f.key + " = " + f.text + " (" + f.source + (f.assumption ? "; assumption" : "") + ")");
  m.done();
  return o;
}

const io::KeyTable& time_option_keys() {
  using V = io::KeyValue;
  static const io::KeyTable keys = {
      {"engine", V::word, Dim::count, false,
       "auto (the exact fast path where it applies, else the full simulation), fast or pdes"},
      {"distributed", V::flag, Dim::count, false, "spread every scenario's full simulation over all ranks"},
      {"timeline", V::flag, Dim::count, false, "write each step's tasks to /timeline"},
      {"stragglers", V::flag, Dim::count, false, "per-device slowdowns from the node's straggler_cv (default true)"},
      {"seed", V::integer, Dim::count, false, "seed of the per-device random draws"},
      {"checkpoint_interval", V::figure, Dim::seconds, false, "time between checkpoints (default: Daly's optimum)"},
      {"storage_read_bandwidth", V::figure, Dim::bytes_per_s, false, "inference: checkpoint read bandwidth, instead of the node's"},
      {"checkpoint_bytes_per_param", V::figure, Dim::count, false, "inference: bytes per parameter of the stored checkpoint (default 4)"},
  };
  return keys;
}

namespace {

double secs(SimTime t) { return sim::to_seconds(t); }

}  // namespace

TrainingTime training_time(const model::TransformerConfig& m, const ClusterSpec& cluster, const Strategy& s,
                           const model::Workload& w, const FrameworkSpec& f, double train_tokens,
                           const TimeOptions& opt, MPI_Comm comm) {
  const NodePerf* np = cluster.node && cluster.node->perf ? &*cluster.node->perf : nullptr;
  const double cv = np ? np->straggler_cv : 0.0;
  const StepSetup st = make_step_setup(m, cluster, s, w, f, cv, opt.seed);
  const bool strag = opt.stragglers && st.straggler_cv > 0;
  const bool reducible = reduced_applicable(st, strag);
  SimMode mode = SimMode::full;
  if (opt.engine == EngineChoice::automatic || opt.engine == EngineChoice::fast) mode = reducible ? SimMode::fast : SimMode::full;
  std::vector<Program> programs;  // built only when a run walks every micro-batch

  TrainingTime r;
  r.fast_path = mode == SimMode::fast;
  auto step = [&](bool stragglers, bool timeline) {
    SimRun out;
    if (mode == SimMode::fast && !timeline && simulate_steady(st, stragglers, out, &r.steady_state_why)) return out;
    if (mode == SimMode::fast && timeline) r.steady_state_why = "a timeline of every micro-batch was asked for";
    if (mode != SimMode::fast) r.steady_state_why = "not on the fast path";
    if (mode == SimMode::fast && simulate_fast_fused(st, stragglers, timeline, out)) return out;
    if (programs.empty()) programs = build_programs(st);
    return simulate(st, programs, mode, stragglers, timeline, comm);
  };
  const SimRun nominal = step(false, opt.timeline && !strag);
  SimRun measured = nominal;
  if (strag) measured = step(true, opt.timeline);
  r.steady_state = nominal.steady_state && measured.steady_state;
  r.micro_batches_walked = std::max(nominal.micro_batches_walked, measured.micro_batches_walked);
  if (r.steady_state) r.steady_state_why.clear();
  r.events = nominal.events + (strag ? measured.events : 0);
  r.rounds = nominal.rounds + (strag ? measured.rounds : 0);
  r.wall_s = nominal.wall_s + (strag ? measured.wall_s : 0);
  r.timeline = std::move(measured.timeline);

  r.step_time_s = secs(measured.step_time);
  r.compute_s = secs(nominal.breakdown.compute);
  r.exposed_comm_s = secs(nominal.breakdown.comm);
  r.offload_s = secs(nominal.breakdown.offload);
  r.cpu_s = secs(nominal.breakdown.cpu);
  r.bubble_s = secs(nominal.breakdown.bubble);
  r.straggler_s = secs(measured.step_time - nominal.step_time);
  r.forward_s = secs(nominal.breakdown.phase[0]);
  r.backward_s = secs(nominal.breakdown.phase[1]);
  r.optimizer_s = secs(nominal.breakdown.phase[2]);
  r.global_batch = st.global_batch;
  r.grad_accum = st.grad_accum;

  const double devices = static_cast<double>(st.devices);
  const double tokens_per_step = static_cast<double>(st.global_batch * st.seq);
  r.tokens_per_s = tokens_per_step / r.step_time_s;
  const double gb = static_cast<double>(st.global_batch);
  r.flops_per_device =
      model::matmul_flops_per_sequence(m, st.seq, s.recompute == model::Recompute::full) * gb / r.step_time_s / devices;
  r.mfu = model::mfu(model::matmul_flops_per_sequence(m, st.seq, false) * gb / r.step_time_s, devices,
                     cluster.gpu.peak_fp16_flops);
  r.hfu = model::mfu(model::hardware_flops_per_sequence(m, st.seq, s.recompute) * gb / r.step_time_s, devices,
                     cluster.gpu.peak_fp16_flops);

  if (train_tokens > 0) {
    const double work = train_tokens / tokens_per_step * r.step_time_s;
    sim::FailureModel fm;
    if (np) {
      fm.mtbf_s = sim::job_mtbf(st.devices, np->gpu_mtbf_s, st.nodes, np->node_mtbf_s);
      // A DeepSpeed/Megatron checkpoint: fp16 weights and fp32 master weights, momentum and
      // variance (2 + 12 bytes per parameter), written by all nodes in parallel.
      const double bytes = 14.0 * static_cast<double>(model::count_params(m).total);
      if (np->checkpoint_write_bandwidth > 0)
        fm.checkpoint_s = bytes / (np->checkpoint_write_bandwidth * static_cast<double>(st.nodes));
      fm.restart_s = np->restart_s;
    } else {
      fm.mtbf_s = std::numeric_limits<double>::infinity();
    }
    fm.interval_s = opt.checkpoint_interval_s;
    const sim::RunTime run = sim::expected_run_time(work, fm);
    r.time_to_train_s = run.wall_s;
    r.goodput = run.goodput;
    r.idle_fraction = run.idle_fraction;
    r.device_seconds = run.wall_s * devices;
  } else {
    r.time_to_train_s = r.goodput = r.idle_fraction = r.device_seconds = std::numeric_limits<double>::quiet_NaN();
  }
  return r;
}

InferenceTime inference_time(const model::TransformerConfig& m, const ClusterSpec& cluster, const Strategy& s,
                             const model::Workload& w, const FrameworkSpec& f, const TimeOptions& opt) {
  if (!cluster.gpu.perf) throw std::invalid_argument("GPU '" + cluster.gpu.name + "' has no `performance:` block");
  if (!cluster.node || !cluster.node->perf)
    throw std::invalid_argument("inference time needs a host node with a `performance:` block (PCIe, storage)");
  if (!f.time) throw std::invalid_argument("framework '" + f.name + "' has no `time_model:` block");
  const NodePerf& np = *cluster.node->perf;
  const bool fp32 = s.inference_precision == Precision::fp32;
  const OpCost cost(cluster.gpu, *cluster.gpu.perf, *f.time, fp32);
  const double params = static_cast<double>(model::count_params(m).total);
  const double t = static_cast<double>(s.tp);
  InferenceTime r;

  // Loading, as the article timed it: the checkpoint is read from storage into host memory and
  // the weights are copied to the GPU (unless they stay on the host under parameter offload).
  const double storage = opt.storage_read_bandwidth > 0 ? opt.storage_read_bandwidth : np.storage_read_bandwidth;
  if (!(storage > 0)) throw std::invalid_argument("inference time needs a storage read bandwidth (node or study `time:`)");
  r.read_s = opt.checkpoint_bytes_per_param * params / storage;
  const double weight_bytes = cost.elem() * params / t;
  const double pcie = np.pcie_achievable;
  r.copy_s = s.offload_params ? 0.0 : weight_bytes / pcie + np.pcie_latency_s;
  r.load_s = r.read_s + r.copy_s;

  // Prefill: one forward pass over the prompt (batch b).
  const std::int64_t prompt = std::max<std::int64_t>(1, w.prompt_tokens);
  const LayerKernels pre = layer_kernels(cost, m, prompt, w.batch, s.tp);
  const EdgeKernels edge = edge_kernels(cost, m, prompt, w.batch, s.tp);
  KernelSeq prefill = edge.embed_fwd;
  for (std::int64_t l = 0; l < m.layers; ++l) {
    prefill += pre.attn_fwd;
    prefill += pre.mlp_fwd;
  }
  prefill += edge.head_fwd;
  // Stream every layer's weights over PCIe for each forward when they live on the host
  // (ZeRO-Inference prefetches the next layer while the current one computes).
  const double stream_s = s.offload_params ? weight_bytes / pcie : 0.0;
  r.prefill_s = std::max(cost.wall(prefill), stream_s);

  // Decode: each new token reads every weight once (a GEMV per matrix: memory bound) and the
  // KV cache so far; the host launches the same kernels as a one-token forward.
  const LayerKernels one = layer_kernels(cost, m, 1, w.batch, s.tp);
  const EdgeKernels one_edge = edge_kernels(cost, m, 1, w.batch, s.tp);
  const std::int64_t kernels = m.layers * (one.attn_fwd.kernels + one.mlp_fwd.kernels) + one_edge.embed_fwd.kernels +
                               one_edge.head_fwd.kernels;
  const double hbm = cluster.gpu.memory_bandwidth * cluster.gpu.perf->memory_efficiency;
  double decode = 0;
  for (std::int64_t i = 0; i < w.output_tokens; ++i) {
    const double ctx = static_cast<double>(prompt + i);
    const double kv = model::kv_cache_bytes(m, w.batch, static_cast<std::int64_t>(ctx), cost.elem()) / t;
    double gpu = (weight_bytes + kv) / hbm + static_cast<double>(kernels) * cluster.gpu.perf->kernel_gap_s;
    gpu = std::max(gpu, static_cast<double>(kernels) * f.time->cpu_dispatch_s);
    decode += std::max(gpu, stream_s);
  }
  r.decode_s = decode;
  r.per_token_s = w.output_tokens > 0 ? decode / static_cast<double>(w.output_tokens) : 0.0;
  r.generate_s = r.load_s + r.prefill_s + r.decode_s;
  return r;
}

}  // namespace wb::gpu
