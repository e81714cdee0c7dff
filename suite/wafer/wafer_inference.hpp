#pragma once
// LLM serving on wafer-scale systems (docs/wafer-model.md, "Inference"). The layers are spread
// over the systems in order (the logits on the last one) and, on each system, over regions of
// its PEs in proportion to the bytes each holds, so every PE holds the same share of weights and
// KV cache; the SRAM budget per PE (kernel_sram_budget: SRAM less code, stacks and routing)
// must hold that share plus the kernel's buffers, else the placement is refused.
//   decode   per layer and token: the GEMVs (qkv, proj, mlp_in, mlp_out) each on its share of the
//            region with the fastest resident kernel that fits (resident_kernels.hpp), attention
//            as two resident products per sequence and KV head over the KV cache held on the
//            region, the activation passed to the next region; between systems, the hop over
//            the system I/O. Layers on different regions work at once: the batch goes through
//            in min(batch, layers) groups, one per region at a time, so a sequence's step is the
//            sum of its group's layer times (continuous batching in steady state).
//   prefill  one prompt's products on the same regions with the fastest resident kernel that
//            fits, the prompt cut into chunks when none fits it whole.
// Weight streaming (placement weight-streaming) reads every weight from MemoryX for each step.
#include <cstdint>
#include <string>
#include <vector>

#include "model/transformer.hpp"
#include "wafer/wafer_spec.hpp"
#include "wafer/wafer_strategy.hpp"

namespace wb::wafer {

struct InferenceRun {
  const model::TransformerConfig* model = nullptr;
  const WaferSpec* spec = nullptr;
  std::int64_t systems = 1;
  std::int64_t batch = 1;
  std::int64_t prompt_tokens = 0;
  std::int64_t output_tokens = 0;
  WaferStrategy strategy;
};

// SRAM per PE of the fullest system, bytes.
struct InferenceSram {
  double weights = 0, kv_cache = 0, buffers = 0;
  double budget = 0;  // kernel_sram_budget
  double total() const { return weights + kv_cache + buffers; }
};

struct WaferInference {
  Placement placement = Placement::layer_pipelined;
  bool fits = false;
  std::string why;  // when it does not fit
  InferenceSram sram;
  double ttft_s = 0, decode_step_s = 0, tokens_per_s_per_user = 0, tokens_per_s = 0;
  double kv_cache_bytes = 0;  // all systems, prompt + output tokens of every sequence
  std::int64_t groups = 1;    // batch groups in flight
  // The decode step: weight-resident products (on the wafer reading a weight and its FMAC are
  // one cycle), attention over the KV cache, and the hops between regions and systems (or the
  // weight stream from MemoryX).
  double weights_s = 0, kv_s = 0, compute_s = 0, comm_s = 0;
};

WaferInference plan_inference(const InferenceRun& run);

}  // namespace wb::wafer
