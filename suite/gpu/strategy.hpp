#pragma once
// How a model is laid out on GPUs, written as words joined by '+':
//   zero0..zero3  offload  param-offload  tp<N>  sp  pp<N>  mb<N>  recompute-<none|selective|full>
//   infer-fp32  infer-fp16
// and, for the time model: ga<N> (micro-batches accumulated per optimizer step; otherwise
// derived from the workload's global batch), vp<N> (interleaved 1F1B with N model chunks per
// pipeline stage, Narayanan et al. SC'21 Sec. 2.2.2) and delayed-update (ZeRO-Offload's
// one-step delayed parameter update, Ren et al. ATC'21 Sec. 5.2); for weight sparsity (training,
// decoder-layer weight matrices; docs/gpu-time-model.md "Sparsity"): sparse<P> (P % of the
// weights zero, unstructured: dense tensor-core kernels multiply the zeros, so the scenario is
// computed as dense and says so) and sparse2:4 (NVIDIA's 2:4 structured sparsity: the sparse
// tensor cores of A100/H100 speed up the products with the sparse weights).
// e.g. "zero2+offload+mb1+recompute-full" or "zero3+param-offload+infer-fp32". The canonical
// spelling (fixed word order, defaults left out except zero<N> and mb<N> for training) is part
// of the scenario id and therefore stable.
#include <cstdint>
#include <string>
#include <vector>

#include "model/transformer.hpp"

namespace wb::gpu {

enum class Precision { fp32, fp16 };

struct Strategy {
  int zero_stage = 0;
  bool offload_optimizer = false;  // ZeRO-Offload: optimizer states and update on the host CPU
  bool offload_params = false;     // ZeRO-3 parameter offload (ZeRO-Infinity / ZeRO-Inference)
  std::int64_t tp = 1;
  std::int64_t pp = 1;
  std::int64_t micro_batch = 1;
  model::Recompute recompute = model::Recompute::none;
  bool sequence_parallel = false;   // Korthikanti et al.: norms and dropouts split over the tp ranks
  bool fp8 = false;                 // Transformer Engine: weight GEMMs in FP8, the rest in BF16
  bool inference = false;
  Precision inference_precision = Precision::fp16;
  std::int64_t grad_accum = 0;      // 0: global batch / (dp x micro_batch)
  std::int64_t virtual_stages = 1;  // model chunks per pipeline stage (interleaved schedule)
  bool delayed_update = false;
  std::int64_t sparse_percent = 0;  // unstructured weight sparsity (no effect on GPU time or memory)
  bool sparse_2to4 = false;         // 2:4 structured weight sparsity (half the weights zero)

  // Fraction of the decoder layers' weights that are zero (the /scenarios `sparsity` column).
  double weight_sparsity() const { return sparse_2to4 ? 0.5 : static_cast<double>(sparse_percent) / 100.0; }

  std::int64_t model_parallel() const { return tp * pp; }
  std::string canonical() const;
};

// Parses and validates a strategy string; throws std::invalid_argument explaining which word is
// wrong or which combination is impossible.
Strategy parse_strategy(const std::string& text);

// Every word a GPU strategy is written with, as `waferbench list strategies` prints it; the
// parser's "known:" list is made from it.
struct StrategyWord {
  const char* word;     // "tp<N>", "zero0..zero3"
  const char* meaning;  // one line, with its source
};
const std::vector<StrategyWord>& strategy_words();

}  // namespace wb::gpu
