#pragma once
// LLM serving on a GPU cluster in steady state: one model instance per tensor x pipeline group
// (the remaining GPUs are data-parallel replicas), `batch` sequences decoding together under
// continuous batching (Yu et al., Orca, OSDI'22; Kwon et al., vLLM, SOSP'23), each sequence
// somewhere in its generation, so the KV cache read per step is that of the mean context
// prompt + output / 2 (the memory plan holds the full prompt + output for every sequence).
//   decode step  per pipeline stage the roofline of the whole step (Williams et al. 2009; Pope et
//                al., "Efficiently Scaling Transformer Inference", MLSys'23, Sec. 2): the larger
//                of the HBM time of its weights and KV cache and the time of its FLOPs at the
//                GEMM efficiency, plus the inter-kernel gaps, plus Megatron's two tensor-parallel
//                all-reduces per layer (Shoeybi et al. 2019) over NVLink; the stages one after
//                the other with a point-to-point hop between them;
//   prefill      one new request's prompt through the layers' kernels (op_cost.hpp), compute
//                bound, with the same all-reduces and hops: the time to first token.
// Serving engines launch the decode step as a CUDA graph (vLLM, TensorRT-LLM), so the host's
// per-kernel dispatch does not bound it; the GPU's kernel gap still does.
#include <cstdint>

#include "gpu/framework.hpp"
#include "gpu/hardware.hpp"
#include "gpu/strategy.hpp"
#include "model/transformer.hpp"
#include "model/workload.hpp"

namespace wb::gpu {

struct ServingTime {
  double ttft_s = 0;           // prefill of one prompt, first token included
  double decode_step_s = 0;    // one token for every sequence of the batch
  double tokens_per_s_per_user = 0;
  double tokens_per_s = 0;     // every replica's batch together
  double kv_cache_bytes = 0;   // the instance's KV cache at prompt + output tokens
  std::int64_t replicas = 1;   // data-parallel model instances
  // The largest batch whose KV cache at prompt + output tokens fits on each GPU beside its
  // weights and the runtime's context, within the share of HBM the engine allocates.
  std::int64_t max_batch = 0;
  // Decode step by what bounds it, summed over the stages: the part of the roofline that is
  // HBM time (split into weights and KV cache in proportion to their bytes) or compute time,
  // the kernel gaps, and the all-reduces and hops.
  double weights_read_s = 0, kv_read_s = 0, compute_s = 0, launch_s = 0, comm_s = 0;
  bool memory_bound = true;
};

// Throws std::invalid_argument when the GPU has no `performance:` block or the framework no
// `time_model:` block.
ServingTime serving_time(const model::TransformerConfig& m, const ClusterSpec& cluster, const Strategy& s,
                         const model::Workload& w, const FrameworkSpec& f);

}  // namespace wb::gpu
