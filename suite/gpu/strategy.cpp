#include "gpu/strategy.hpp"

#include <cctype>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace wb::gpu {

namespace {

// "tp8" -> 8 when word starts with prefix followed only by digits; 0 otherwise.
std::int64_t numbered(const std::string& word, const std::string& prefix) {
  if (word.size() <= prefix.size() || word.compare(0, prefix.size(), prefix) != 0) return 0;
  std::int64_t n = 0;
  for (std::size_t i = prefix.size(); i < word.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(word[i]))) return 0;
    if (n > 100000000) throw std::invalid_argument("'" + word + "' is too large");
    n = n * 10 + (word[i] - '0');
  }
  if (n <= 0) throw std::invalid_argument("'" + word + "' must be at least 1");
  return n;
}

std::string known_words() {
  std::string out;
  for (const auto& w : strategy_words()) out += std::string(out.empty() ? "" : ", ") + w.word;
  return out;
}

}  // namespace

const std::vector<StrategyWord>& strategy_words() {
  static const std::vector<StrategyWord> words = {
      {"zero0..zero3", "ZeRO stage (Rajbhandari et al. SC'20): 0 keeps all model states on every GPU; 1 shards the "
                       "optimizer states over data parallelism, 2 also the gradients, 3 also the parameters"},
      {"offload", "ZeRO-Offload: optimizer states and the Adam update on the host CPU (Ren et al. ATC'21)"},
      {"param-offload", "ZeRO-3 parameters in host memory, fetched layer by layer (ZeRO-Infinity, ZeRO-Inference)"},
      {"tp<N>", "tensor parallelism over N GPUs of a node (Megatron-LM, Shoeybi et al. 2019)"},
      {"sp", "sequence parallelism with tp: norms and dropouts split over the tensor ranks, each all-reduce a "
             "reduce-scatter and an all-gather (Korthikanti et al. MLSys'23)"},
      {"pp<N>", "pipeline parallelism over N stages, 1F1B schedule (Narayanan et al. SC'21)"},
      {"mb<N>", "micro-batch of N sequences per GPU"},
      {"fp8", "NVIDIA Transformer Engine: the weight GEMMs (forward, data and weight gradients) in FP8 with per-tensor "
              "scaling, casts and amax bookkeeping around them, everything else in BF16 (training, GPUs with FP8)"},
      {"recompute-none|selective|full",
       "activation recomputation: none, the attention core only, or whole layers (Korthikanti et al. MLSys'23)"},
      {"infer-fp32", "inference, weights in 32-bit floats"},
      {"infer-fp16", "inference, weights in 16-bit floats"},
      {"ga<N>", "N micro-batches accumulated per optimizer step (default: from the workload's global batch)"},
      {"vp<N>", "interleaved 1F1B, N model chunks per pipeline stage (Narayanan et al. SC'21 Sec. 2.2.2)"},
      {"delayed-update", "ZeRO-Offload's one-step delayed parameter update (Ren et al. ATC'21 Sec. 5.2)"},
      {"sparse<P>", "P % of the decoder layers' weights zero, unstructured: computed as dense on GPUs"},
      {"sparse2:4", "2:4 structured sparsity: A100/H100 sparse tensor cores speed up the products with the weights"},
  };
  return words;
}

Strategy parse_strategy(const std::string& text) {
  Strategy s;
  if (text.empty()) throw std::invalid_argument("empty strategy");
  std::vector<std::string> words;
  std::stringstream ss(text);
  for (std::string w; std::getline(ss, w, '+');) {
    if (w.empty()) throw std::invalid_argument("empty word in '" + text + "' (two '+' in a row?)");
    words.push_back(w);
  }
  bool saw_zero = false, saw_mb = false;
  for (const auto& w : words) {
    if (w.size() == 5 && w.compare(0, 4, "zero") == 0 && w[4] >= '0' && w[4] <= '3') {
      if (saw_zero) throw std::invalid_argument("more than one ZeRO stage in '" + text + "'");
      s.zero_stage = w[4] - '0';
      saw_zero = true;
    } else if (w == "offload") {
      s.offload_optimizer = true;
    } else if (w == "param-offload") {
      s.offload_params = true;
    } else if (w == "sp") {
      s.sequence_parallel = true;
    } else if (w == "fp8") {
      s.fp8 = true;
    } else if (auto n = numbered(w, "tp")) {
      s.tp = n;
    } else if (auto n2 = numbered(w, "pp")) {
      s.pp = n2;
    } else if (auto n3 = numbered(w, "mb")) {
      s.micro_batch = n3;
      saw_mb = true;
    } else if (auto n4 = numbered(w, "ga")) {
      s.grad_accum = n4;
    } else if (auto n5 = numbered(w, "vp")) {
      s.virtual_stages = n5;
    } else if (w == "sparse2:4") {
      if (s.sparse_2to4 || s.sparse_percent > 0) throw std::invalid_argument("more than one sparsity word in '" + text + "'");
      s.sparse_2to4 = true;
    } else if (auto n6 = numbered(w, "sparse")) {
      if (s.sparse_2to4 || s.sparse_percent > 0) throw std::invalid_argument("more than one sparsity word in '" + text + "'");
      if (n6 >= 100) throw std::invalid_argument("'" + w + "': the percentage of zero weights must be below 100");
      s.sparse_percent = n6;
    } else if (w == "delayed-update") {
      s.delayed_update = true;
    } else if (w == "recompute-none") {
      s.recompute = model::Recompute::none;
    } else if (w == "recompute-selective") {
      s.recompute = model::Recompute::selective;
    } else if (w == "recompute-full") {
      s.recompute = model::Recompute::full;
    } else if (w == "infer-fp32" || w == "infer-fp16") {
      if (s.inference) throw std::invalid_argument("more than one infer-* word in '" + text + "'");
      s.inference = true;
      s.inference_precision = w == "infer-fp32" ? Precision::fp32 : Precision::fp16;
    } else {
      throw std::invalid_argument("unknown word '" + w + "' (known: " + known_words() + ")");
    }
  }
  if (s.offload_params && s.zero_stage != 3)
    throw std::invalid_argument("param-offload needs zero3 (parameters are offloaded from ZeRO-3 partitions)");
  if (s.delayed_update && !s.offload_optimizer)
    throw std::invalid_argument("delayed-update overlaps the CPU optimizer with the next step; it needs offload");
  if (s.sequence_parallel && s.tp == 1)
    throw std::invalid_argument("sp splits the tensor-parallel region's norms and dropouts; it needs tp > 1");
  if (s.virtual_stages > 1 && s.pp == 1)
    throw std::invalid_argument("vp" + std::to_string(s.virtual_stages) + " interleaves pipeline stages; it needs pp > 1");
  if (s.inference) {
    if (s.grad_accum > 0 || s.virtual_stages > 1) throw std::invalid_argument("ga<N> and vp<N> are for training");
    if (s.sparse_2to4 || s.sparse_percent > 0)
      throw std::invalid_argument("sparse<P> and sparse2:4 are for training (the inference model has no sparse kernels)");
    if (s.offload_optimizer) throw std::invalid_argument("offload (of optimizer states) has no meaning for inference");
    if (s.fp8) throw std::invalid_argument("fp8 is a training word (Transformer Engine); inference precision is infer-fp16 or infer-fp32");
    if (s.recompute != model::Recompute::none) throw std::invalid_argument("recompute has no meaning for inference");
    if (s.zero_stage != 0 && s.zero_stage != 3)
      throw std::invalid_argument("inference shards weights only with zero3 (ZeRO-Inference)");
  } else {
    if (s.offload_optimizer && s.zero_stage == 0)
      throw std::invalid_argument("offload needs a ZeRO stage (1, 2 or 3) to partition the optimizer");
    if (!saw_zero) s.zero_stage = 0;
    (void)saw_mb;
  }
  return s;
}

std::string Strategy::canonical() const {
  std::vector<std::string> w;
  if (!inference || zero_stage != 0) w.push_back("zero" + std::to_string(zero_stage));
  if (offload_optimizer) w.push_back("offload");
  if (delayed_update) w.push_back("delayed-update");
  if (offload_params) w.push_back("param-offload");
  if (tp != 1) w.push_back("tp" + std::to_string(tp));
  if (sequence_parallel) w.push_back("sp");
  if (pp != 1) w.push_back("pp" + std::to_string(pp));
  if (virtual_stages != 1) w.push_back("vp" + std::to_string(virtual_stages));
  if (!inference || micro_batch != 1) w.push_back("mb" + std::to_string(micro_batch));
  if (grad_accum > 0) w.push_back("ga" + std::to_string(grad_accum));
  if (recompute != model::Recompute::none) w.push_back(std::string("recompute-") + model::to_string(recompute));
  if (fp8) w.push_back("fp8");
  if (sparse_percent > 0) w.push_back("sparse" + std::to_string(sparse_percent));
  if (sparse_2to4) w.push_back("sparse2:4");
  if (inference) w.push_back(inference_precision == Precision::fp32 ? "infer-fp32" : "infer-fp16");
  std::string out;
  for (const auto& x : w) out += (out.empty() ? "" : "+") + x;
  return out;
}

}  // namespace wb::gpu
