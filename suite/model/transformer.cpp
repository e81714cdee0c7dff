#include "model/transformer.hpp"

#include <algorithm>

namespace wb::model {

ParamCounts count_params(const TransformerConfig& m) {
  ParamCounts p;
  const std::int64_t h = m.d_model;
  const std::int64_t q_dim = m.heads * m.d_head;
  const std::int64_t kv_dim = m.kv_heads * m.d_head;
  const std::int64_t f = m.d_ffn;
  const std::int64_t b = m.biases ? 1 : 0;

  p.token_embedding = m.vocab * h;
  const std::int64_t stacks = m.encoder_layers > 0 ? 2 : 1;
  if (m.position == Position::learned) p.position_embedding = (m.position_rows > 0 ? m.position_rows : m.max_positions) * h;
  else if (m.position == Position::relative) p.position_embedding = stacks * m.relative_buckets * m.heads;

  const std::int64_t qkv = h * (q_dim + 2 * kv_dim) + b * (q_dim + 2 * kv_dim);
  const std::int64_t proj = q_dim * h + b * h;
  p.attention_per_layer = qkv + proj;

  if (m.mlp != Mlp::swiglu) {
    p.mlp_per_layer = 2 * h * f + b * (f + h);
  } else {  // gate and up projections, then down
    p.mlp_per_layer = 3 * h * f + b * (2 * f + h);
  }
  const std::int64_t norm = m.norm == Norm::layernorm ? 2 * h : h;  // LayerNorm has a bias
  p.norms_per_layer = m.norms_per_layer * norm;
  p.encoder_per_layer = m.encoder_layers > 0 ? p.attention_per_layer + p.mlp_per_layer + p.norms_per_layer : 0;
  // Decoder layers of an encoder-decoder model add cross-attention and its norm.
  p.per_layer = p.attention_per_layer + p.mlp_per_layer + p.norms_per_layer +
                (m.encoder_layers > 0 ? p.attention_per_layer + norm : 0);
  p.final_norm = stacks * norm;
  p.lm_head = m.tied_embeddings ? 0 : m.vocab * h;
  p.stack_layers = m.layers + m.encoder_layers;
  p.stack_params = m.layers * p.per_layer + m.encoder_layers * p.encoder_per_layer;
  p.total = p.token_embedding + p.position_embedding + p.stack_params + p.final_norm + p.lm_head;
  p.non_embedding = p.stack_params + p.final_norm;
  p.largest_module = std::max({p.token_embedding, p.lm_head, qkv, proj, h * f + (m.mlp == Mlp::swiglu ? 0 : b * f)});
  return p;
}

const char* to_string(FlopConvention c) {
  switch (c) {
    case FlopConvention::chinchilla: return "chinchilla";
    case FlopConvention::six_n: return "6N";
    case FlopConvention::megatron: return "megatron";
  }
  return "?";
}

double forward_flops_per_sequence(const TransformerConfig& m, std::int64_t seq) {
  const double s = static_cast<double>(seq);
  const double h = static_cast<double>(m.d_model);
  const double q = static_cast<double>(m.heads * m.d_head);
  const double kv = static_cast<double>(m.kv_heads * m.d_head);
  const double f = static_cast<double>(m.d_ffn);
  const double v = static_cast<double>(m.vocab);
  const double a = static_cast<double>(m.heads);
  // Hoffmann et al. 2022, Appendix F, per layer:
  const double qkv = 2.0 * s * h * (q + 2.0 * kv);
  const double logits = 2.0 * s * s * q;   // Q K^T
  const double softmax = 3.0 * a * s * s;  // exp, sum, divide
  const double reduce = 2.0 * s * s * q;   // softmax x V
  const double project = 2.0 * s * q * h;
  const double mlp = (m.mlp == Mlp::swiglu ? 6.0 : 4.0) * s * h * f;
  const double attention = qkv + logits + softmax + reduce + project;
  const double layer = attention + mlp;
  const double embed = 2.0 * s * v * h;   // embedding as a one-hot matmul
  const double unembed = 2.0 * s * h * v; // final logits
  // Encoder-decoder: encoder layers as above; decoder layers add cross-attention over an encoder
  // output of the same length (source = target = seq).
  const double cross = m.encoder_layers > 0 ? attention : 0.0;
  return embed + static_cast<double>(m.encoder_layers) * layer + static_cast<double>(m.layers) * (layer + cross) +
         unembed;
}

double matmul_flops_per_sequence(const TransformerConfig& m, std::int64_t seq, bool recompute_full) {
  const double s = static_cast<double>(seq);
  const double q = static_cast<double>(m.heads * m.d_head);
  const double h = static_cast<double>(m.d_model);
  // Weight matrices of one layer (biases and norms excluded) and the attention products.
  const double kv = static_cast<double>(m.kv_heads * m.d_head);
  const double f = static_cast<double>(m.d_ffn);
  const double layer_weights = h * (q + 2.0 * kv) + q * h + (m.mlp == Mlp::swiglu ? 3.0 : 2.0) * h * f;
  const double layer_fwd = s * (2.0 * layer_weights + 4.0 * s * q);
  const double logits_fwd = s * 2.0 * h * static_cast<double>(m.vocab);
  const double layers = static_cast<double>(m.layers);
  return (recompute_full ? 4.0 : 3.0) * layers * layer_fwd + 3.0 * logits_fwd;
}

double hardware_flops_per_sequence(const TransformerConfig& m, std::int64_t seq, Recompute r) {
  if (r != Recompute::selective) return matmul_flops_per_sequence(m, seq, r == Recompute::full);
  const double s = static_cast<double>(seq), q = static_cast<double>(m.heads * m.d_head);
  return matmul_flops_per_sequence(m, seq, false) + static_cast<double>(m.layers) * 4.0 * s * s * q;
}

double train_flops_per_token(const TransformerConfig& m, std::int64_t seq, FlopConvention c) {
  switch (c) {
    case FlopConvention::chinchilla:
      return 3.0 * forward_flops_per_sequence(m, seq) / static_cast<double>(seq);
    case FlopConvention::six_n: return 6.0 * static_cast<double>(count_params(m).total);
    case FlopConvention::megatron: return matmul_flops_per_sequence(m, seq, false) / static_cast<double>(seq);
  }
  return 0.0;
}

const char* to_string(Recompute r) {
  switch (r) {
    case Recompute::none: return "none";
    case Recompute::selective: return "selective";
    case Recompute::full: return "full";
  }
  return "?";
}

namespace {

// Bytes of one layer's saved activations split into the parts that scale with s*b (linear) and
// with a*s^2*b (attention scores), before tensor/sequence parallel division.
struct LayerActivation {
  double sbh_parallel = 0;  // split by tp (inside the tensor-parallel region)
  double sbh_replicated = 0;  // layer norms, dropout masks at block edges: split only by SP
  double attention_core = 0;  // softmax output (+ dropout), split by tp
};

LayerActivation layer_parts(const TransformerConfig& m, double s, double b, bool flash) {
  const double h = static_cast<double>(m.d_model);
  const double q = static_cast<double>(m.heads * m.d_head);
  const double kv = static_cast<double>(m.kv_heads * m.d_head);
  const double f = static_cast<double>(m.d_ffn);
  const double a = static_cast<double>(m.heads);
  const double mask = m.dropout ? 1.0 : 0.0;
  LayerActivation p;
  // Korthikanti et al. Sec. 4.1: attention keeps the QKV input (2sbh, replicated in TP), Q and K
  // (4sbh), V (2sbh), the projection input (2sbh), the softmax output 2as^2b and, with dropout,
  // its mask as^2b and output 2as^2b; the block ends with a dropout mask sbh.
  p.sbh_replicated += 2.0 * s * b * h + mask * s * b * h;   // QKV input, attention dropout mask
  p.sbh_parallel += 2.0 * s * b * q + 4.0 * s * b * kv + 2.0 * s * b * q;  // Q, K+V, projection input
  // FlashAttention (Dao et al. NeurIPS'22, Sec. 3.1; FlashAttention-2 Alg. 1) keeps the output
  // and one fp32 logsumexp per head and row, and regenerates the dropout mask from the RNG state.
  p.attention_core = flash ? 4.0 * a * s * b : (2.0 + 3.0 * mask) * a * s * s * b;
  // MLP: input 2sbh (replicated), then the intermediate activations (2 x 2sbf for GeLU: its input
  // and the second matmul's input; 3 x 2sbf for SwiGLU: gate, up and their product) and a mask.
  p.sbh_replicated += 2.0 * s * b * h + mask * s * b * h;
  p.sbh_parallel += (m.mlp == Mlp::swiglu ? 6.0 : 4.0) * s * b * f;
  // Each layer norm keeps its input: 2sbh (two norms, 4sbh, in Korthikanti et al.).
  p.sbh_replicated += 2.0 * static_cast<double>(m.norms_per_layer) * s * b * h;
  return p;
}

}  // namespace

double activation_bytes_per_layer(const TransformerConfig& m, std::int64_t seq, std::int64_t micro_batch,
                                  std::int64_t tp, bool sequence_parallel, Recompute recompute, bool flash_attention) {
  const double s = static_cast<double>(seq), b = static_cast<double>(micro_batch);
  const double t = static_cast<double>(std::max<std::int64_t>(tp, 1));
  const double h = static_cast<double>(m.d_model);
  if (recompute == Recompute::full) {
    // Only the layer input is kept (2sbh, split by t under sequence parallelism).
    return 2.0 * s * b * h / (sequence_parallel ? t : 1.0);
  }
  const LayerActivation p = layer_parts(m, s, b, flash_attention);
  const double replicated = p.sbh_replicated / (sequence_parallel ? t : 1.0);
  const double core = recompute == Recompute::selective ? 0.0 : p.attention_core / t;
  return replicated + p.sbh_parallel / t + core;
}

double recompute_working_bytes(const TransformerConfig& m, std::int64_t seq, std::int64_t micro_batch,
                               std::int64_t tp, bool sequence_parallel, bool flash_attention) {
  return activation_bytes_per_layer(m, seq, micro_batch, tp, sequence_parallel, Recompute::none, flash_attention);
}

double activation_bytes_outside_layers(const TransformerConfig& m, std::int64_t seq, std::int64_t micro_batch,
                                       std::int64_t tp) {
  const double s = static_cast<double>(seq), b = static_cast<double>(micro_batch);
  const double t = static_cast<double>(std::max<std::int64_t>(tp, 1));
  const double h = static_cast<double>(m.d_model), v = static_cast<double>(m.vocab);
  const double mask = m.dropout ? 1.0 : 0.0;
  // Embedding dropout mask, final layer-norm input (2sbh), fp16 logits (2sbv/t) and the fp32 copy
  // that the cross-entropy loss softmaxes (4sbv/t).
  return mask * s * b * h + 2.0 * s * b * h + 6.0 * s * b * v / t;
}

double kv_cache_bytes(const TransformerConfig& m, std::int64_t batch, std::int64_t tokens, double bytes_per_value) {
  return 2.0 * static_cast<double>(m.layers) * static_cast<double>(batch) * static_cast<double>(tokens) *
         static_cast<double>(m.kv_heads * m.d_head) * bytes_per_value;
}

}  // namespace wb::model
