#pragma once
// Cost of GPU kernels: a roofline (Williams, Waterman & Patterson, CACM 52(4) 2009) whose
// compute roof depends on the GEMM's shape through two effects NVIDIA documents for cuBLAS
// (Matrix Multiplication Background User's Guide, DU-09799-001, Sec. 3): wave quantization (the
// output tiles are spread over the SMs in whole waves) and the per-tile prologue/epilogue that
// short K dimensions cannot amortise. Streaming kernels run at the achievable HBM bandwidth.
// Every kernel also pays the GPU's inter-kernel gap, and a sequence of kernels cannot run faster
// than the host can launch them (eager PyTorch: one cpu_dispatch per kernel).
//
// The transformer layer is decomposed into the kernels Megatron-LM / Hugging Face GPT-2 launch
// (Narayanan et al. SC'21; Shoeybi et al. 2019), with their FLOPs and HBM bytes; see
// docs/gpu-time-model.md for the list.
#include <cstdint>

#include "gpu/hardware.hpp"
#include "gpu/perf_spec.hpp"
#include "model/transformer.hpp"

namespace wb::gpu {

// A run of kernels on the compute stream: GPU time and the number of kernels launched.
struct KernelSeq {
  double gpu_s = 0;
  std::int64_t kernels = 0;
  double flops = 0;
  KernelSeq& operator+=(const KernelSeq& o) {
    gpu_s += o.gpu_s;
    kernels += o.kernels;
    flops += o.flops;
    return *this;
  }
};

class OpCost {
 public:
  // fp32: FP32 CUDA-core arithmetic and 4-byte activations (inference of an fp32 model);
  // otherwise FP16/BF16 tensor cores and 2-byte activations.
  OpCost(const GpuSpec& gpu, const GpuPerf& perf, const FrameworkTime& fw, bool fp32 = false);
  double elem() const { return elem_; }

  // C[m x n] = A[m x k] B[k x n], `batch` independent products (batched GEMM), FP16 operands.
  KernelSeq gemm(double m, double n, double k, double batch = 1) const;
  // A product with a decoder layer's weight matrix as an operand, forward (X W) or data
  // gradient (dY W^T): with 2:4 structured sparsity its math time is divided by
  // sparse_weight_speedup(); the weight gradient (X^T dY, dense operands) uses gemm().
  KernelSeq weight_gemm(double m, double n, double k) const;
  // NVIDIA's 2:4 sparse tensor cores: at most 2x, as the sparse over the dense peak of the GPU
  // file (A100 624/312, H100 1979/989 TFLOP/s); 1 for a GPU without them (no peak_fp16_sparse).
  void use_sparse_weights(bool on);
  double sparse_weight_speedup() const { return sparse_speedup_; }
  // Fraction of peak a GEMM of this shape reaches (for tests and docs).
  double gemm_efficiency(double m, double n, double k, double batch = 1) const;
  // FlashAttention (Dao et al. 2022), one fused kernel over the causal half of the scores:
  // `flops` at the framework's achieved fraction of the peak (forward or backward).
  KernelSeq flash_attention(double flops, bool backward) const;
  // A memory-bound kernel moving `bytes` through HBM.
  KernelSeq stream(double bytes, std::int64_t kernels = 1) const;
  // Wall time of a kernel sequence on the compute stream: the GPU time, or the host's launch
  // time when that is longer.
  double wall(const KernelSeq& k) const;

  const GpuSpec& gpu() const { return gpu_; }
  const GpuPerf& perf() const { return perf_; }
  const FrameworkTime& framework() const { return fw_; }

 private:
  const GpuSpec& gpu_;
  const GpuPerf& perf_;
  const FrameworkTime& fw_;
  double peak_;
  double elem_;
  double sparse_speedup_ = 1.0;
  KernelSeq gemm_scaled(double m, double n, double k, double batch, double math_speedup) const;
};

// Per-micro-batch compute of one transformer layer on one GPU (tensor-parallel degree tp),
// split where Megatron's tensor-parallel all-reduces cut it: attention block and MLP block.
struct LayerKernels {
  KernelSeq attn_fwd, mlp_fwd;
  KernelSeq attn_bwd, mlp_bwd;
  KernelSeq attn_core_fwd;  // scores, softmax, dropout, context: what selective recompute redoes
  double tp_allreduce_bytes = 0;  // one all-reduce of the block output [tokens, h] in fp16
  double activation_bytes = 0;    // [tokens, h] fp16: what a pipeline stage sends
};

LayerKernels layer_kernels(const OpCost& cost, const model::TransformerConfig& m, std::int64_t seq,
                           std::int64_t micro_batch, std::int64_t tp);

// Embedding (first stage) and final norm + logits + cross-entropy (last stage), per micro-batch.
struct EdgeKernels {
  KernelSeq embed_fwd, embed_bwd;
  KernelSeq head_fwd, head_bwd;
};

EdgeKernels edge_kernels(const OpCost& cost, const model::TransformerConfig& m, std::int64_t seq,
                         std::int64_t micro_batch, std::int64_t tp);

// Fused Adam step on the GPU over `params` parameters (memory bound).
KernelSeq gpu_adam(const OpCost& cost, double params);


}  // namespace wb::gpu
