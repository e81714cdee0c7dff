#include "gpu/memory_plan.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace wb::gpu {

namespace {

using model::Recompute;

// Parameters held by pipeline stage `stage` of `pp`, divided over tp (weights split by
// Megatron's tensor parallelism; the small replicated norms and biases are ignored).
struct Stage {
  double params = 0;      // per GPU of the stage
  std::int64_t layers = 0;
  bool first = false;
  bool last = false;
};

Stage stage_of(const model::TransformerConfig& m, const model::ParamCounts& pc, std::int64_t stage, std::int64_t pp,
               std::int64_t tp) {
  Stage s;
  // Layers (encoder then decoder for encoder-decoder models) are spread as evenly as possible,
  // the earlier stages taking the remainder.
  const std::int64_t base = pc.stack_layers / pp, extra = pc.stack_layers % pp;
  s.layers = base + (stage < extra ? 1 : 0);
  s.first = stage == 0;
  s.last = stage == pp - 1;
  double p = static_cast<double>(s.layers) * static_cast<double>(pc.stack_params) / static_cast<double>(pc.stack_layers);
  if (s.first) p += static_cast<double>(pc.token_embedding + pc.position_embedding);
  if (s.last) {
    p += static_cast<double>(pc.final_norm);
    // Untied output weights live on the last stage; tied ones are copied there when pp > 1
    // (Megatron keeps a second copy of the word embeddings and all-reduces their gradients).
    if (!m.tied_embeddings) p += static_cast<double>(pc.lm_head);
    else if (pp > 1) p += static_cast<double>(pc.token_embedding);
  }
  s.params = p / static_cast<double>(tp);
  return s;
}

// Device memory of one stage's GPU for training.
DeviceMemory train_device(const model::TransformerConfig& m, const model::ParamCounts& pc, const Stage& st,
                          std::int64_t pp, std::int64_t stage, std::int64_t dp, const Strategy& s,
                          const model::Workload& w, const FrameworkSpec& f) {
  DeviceMemory d;
  const double psi = st.params;
  const double nd = static_cast<double>(dp);
  const double k = f.optimizer_bytes_per_param;
  const double g32 = f.fp32_grad_bytes_per_param;
  const double largest = static_cast<double>(pc.largest_module) / static_cast<double>(s.tp);
  const int z = s.zero_stage;

  switch (f.accounting) {
    case Accounting::zero_paper:
      // Sec. 5.3: (2 + 2 + K) Psi with Pos: 4Psi + K Psi/Nd, Pos+g: 2Psi + (2+K)Psi/Nd,
      // Pos+g+p: (4+K)Psi/Nd.
      d.params = z >= 3 ? 2.0 * psi / nd : 2.0 * psi;
      d.grads = z >= 2 ? 2.0 * psi / nd : 2.0 * psi;
      d.optimizer = s.offload_optimizer ? 0.0 : (z >= 1 ? k * psi / nd : k * psi);
      break;
    case Accounting::ds_estimator:
      // estimate_zero2_model_states_mem_needs: offload 2P; else 4P + 16P/N (its example output).
      // estimate_zero3_model_states_mem_needs: 4*largest_layer + {18P/N, 2P/N, 0}.
      if (z <= 2) {
        d.params = 2.0 * psi;
        d.grads = s.offload_optimizer ? 0.0 : 2.0 * psi;
        d.optimizer = s.offload_optimizer ? 0.0 : (k + g32) * psi / (z >= 1 ? nd : 1.0);
      } else {
        d.params = (s.offload_params ? 0.0 : 2.0 * psi / nd) + 2.0 * largest;
        d.grads = 2.0 * largest;
        d.optimizer = s.offload_optimizer ? 0.0 : (k + g32) * psi / nd;
      }
      break;
    case Accounting::runtime: {
      const double reduce_bucket = 2.0 * std::min(psi, f.reduce_bucket_elements);
      const double gather_bucket = 2.0 * std::min(psi, f.allgather_bucket_elements);
      const double hp = f.half_precision_shard_bytes;
      if (z <= 2) {
        d.params = 2.0 * psi;
      } else {
        // Partition (unless on the host) plus the modules gathered for compute and the prefetch,
        // bounded by stage3_max_live_parameters.
        const double live = std::min({psi, largest + f.prefetch_bucket_elements, std::max(largest, f.max_live_parameters)});
        d.params = (s.offload_params ? 0.0 : hp * psi / nd) + 2.0 * live;
      }
      if (z <= 1) d.grads = 2.0 * psi;
      else if (z == 2) d.grads = s.offload_optimizer ? 0.0 : hp * psi / nd;
      else d.grads = (s.offload_optimizer ? 0.0 : hp * psi / nd) + 2.0 * largest;
      d.optimizer = s.offload_optimizer ? 0.0 : (k + g32) * psi / (z >= 1 ? nd : 1.0);
      if (z == 0) d.buffers = dp > 1 ? std::min(2.0 * psi, f.ddp_bucket_bytes) : 0.0;
      else if (z <= 2) d.buffers = reduce_bucket + gather_bucket;
      else d.buffers = reduce_bucket;
      d.framework = f.cuda_context_bytes;
      break;
    }
  }

  // Activations (Korthikanti et al.): under 1F1B stage i keeps up to pp - i micro-batches in
  // flight; without pipelining one micro-batch. Under the interleaved schedule (vp<v> model chunks
  // per stage) stage i runs 2 (pp - i - 1) + (v - 1) pp warm-up chunk passes before its first
  // backward (Megatron-LM core/pipeline_parallel/schedules.py, forward_backward_pipelining_with_
  // interleaving), so it holds one more than that, each of layers / v layers: on the first stage
  // (1 + (pp - 1) / (pp v)) times the 1F1B figure, as Korthikanti et al. (MLSys'23, Sec. 4.2.3)
  // state. The passes of a step (micro-batches x chunks) bound it.
  const std::int64_t v = pp > 1 ? std::max<std::int64_t>(1, s.virtual_stages) : 1;
  std::int64_t in_flight = v > 1 ? 2 * (pp - stage - 1) + (v - 1) * pp + 1 : pp - stage;  // chunk passes
  if (w.global_batch > 0) {
    const std::int64_t micro_per_step = std::max<std::int64_t>(1, w.global_batch / (dp * s.micro_batch));
    in_flight = std::min(in_flight, micro_per_step * v);
  }
  const bool flash = f.time && f.time->attention == Attention::flash;
  const double per_layer =
      model::activation_bytes_per_layer(m, w.seq_len, s.micro_batch, s.tp, s.sequence_parallel, s.recompute, flash);
  double act = static_cast<double>(in_flight) * static_cast<double>(st.layers) / static_cast<double>(v) * per_layer;
  if (s.recompute == Recompute::full && st.layers > 0)
    act += model::recompute_working_bytes(m, w.seq_len, s.micro_batch, s.tp, s.sequence_parallel, flash);
  // The embedding output and the head sit in the first and last chunk: one per micro-batch there.
  const std::int64_t micro_in_flight = (in_flight + v - 1) / v;
  if (st.last) act += model::activation_bytes_outside_layers(m, w.seq_len, s.micro_batch, s.tp);
  else if (st.first) act += 2.0 * static_cast<double>(w.seq_len * s.micro_batch * m.d_model) * static_cast<double>(micro_in_flight);
  d.activations = act;
  return d;
}

HostMemory train_host(const Stage& st, std::int64_t dp, std::int64_t ranks_per_node, const Strategy& s,
                      const model::ParamCounts& pc, const FrameworkSpec& f) {
  HostMemory h;
  if (f.accounting == Accounting::zero_paper) return h;
  const double psi = st.params;
  const double nd = static_cast<double>(dp);
  const double r = static_cast<double>(ranks_per_node);
  const double factor = f.host_buffer_factor;
  if (s.offload_optimizer) {
    h.optimizer = factor * r * f.optimizer_bytes_per_param * psi / nd;
    h.grads = factor * r * f.fp32_grad_bytes_per_param * psi / nd;
  }
  if (s.offload_params) h.params = factor * r * 2.0 * psi / nd;
  if (f.accounting == Accounting::runtime && s.offload_optimizer && !s.offload_params) {
    // Pinned fp16 copy of the updated partition, staged for the copy back to the GPU.
    h.buffers = r * 2.0 * psi / nd;
  }
  // Start-up: without ZeRO-3's zero.Init each process builds its full part of the model in fp32
  // before sharding; with it only the module being constructed is materialised.
  const double largest = static_cast<double>(pc.largest_module) / static_cast<double>(s.tp);
  h.init_peak = factor * r * 4.0 * (s.zero_stage == 3 ? largest : psi);
  h.processes = r * f.host_process_bytes;
  return h;
}

}  // namespace

MemoryPlan plan_memory(const model::TransformerConfig& m, const ClusterSpec& cluster, const Strategy& s,
                       const model::Workload& w, const FrameworkSpec& f) {
  MemoryPlan plan;
  const std::int64_t gpus = cluster.total_gpus();
  if (gpus % s.model_parallel() != 0)
    throw std::invalid_argument(std::to_string(gpus) + " GPUs cannot be split into tp" + std::to_string(s.tp) + " x pp" +
                                std::to_string(s.pp) + " groups");
  if (s.pp > m.layers + m.encoder_layers)
    throw std::invalid_argument("pp" + std::to_string(s.pp) + " exceeds the model's " +
                                std::to_string(m.layers + m.encoder_layers) + " layers");
  if (s.tp > m.heads || m.heads % s.tp != 0)
    throw std::invalid_argument("tp" + std::to_string(s.tp) + " does not divide the model's " + std::to_string(m.heads) +
                                " attention heads");
  plan.dp = gpus / s.model_parallel();
  plan.device_capacity = cluster.gpu.memory_bytes;
  plan.host_capacity = cluster.host_memory_per_node();
  const model::ParamCounts pc = model::count_params(m);
  const std::int64_t ranks_per_node = std::min(cluster.gpus_per_node, gpus);

  if (s.inference) {
    // Weights in the inference precision, the KV cache for prompt + output tokens, and the
    // prefill working set: the fp32 logits over the prompt (Hugging Face computes logits for
    // every position) and one layer's intermediate activations.
    const double bytes = s.inference_precision == Precision::fp32 ? 4.0 : 2.0;
    const double psi = static_cast<double>(pc.total) / static_cast<double>(s.tp);
    const double tokens = static_cast<double>(w.prompt_tokens + w.output_tokens);
    const double b = static_cast<double>(w.batch);
    DeviceMemory& d = plan.device;
    if (s.zero_stage == 3) {
      const double largest = static_cast<double>(pc.largest_module) / static_cast<double>(s.tp);
      const double nd = static_cast<double>(plan.dp);
      double live = largest;
      if (f.accounting == Accounting::runtime)
        live = std::min({psi, std::max(largest, f.max_live_parameters) + f.prefetch_bucket_elements});
      d.params = bytes * ((s.offload_params ? 0.0 : psi / nd) + live);
      plan.notes.push_back("ZeRO-Inference: up to stage3_max_live_parameters stay gathered on the GPU");
    } else {
      d.params = bytes * psi;
    }
    d.activations = model::kv_cache_bytes(m, w.batch, static_cast<std::int64_t>(tokens), bytes) / static_cast<double>(s.tp);
    const double prompt = static_cast<double>(std::max<std::int64_t>(w.prompt_tokens, 1));
    const double logits = 4.0 * b * prompt * static_cast<double>(m.vocab) / static_cast<double>(s.tp);
    const double layer = bytes * b * prompt *
                         (3.0 * static_cast<double>(m.d_model) + static_cast<double>(m.d_ffn) / static_cast<double>(s.tp));
    d.buffers = logits + layer;
    if (f.accounting == Accounting::runtime) d.framework = f.cuda_context_bytes;
    // Host: the checkpoint is materialised in host memory before the copy to the GPU (fp32 for
    // the default Hugging Face load), and stays there when offloaded.
    HostMemory& h = plan.host;
    const double r = static_cast<double>(ranks_per_node);
    h.init_peak = r * 4.0 * psi;
    if (s.offload_params) h.params = f.host_buffer_factor * r * bytes * psi / static_cast<double>(plan.dp);
    if (f.accounting == Accounting::runtime) h.processes = r * f.host_process_bytes;
    plan.params_per_device = psi;
  } else {
    if (w.seq_len <= 0) throw std::invalid_argument("training needs a sequence length (workload.seq_len)");
    double worst = -1;
    for (std::int64_t stage = 0; stage < s.pp; ++stage) {
      // Stages in the middle look alike; the first, second and last are enough to find the peak.
      if (stage > 1 && stage < s.pp - 1) continue;
      const Stage st = stage_of(m, pc, stage, s.pp, s.tp);
      const DeviceMemory d = train_device(m, pc, st, s.pp, stage, plan.dp, s, w, f);
      if (d.total() > worst) {
        worst = d.total();
        plan.device = d;
        plan.critical_stage = stage;
        plan.params_per_device = st.params;
        plan.host = train_host(st, plan.dp, ranks_per_node, s, pc, f);
      }
    }
    if (s.recompute == Recompute::full) plan.notes.push_back("full recompute keeps one layer input per layer");
  }
  plan.fits_device = plan.device.total() <= plan.device_capacity;
  plan.fits_host = std::isnan(plan.host_capacity) || plan.host.total() <= plan.host_capacity;
  return plan;
}

}  // namespace wb::gpu
