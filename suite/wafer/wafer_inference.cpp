#include "wafer/wafer_inference.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>

#include "wafer/resident_kernels.hpp"

namespace wb::wafer {

namespace {

double dbl(std::int64_t v) { return static_cast<double>(v); }

// One product y[rows, cols] = x[rows, inner] W[inner, cols] on `pes` PEs whose SRAM already holds
// `reserved` bytes per PE besides the kernel's operands and buffers.
struct Product {
  const char* name;
  double rows, inner, cols;
  double pes;
  double reserved;
};

struct Choice {
  const char* kernel = "";
  KernelCost cost;
};

// The fastest resident kernel that fits the budget: MeshGEMV on grids of 1, 2, 4, ... rows (and
// the grid whose tiles are square), the shift GEMMs on the largest square of the PEs.
std::optional<Choice> fastest_fitting(const Product& p, const WaferSpec& spec) {
  const double budget = kernel_sram_budget(spec);
  std::optional<Choice> best;
  auto consider = [&](const char* kernel, const KernelCost& k) {
    if (!k.applies || k.sram_bytes + p.reserved > budget) return;
    if (!best || k.cycles < best->cost.cycles) best = Choice{kernel, k};
  };
  const double pes = std::max(1.0, std::floor(p.pes));
  std::vector<double> row_counts;
  for (double r = 1; r <= std::min(p.inner, pes); r *= 2) row_counts.push_back(r);
  row_counts.push_back(std::clamp(std::round(std::sqrt(pes * p.inner / p.cols)), 1.0, std::min(p.inner, pes)));
  for (double r : row_counts) {
    ResidentGemm g{p.rows, p.inner, p.cols, 1.0, static_cast<std::int64_t>(r),
                   static_cast<std::int64_t>(std::min(p.cols, std::floor(pes / r)))};
    consider("meshgemv", meshgemv_cost(g, spec));
  }
  const auto side = static_cast<std::int64_t>(std::floor(std::sqrt(pes)));
  const ResidentGemm square{p.rows, p.inner, p.cols, 1.0, side, side};
  consider("cannon", shift_gemm_cost(ShiftKind::cannon, square, spec));
  consider("meshgemm", shift_gemm_cost(ShiftKind::meshgemm, square, spec));
  consider("summa", shift_gemm_cost(ShiftKind::summa, square, spec));
  return best;
}

class Costing {
 public:
  explicit Costing(const WaferSpec& spec) : spec_(spec) {}

  // Cycles of `instances` copies of the product side by side on `pes` PEs in all (in rounds when
  // there are more copies than PEs), with the rows in the number of chunks that is fastest among
  // those a kernel fits (1, 2, 4, ... chunks).
  double cycles(Product p, double instances, const char* phase) {
    const double per = p.pes / instances;
    const double rounds = per >= 1 ? 1.0 : std::ceil(instances / std::max(1.0, std::floor(p.pes)));
    p.pes = std::max(1.0, per);
    double best = std::numeric_limits<double>::infinity(), bytes = 0;
    for (double chunks = 1;; chunks *= 2) {
      Product c = p;
      c.rows = std::ceil(p.rows / chunks);
      if (const auto k = fastest_fitting(c, spec_); k && chunks * k->cost.cycles < best) {
        best = chunks * k->cost.cycles;
        bytes = k->cost.sram_bytes;
      }
      if (c.rows <= 1) break;
    }
    if (std::isfinite(best)) {
      if (std::string(phase) == "decode") fullest_ = std::max(fullest_, bytes + p.reserved);
      return rounds * best;
    }
    if (why_.empty())
      why_ = std::string("no resident kernel for ") + p.name + " (" + phase + ") fits the " +
             std::to_string(static_cast<std::int64_t>(kernel_sram_budget(spec_))) + " bytes per PE beside the " +
             std::to_string(static_cast<std::int64_t>(p.reserved)) + " bytes per PE the placement already holds there";
    return std::numeric_limits<double>::infinity();
  }
  bool fits() const { return why_.empty(); }
  const std::string& why() const { return why_; }
  // The fullest PE of a decode kernel chosen: its operands and buffers and what the placement
  // already holds there.
  double fullest_pe_bytes() const { return fullest_; }

 private:
  const WaferSpec& spec_;
  std::string why_;
  double fullest_ = 0;
};

// Whole layers per system: the first system also holds `first` and the last `last` (the
// embedding and the logits, in layers of bytes), the layers shared so that the fullest system
// holds as little as whole layers allow.
std::vector<double> layers_per_system(std::int64_t layers, std::int64_t systems, double first, double last) {
  std::vector<double> edge(static_cast<std::size_t>(systems), 0.0);
  edge.front() += first;
  edge.back() += last;
  auto assign = [&](double target) {
    std::vector<double> n(edge.size());
    double left = static_cast<double>(layers);
    for (std::size_t i = 0; i < n.size(); ++i) {
      n[i] = std::min(left, std::max(0.0, std::floor(target - edge[i] + 1e-9)));
      left -= n[i];
    }
    return left > 0 ? std::vector<double>{} : n;
  };
  std::vector<double> targets;
  for (std::int64_t k = 0; k <= layers; ++k)
    for (double e : {0.0, first, last, first + last}) targets.push_back(static_cast<double>(k) + e);
  std::sort(targets.begin(), targets.end());
  for (double t : targets)
    if (auto n = assign(t); !n.empty()) return n;
  return assign(static_cast<double>(layers) + first + last);
}

// A vector of `values` 16-bit values from one region to the next: the distance across a region
// of `pes` PEs at one hop a cycle, and the values over its edge's links, one 32-bit wavelet per
// link and cycle (Cerebras SDK).
double transfer_cycles(double values, double pes, const WaferSpec& spec) {
  const double edge = std::max(1.0, std::sqrt(pes));
  return edge * spec.mapping.hop_cycles + std::ceil(values / (spec.mapping.values_per_wavelet * edge));
}

// Softmax over `scores` values spread over `pes` PEs: max, exponent, sum (3 operations per
// score, Hoffmann et al. 2022 App. F) at the SIMD width, one task.
double softmax_cycles(double scores, double pes, const WaferSpec& spec) {
  return spec.mapping.task_overhead_cycles + std::ceil(3.0 * scores / std::max(1.0, std::floor(pes)) / dbl(spec.simd_fp16));
}

}  // namespace

WaferInference plan_inference(const InferenceRun& run) {
  const model::TransformerConfig& m = *run.model;
  const WaferSpec& spec = *run.spec;
  if (run.systems > m.layers) throw std::invalid_argument("more systems than layers");
  if (run.systems > 1 && !spec.swarmx) throw std::invalid_argument(spec.name + " has no SwarmX to join several systems");
  const bool streamed = run.strategy.placement == Placement::weight_streaming;
  if (streamed && !spec.memoryx) throw std::invalid_argument(spec.name + " has no MemoryX to stream weights from");
  WaferInference r;
  r.placement = streamed ? Placement::weight_streaming : Placement::layer_pipelined;
  const double e = spec.format.weight_bytes;
  const model::ParamCounts pc = model::count_params(m);
  const double layers = dbl(m.layers);
  const double b = dbl(run.batch);
  const double mean_context = dbl(run.prompt_tokens) + 0.5 * dbl(run.output_tokens);
  const double d = dbl(m.d_model), dh = dbl(m.d_head), heads = dbl(m.heads);
  const double kv_heads = dbl(m.kv_heads > 0 ? m.kv_heads : m.heads);
  const double ffn_in = m.mlp == model::Mlp::swiglu ? 2.0 * dbl(m.d_ffn) : dbl(m.d_ffn);
  const double head_params = dbl(pc.lm_head > 0 ? pc.lm_head : pc.token_embedding);
  r.kv_cache_bytes = model::kv_cache_bytes(m, run.batch, run.prompt_tokens + run.output_tokens, e);

  // Placement: layers in order over the systems, the embedding table (when not tied to the
  // logits) on the first, the logits on the last; every PE of a system holds the same share.
  const double layer_weights = streamed ? 0.0 : e * dbl(pc.per_layer);
  const double layer_kv = r.kv_cache_bytes / layers;
  const double layer_bytes = layer_weights + layer_kv;
  const double embed_bytes = streamed ? 0.0 : e * dbl(pc.lm_head > 0 ? pc.token_embedding : 0);
  const double head_bytes = streamed ? 0.0 : e * head_params;
  const std::vector<double> per_system =
      layers_per_system(m.layers, run.systems, embed_bytes / layer_bytes, head_bytes / layer_bytes);
  double fullest = 0, fullest_layers = 0;
  for (std::size_t i = 0; i < per_system.size(); ++i) {
    const double bytes = per_system[i] * layer_bytes + (i == 0 ? embed_bytes : 0.0) +
                         (i + 1 == per_system.size() ? head_bytes : 0.0);
    if (bytes > fullest) fullest = bytes, fullest_layers = per_system[i];
  }
  const double last_bytes = per_system.back() * layer_bytes + head_bytes + (per_system.size() == 1 ? embed_bytes : 0.0);
  const double pes = dbl(spec.program_pes());
  const double budget = kernel_sram_budget(spec);
  r.sram.budget = budget;
  r.sram.weights = (fullest - fullest_layers * layer_kv) / pes;
  r.sram.kv_cache = fullest_layers * layer_kv / pes;

  // Regions on the fullest system (the others hold fewer bytes per layer region, so this is the
  // slowest): a layer's PEs in proportion to its bytes, its products sharing them by weights.
  const double layer_pes = pes * layer_bytes / fullest;
  const double head_pes = streamed ? pes : pes * head_bytes / last_bytes;
  const double matrix_params = dbl(pc.attention_per_layer + pc.mlp_per_layer);
  const double kv_per_pe = layer_kv / layer_pes;
  const double weights_per_pe = layer_weights / layer_pes;
  auto region = [&](double params) { return layer_pes * params / matrix_params; };
  const double qkv_cols = (heads + 2.0 * kv_heads) * dh;
  const double q_per_kv = heads / kv_heads;
  const double clock = spec.clock_hz;
  Costing cost(spec);
  // The layer's weight products and attention for `rows` tokens against `context` cached
  // positions (decode: one token per sequence, one sequence per KV instance; prefill: the
  // prompt's rows, every head an instance).
  auto weight_products = [&](double rows, const char* phase) {
    return cost.cycles({"qkv", rows, d, qkv_cols, region(d * qkv_cols), kv_per_pe}, 1, phase) +
           cost.cycles({"proj", rows, heads * dh, d, region(heads * dh * d), kv_per_pe}, 1, phase) +
           cost.cycles({"mlp_in", rows, d, ffn_in, region(d * ffn_in), kv_per_pe}, 1, phase) +
           cost.cycles({"mlp_out", rows, dbl(m.d_ffn), d, region(dbl(m.d_ffn) * d), kv_per_pe}, 1, phase);
  };
  auto attention = [&](double queries, double context, double instances, const char* phase) {
    return cost.cycles({"scores", queries, dh, context, layer_pes, weights_per_pe}, instances, phase) +
           cost.cycles({"context", queries, context, dh, layer_pes, weights_per_pe}, instances, phase);
  };
  // Between systems: the activations over the system I/O through one switch (SwarmX link
  // bandwidth, a tree level up and one down).
  auto system_hops_s = [&](double values) {
    return run.systems > 1 ? dbl(run.systems - 1) * (values * e / spec.swarmx->link_bandwidth +
                                                     2.0 * spec.swarmx->hop_latency_s)
                           : 0.0;
  };
  // Every weight from MemoryX, each system streaming its own layers at once.
  const double stream_s = streamed ? e * dbl(pc.total) / (dbl(run.systems) * spec.memoryx->bandwidth) : 0.0;

  // Decode: the batch in groups, one group per layer region at a time.
  r.groups = std::min<std::int64_t>(run.batch, m.layers);
  const double rows = std::ceil(b / dbl(r.groups));
  const double gemv = streamed ? 0.0 : weight_products(rows, "decode");
  const double logits =
      streamed ? 0.0 : cost.cycles({"logits", rows, d, dbl(m.vocab), head_pes, 0.0}, 1, "decode");
  const double attend = attention(q_per_kv, mean_context, rows * kv_heads, "decode");
  const double softmax = softmax_cycles(rows * heads * mean_context, layer_pes, spec);
  const double transfer = transfer_cycles(rows * d, layer_pes, spec);
  r.weights_s = std::max((layers * gemv + logits) / clock, stream_s);
  r.kv_s = layers * attend / clock;
  r.compute_s = layers * softmax / clock;
  r.comm_s = layers * transfer / clock + system_hops_s(rows * d);
  r.decode_step_s = r.weights_s + r.kv_s + r.compute_s + r.comm_s;
  r.tokens_per_s_per_user = 1.0 / r.decode_step_s;
  r.tokens_per_s = b / r.decode_step_s;

  // Prefill: the prompt in C chunks flowing through the layer regions (a layer works on chunk c
  // while the next works on c - 1), each chunk attending to the whole prompt (an upper bound of
  // the causal part), then the first token's logits; C the fastest of 1, 2, 4, ...
  const double p = dbl(std::max<std::int64_t>(1, run.prompt_tokens));
  const double first_logits =
      streamed ? 0.0 : cost.cycles({"logits", 1, d, dbl(m.vocab), head_pes, 0.0}, 1, "prefill");
  r.ttft_s = std::numeric_limits<double>::infinity();
  for (double chunks = 1; chunks <= p; chunks *= 2) {
    const double c = std::ceil(p / chunks);
    const double layer = (streamed ? 0.0 : weight_products(c, "prefill")) + attention(c, p, heads, "prefill") +
                         softmax_cycles(heads * c * p, layer_pes, spec) + transfer_cycles(c * d, layer_pes, spec);
    const double s = (chunks + layers - 1) * layer / clock + first_logits / clock + system_hops_s(c * d);
    r.ttft_s = std::min(r.ttft_s, s);
  }
  // Streamed: the prompt's products at the wafer's peak while the weights stream by once.
  if (streamed) r.ttft_s += std::max(stream_s, 2.0 * dbl(pc.total) * p / (dbl(run.systems) * spec.peak_fp16_dense_flops));

  // Beyond the average shares of weights and KV cache: the grid's rounding, the input tile and the
  // partial sums on the fullest PE of a decode kernel.
  r.sram.buffers = std::max(0.0, cost.fullest_pe_bytes() - r.sram.weights - r.sram.kv_cache);
  r.fits = cost.fits() && r.sram.weights + r.sram.kv_cache <= budget;
  r.why = cost.why();
  if (r.sram.weights + r.sram.kv_cache > budget)
    r.why = "weights and KV cache need " + std::to_string(static_cast<std::int64_t>(fullest / pes)) +
            " bytes per PE of the " + std::to_string(static_cast<std::int64_t>(budget)) + " budget";
  if (!r.fits) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    r.ttft_s = r.decode_step_s = r.tokens_per_s_per_user = r.tokens_per_s = nan;
  }
  return r;
}

}  // namespace wb::wafer
