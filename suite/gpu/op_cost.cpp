#include "gpu/op_cost.hpp"

#include <algorithm>
#include <cmath>

namespace wb::gpu {

namespace {

// Output tiles cuBLAS chooses among for FP16 tensor-core GEMMs, largest first (NVIDIA Matrix
// Multiplication Background User's Guide, Sec. 2.3 "Typical Tile Dimensions in cuBLAS").
struct Tile {
  double m, n;
};
constexpr Tile kTiles[] = {{256, 128}, {128, 128}, {128, 64}, {64, 64}};
// Split-K factors cuBLAS uses when the output has too few tiles to fill the GPU.
constexpr double kSplitK[] = {1, 2, 4, 8};

constexpr double kFp16Bytes = 2.0;
constexpr double kFp32Bytes = 4.0;

}  // namespace

OpCost::OpCost(const GpuSpec& gpu, const GpuPerf& perf, const FrameworkTime& fw, bool fp32)
    : gpu_(gpu), perf_(perf), fw_(fw), peak_(fp32 ? gpu.peak_fp32_flops : gpu.peak_fp16_flops), elem_(fp32 ? 4.0 : 2.0),
      sms_free_(static_cast<double>(perf.sm_count)), bandwidth_(gpu.memory_bandwidth * perf.memory_efficiency) {}

void OpCost::share_with_collective(double sms_held, double hbm_fraction) {
  sms_free_ = std::max(1.0, static_cast<double>(perf_.sm_count) - sms_held);
  bandwidth_ = gpu_.memory_bandwidth * perf_.memory_efficiency * std::max(0.0, 1.0 - hbm_fraction);
}

KernelSeq OpCost::gemm(double m, double n, double k, double batch) const { return gemm_scaled(m, n, k, batch, 1.0); }

KernelSeq OpCost::weight_gemm(double m, double n, double k) const {
  return gemm_scaled(m, n, k, 1.0, sparse_speedup_ * fp8_speedup_);
}

KernelSeq OpCost::weight_grad_gemm(double m, double n, double k) const { return gemm_scaled(m, n, k, 1.0, fp8_speedup_); }

void OpCost::use_fp8(bool on) {
  // Datasheet FP8 over FP16/BF16 dense peaks (H100/H200 SXM: 1,979 / 989 TFLOP/s).
  fp8_speedup_ = on && gpu_.peak_fp8_flops > 0 ? gpu_.peak_fp8_flops / gpu_.peak_fp16_flops : 1.0;
}

void OpCost::use_sparse_weights(bool on) {
  // NVIDIA A100 whitepaper (2020), "Fine-grained structured sparsity": 2:4 sparse tensor cores
  // skip the zero half of the weights, up to 2x the dense math throughput; the datasheets give
  // the sparse peak. Memory traffic and the kernel gap are not reduced here.
  sparse_speedup_ = 1.0;
  if (on && gpu_.peak_fp16_sparse_flops > 0) sparse_speedup_ = std::min(2.0, gpu_.peak_fp16_sparse_flops / gpu_.peak_fp16_flops);
}

KernelSeq OpCost::gemm_scaled(double m, double n, double k, double batch, double math_speedup) const {
  KernelSeq out;
  out.kernels = 1;
  out.flops = 2.0 * m * n * k * batch;
  if (out.flops <= 0) return out;
  const double all_sms = static_cast<double>(perf_.sm_count);
  const double sms = sms_free_;  // the waves fill the SMs a running collective leaves
  const double peak_sm = peak_ * perf_.gemm_efficiency / all_sms;
  const double l2_sm = perf_.l2_bandwidth / all_sms;
  double best = 0;
  bool first = true;
  for (const Tile& t : kTiles) {
    // A tile streams (t.m + t.n) x K operands from L2 for 2 t.m t.n K FLOPs: small tiles are
    // bound by the L2 bandwidth of their SM.
    const double tile_rate = std::min(peak_sm, l2_sm * t.m * t.n / (elem_ * (t.m + t.n)) * 2.0);
    const double tiles = std::ceil(m / t.m) * std::ceil(n / t.n) * batch;
    for (double split : kSplitK) {
      if (split > 1 && (tiles * split > 2.0 * sms || k / split < 256)) continue;
      const double kk = std::ceil(k / split);
      const double waves = std::ceil(tiles * split / sms);
      // Each wave: every busy SM computes one padded tile over its K range, plus the tile's
      // fixed prologue/epilogue expressed in K elements.
      double time = waves * 2.0 * t.m * t.n * (kk + perf_.gemm_k_overhead) / tile_rate;
      time /= math_speedup;  // 2:4 sparse tensor cores: the math only (split-K reduction is dense)
      if (split > 1) time += split * m * n * batch * kFp32Bytes * 2.0 / bandwidth_;
      if (first || time < best) best = time;
      first = false;
    }
  }
  // Operands and result cross HBM at least once.
  const double bytes = elem_ * (m * k + k * n + m * n) * batch;
  out.gpu_s = std::max(best, bytes / bandwidth_) + perf_.kernel_gap_s;
  return out;
}

double OpCost::gemm_efficiency(double m, double n, double k, double batch) const {
  const KernelSeq g = gemm(m, n, k, batch);
  return g.flops / ((g.gpu_s - perf_.kernel_gap_s) * peak_);
}

KernelSeq OpCost::flash_attention(double flops, bool backward) const {
  KernelSeq out;
  out.kernels = 1;
  out.flops = flops;
  const double generation = fw_.flash_kernel_hopper ? 1.0 : perf_.ampere_kernel_fraction;
  const double eff = (backward ? fw_.flash_backward_efficiency : fw_.flash_forward_efficiency) * generation;
  // A fused kernel's blocks fill the free SMs; its rate scales with them.
  double t = flops / (peak_ * eff);
  if (sms_free_ < static_cast<double>(perf_.sm_count)) t *= static_cast<double>(perf_.sm_count) / sms_free_;
  out.gpu_s = t + perf_.kernel_gap_s;
  return out;
}

KernelSeq OpCost::stream(double bytes, std::int64_t kernels) const {
  KernelSeq out;
  out.kernels = kernels;
  out.gpu_s = bytes / bandwidth_ + static_cast<double>(kernels) * perf_.kernel_gap_s;
  return out;
}

double OpCost::wall(const KernelSeq& k) const {
  return std::max(k.gpu_s, static_cast<double>(k.kernels) * fw_.cpu_dispatch_s);
}

LayerKernels layer_kernels(const OpCost& c, const model::TransformerConfig& m, std::int64_t seq,
                           std::int64_t micro_batch, std::int64_t tp, bool sequence_parallel) {
  LayerKernels L;
  const double t = static_cast<double>(tp);
  const double s = static_cast<double>(seq), b = static_cast<double>(micro_batch);
  const double T = s * b;  // tokens of the micro-batch
  const double Te = sequence_parallel ? T / t : T;  // tokens of the kernels outside the TP region
  const double h = static_cast<double>(m.d_model);
  const double qt = static_cast<double>(m.heads * m.d_head) / t;
  const double kvt = static_cast<double>(m.kv_heads * m.d_head) / t;
  const double ft = static_cast<double>(m.d_ffn) / t;
  const double at = static_cast<double>(m.heads) / t;
  const double dh = static_cast<double>(m.d_head);
  const double S = b * at * s * s;  // attention score elements
  const bool drop = m.dropout;
  const bool swiglu = m.mlp == model::Mlp::swiglu;
  const double up = swiglu ? 2.0 * ft : ft;  // width of the first MLP projection

  // Attention block, forward (Megatron ParallelAttention): LayerNorm, QKV projection (bias in
  // the GEMM epilogue), core, output projection, then bias-dropout-add after the all-reduce.
  // Forward byte counts are written for 2-byte activations and scaled by e for fp32 inference.
  const double e = c.elem() / 2.0;
  KernelSeq af = c.stream(e * 4.0 * Te * h);        // LayerNorm: read x, write y
  af += c.weight_gemm(T, qt + 2.0 * kvt, h);
  KernelSeq core;
  if (c.framework().attention == Attention::unfused) {
    core += c.gemm(s, s, dh, b * at);                // Q K^T
    core += c.stream(e * 4.0 * S);                   // fused scale-mask-softmax: read, write
    if (drop) core += c.stream(e * 5.0 * S);         // dropout: read, write, 1-byte mask
    core += c.gemm(s, dh, s, b * at);                // P V
    core += c.stream(e * 4.0 * T * qt);              // context back to [s, b, h]
  } else {
    // FlashAttention (Dao et al. 2022): one kernel, causal half of the scores, no s^2 traffic.
    core += c.flash_attention(0.5 * 2.0 * s * s * 2.0 * dh * b * at, false);  // QK^T and PV, causal half
  }
  af += core;
  af += c.weight_gemm(T, h, qt);
  L.attn_core_fwd = core;
  KernelSeq bda = c.stream(e * 7.0 * Te * h);        // bias-dropout-add: read x, residual; write; mask
  if (!drop) bda = c.stream(e * 6.0 * Te * h);
  L.attn_fwd = af;
  L.attn_fwd += bda;

  KernelSeq mf = c.stream(e * 4.0 * Te * h);         // LayerNorm
  mf += c.weight_gemm(T, up, h);
  mf += c.stream(e * (swiglu ? 6.0 * T * ft : 4.0 * T * ft));  // bias + GeLU (fused) or SiLU-gate
  mf += c.weight_gemm(T, h, ft);
  mf += bda;
  L.mlp_fwd = mf;

  // Backward: every GEMM becomes a data-gradient and a weight-gradient GEMM of the same size;
  // element-wise kernels read the saved input and the incoming gradient and write a gradient.
  const double grad_accum_bytes = kFp16Bytes + 2.0 * kFp32Bytes;  // fp16 wgrad added into fp32 main_grad
  KernelSeq ab = c.stream(5.0 * Te * h);             // bias-dropout-add backward
  ab += c.weight_gemm(T, qt, h);                     // projection dgrad
  ab += c.weight_grad_gemm(qt, h, T);                // projection wgrad
  ab += c.stream(2.0 * T * h);                       // bias grad
  if (c.framework().attention == Attention::unfused) {
    ab += c.gemm(s, s, dh, b * at);                  // dP = dO V^T
    ab += c.gemm(s, dh, s, b * at);                  // dV = P^T dO
    if (drop) ab += c.stream(5.0 * S);               // dropout backward
    ab += c.stream(6.0 * S);                         // softmax backward: read P, dP; write dS
    ab += c.gemm(s, dh, s, b * at);                  // dQ
    ab += c.gemm(s, dh, s, b * at);                  // dK
    ab += c.stream(4.0 * T * (qt + 2.0 * kvt));      // gradients back to [s, b, 3h]
  } else {
    // Backward: recomputed scores, dV, dP, dQ, dK (five s x s x dh products), causal half.
    ab += c.flash_attention(0.5 * 2.0 * s * s * 5.0 * dh * b * at, true);
  }
  ab += c.weight_gemm(T, h, qt + 2.0 * kvt);         // QKV dgrad
  ab += c.weight_grad_gemm(h, qt + 2.0 * kvt, T);    // QKV wgrad
  ab += c.stream(2.0 * T * (qt + 2.0 * kvt));        // bias grad
  ab += c.stream(8.0 * Te * h, 2);                   // LayerNorm backward (+ weight grads)
  ab += c.stream(grad_accum_bytes * h * (qt + 2.0 * kvt + qt), 2);  // accumulate weight grads
  L.attn_bwd = ab;

  KernelSeq mb = c.stream(5.0 * Te * h);             // bias-dropout-add backward
  mb += c.weight_gemm(T, ft, h);                     // FC2 dgrad
  mb += c.weight_grad_gemm(ft, h, T);                // FC2 wgrad
  mb += c.stream(2.0 * T * h);                       // bias grad
  mb += c.stream(swiglu ? 10.0 * T * ft : 6.0 * T * ft);  // activation backward
  mb += c.weight_gemm(T, h, up);                     // FC1 dgrad
  mb += c.weight_grad_gemm(h, up, T);                // FC1 wgrad
  mb += c.stream(2.0 * T * up);                      // bias grad
  mb += c.stream(8.0 * Te * h, 2);                   // LayerNorm backward
  mb += c.stream(6.0 * Te * h);                      // residual gradient add
  mb += c.stream(grad_accum_bytes * h * (up + ft), 2);
  L.mlp_bwd = mb;

  if (c.fp8()) {
    // Transformer Engine's casts around the FP8 GEMMs (NVIDIA Transformer Engine docs, "FP8
    // primer": per-tensor scaling from the amax history): the QKV and FC1 inputs are cast inside
    // the fused LayerNorm, the projection and FC2 inputs by their own kernels (read 2, write 1
    // byte), and each input's transposed FP8 copy is kept for its weight gradient (1 byte);
    // the weights are cast with their transposes every micro-batch (read 2, write 1 + 1);
    // every gradient flowing into a GEMM is cast with its transpose (read 2, write 1 + 1). One
    // amax/scale kernel per GEMM per pass.
    const double w_attn = h * (qt + 2.0 * kvt) + qt * h, w_mlp = h * up + ft * h;
    L.attn_fwd += c.stream(3.0 * T * qt + T * (h + qt), 1);
    L.attn_fwd += c.stream(4.0 * w_attn, 2);
    L.attn_fwd += c.stream(0.0, 2);
    L.mlp_fwd += c.stream(3.0 * T * ft + T * (h + ft), 1);
    L.mlp_fwd += c.stream(4.0 * w_mlp, 2);
    L.mlp_fwd += c.stream(0.0, 2);
    L.attn_bwd += c.stream(4.0 * T * (qt + 2.0 * kvt + h), 2);
    L.attn_bwd += c.stream(0.0, 2);
    L.mlp_bwd += c.stream(4.0 * T * (up + h), 2);
    L.mlp_bwd += c.stream(0.0, 2);
  }
  L.tp_allreduce_bytes = c.elem() * T * h;
  L.activation_bytes = c.elem() * T * h;
  return L;
}

EdgeKernels edge_kernels(const OpCost& c, const model::TransformerConfig& m, std::int64_t seq,
                         std::int64_t micro_batch, std::int64_t tp) {
  EdgeKernels E;
  const double t = static_cast<double>(tp);
  const double T = static_cast<double>(seq * micro_batch);
  const double h = static_cast<double>(m.d_model);
  const double vt = static_cast<double>(m.vocab) / t;
  // Embedding: gather rows, add positions, dropout.
  const double e = c.elem() / 2.0;
  E.embed_fwd = c.stream(e * 4.0 * T * h);
  if (m.position == model::Position::learned) E.embed_fwd += c.stream(e * 6.0 * T * h);
  if (m.dropout) E.embed_fwd += c.stream(e * 5.0 * T * h);
  // Backward: dense embedding gradient (zeroed, scattered into) and its fp32 accumulation.
  E.embed_bwd = c.stream(2.0 * vt * h + 4.0 * T * h, 2);
  E.embed_bwd += c.stream((kFp16Bytes + 2.0 * kFp32Bytes) * vt * h);
  // Head: final LayerNorm, logits, cross-entropy in fp32 over the vocabulary shard
  // (Megatron vocab_parallel_cross_entropy: max, subtract, exp, sum, log, gather).
  E.head_fwd = c.stream(e * 4.0 * T * h);
  E.head_fwd += c.gemm(T, vt, h);
  E.head_fwd += c.stream(c.elem() * T * vt + 4.0 * kFp32Bytes * T * vt, 4);
  E.head_bwd = c.stream(2.0 * kFp32Bytes * T * vt + kFp16Bytes * T * vt, 2);
  E.head_bwd += c.gemm(T, h, vt);
  E.head_bwd += c.gemm(h, vt, T);
  E.head_bwd += c.stream(8.0 * T * h, 2);
  return E;
}

KernelSeq gpu_adam(const OpCost& c, double params) {
  // Multi-tensor fused Adam (Apex/DeepSpeed): one pass over the parameters' states; a few
  // launches per parameter group.
  return c.stream(c.framework().gpu_optimizer_bytes_per_param * params, 4);
}

}  // namespace wb::gpu
