#include "gpu/serving_time.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "gpu/collective_cost.hpp"
#include "gpu/op_cost.hpp"

namespace wb::gpu {

namespace {

// FLOPs of one decoded token: 2 per weight of every matrix product (layers and the logits) and
// 2 x 2 x heads x d_head per cached position and layer for the scores and the context
// (Kaplan et al. 2020, Table 1, forward pass: 2N + 2 n_layer n_ctx d_attn).
double decode_flops_per_token(const model::TransformerConfig& m, double context) {
  const model::ParamCounts pc = model::count_params(m);
  const double matmul = static_cast<double>(pc.stack_params) + static_cast<double>(m.vocab * m.d_model);
  const double d_attn = static_cast<double>(m.heads * m.d_head);
  return 2.0 * matmul + 4.0 * static_cast<double>(m.layers) * context * d_attn;
}

// vLLM's EngineArgs default gpu_memory_utilization: the share of HBM the engine takes for
// weights, activations and its KV-cache blocks (vLLM docs, engine arguments).
constexpr double kServingMemoryShare = 0.9;

// Tensor-parallel ranks that hold distinct KV heads: Megatron-LM and vLLM replicate a KV head on
// the ranks that share it when tp exceeds the KV heads.
double kv_shards(const model::TransformerConfig& m, std::int64_t tp) {
  const std::int64_t kv_heads = m.kv_heads > 0 ? m.kv_heads : m.heads;
  return static_cast<double>(std::min(tp, kv_heads));
}

GroupShape tp_group(const ClusterSpec& cluster, std::int64_t tp) {
  GroupShape g;
  g.members = tp;
  g.per_node = std::min(tp, cluster.gpus_per_node);
  g.nodes = (tp + g.per_node - 1) / g.per_node;
  return g;
}

}  // namespace

ServingTime serving_time(const model::TransformerConfig& m, const ClusterSpec& cluster, const Strategy& s,
                         const model::Workload& w, const FrameworkSpec& f) {
  if (!cluster.gpu.perf) throw std::invalid_argument("GPU '" + cluster.gpu.name + "' has no `performance:` block");
  if (!f.time) throw std::invalid_argument("framework '" + f.name + "' has no `time_model:` block");
  const GpuPerf& perf = *cluster.gpu.perf;
  const bool fp32 = s.inference_precision == Precision::fp32;
  const OpCost cost(cluster.gpu, perf, *f.time, fp32);
  const double e = cost.elem();
  const std::int64_t mp = s.model_parallel();
  if (cluster.total_gpus() % mp != 0)
    throw std::invalid_argument("tp x pp = " + std::to_string(mp) + " does not divide the " +
                                std::to_string(cluster.total_gpus()) + " GPUs");
  const double stages = static_cast<double>(s.pp);
  const double layers_per_stage = static_cast<double>(m.layers) / stages;
  const double b = static_cast<double>(w.batch);
  const Fabric fabric = make_fabric(cluster);
  const GroupShape group = tp_group(cluster, s.tp);
  const bool stages_in_node = mp <= cluster.gpus_per_node;

  ServingTime r;
  r.replicas = cluster.total_gpus() / mp;
  const double params = static_cast<double>(model::count_params(m).total);
  const double mean_context = static_cast<double>(w.prompt_tokens) + 0.5 * static_cast<double>(w.output_tokens);
  r.kv_cache_bytes = model::kv_cache_bytes(m, w.batch, w.prompt_tokens + w.output_tokens, e);

  const double per_sequence_kv = model::kv_cache_bytes(m, 1, w.prompt_tokens + w.output_tokens, e) /
                                 (kv_shards(m, s.tp) * stages);
  const double free_bytes = kServingMemoryShare * cluster.gpu.memory_bytes - e * params / static_cast<double>(mp) -
                            (f.accounting == Accounting::runtime ? f.cuda_context_bytes : 0.0);
  r.max_batch = free_bytes > 0 ? static_cast<std::int64_t>(std::floor(free_bytes / per_sequence_kv)) : 0;

  // One stage's decode step: the roofline of its bytes and FLOPs.
  const double hbm = cluster.gpu.memory_bandwidth * perf.memory_efficiency;
  const double peak = (fp32 ? cluster.gpu.peak_fp32_flops : cluster.gpu.peak_fp16_flops) * perf.gemm_efficiency;
  const double weight_bytes = e * params / static_cast<double>(mp);
  const double kv_bytes = model::kv_cache_bytes(m, w.batch, 1, e) * mean_context / (kv_shards(m, s.tp) * stages);
  const double memory_s = (weight_bytes + kv_bytes) / hbm;
  const double compute_s = b * decode_flops_per_token(m, mean_context) / static_cast<double>(mp) / peak;
  const LayerKernels one = layer_kernels(cost, m, 1, w.batch, s.tp);
  const EdgeKernels edge = edge_kernels(cost, m, 1, w.batch, s.tp);
  const double kernels = layers_per_stage * static_cast<double>(one.attn_fwd.kernels + one.mlp_fwd.kernels) +
                         static_cast<double>(edge.embed_fwd.kernels + edge.head_fwd.kernels) / stages;
  const double launch_s = kernels * perf.kernel_gap_s;
  // Megatron: one all-reduce after attention and one after the MLP, each of [batch, d_model].
  const double allreduce_s =
      s.tp > 1 ? 2.0 * layers_per_stage * collective_time(Collective::all_reduce, one.tp_allreduce_bytes, group, fabric) : 0.0;
  const double hop_s = s.pp > 1 ? p2p_time(one.activation_bytes, stages_in_node, fabric) : 0.0;

  r.memory_bound = memory_s >= compute_s;
  if (r.memory_bound) {
    r.weights_read_s = stages * memory_s * weight_bytes / (weight_bytes + kv_bytes);
    r.kv_read_s = stages * memory_s * kv_bytes / (weight_bytes + kv_bytes);
  } else {
    r.compute_s = stages * compute_s;
  }
  r.launch_s = stages * launch_s;
  r.comm_s = stages * allreduce_s + (stages - 1) * hop_s;
  r.decode_step_s = r.weights_read_s + r.kv_read_s + r.compute_s + r.launch_s + r.comm_s;
  r.tokens_per_s_per_user = 1.0 / r.decode_step_s;
  r.tokens_per_s = static_cast<double>(r.replicas) * b / r.decode_step_s;

  // Time to first token: one request's prompt through every stage's kernels, all-reduces and hops.
  const std::int64_t prompt = std::max<std::int64_t>(1, w.prompt_tokens);
  const LayerKernels pre = layer_kernels(cost, m, prompt, 1, s.tp);
  const EdgeKernels pre_edge = edge_kernels(cost, m, prompt, 1, s.tp);
  KernelSeq layer = pre.attn_fwd;
  layer += pre.mlp_fwd;
  const double layer_s = cost.wall(layer);
  const double pre_allreduce_s =
      s.tp > 1 ? 2.0 * collective_time(Collective::all_reduce, pre.tp_allreduce_bytes, group, fabric) : 0.0;
  r.ttft_s = static_cast<double>(m.layers) * (layer_s + pre_allreduce_s) + cost.wall(pre_edge.embed_fwd) +
             cost.wall(pre_edge.head_fwd) +
             (stages - 1) * (s.pp > 1 ? p2p_time(pre.activation_bytes, stages_in_node, fabric) : 0.0);
  return r;
}

}  // namespace wb::gpu
