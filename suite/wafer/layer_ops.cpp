#include "wafer/layer_ops.hpp"

#include <algorithm>
#include <stdexcept>

namespace wb::wafer {

namespace {

// Element-wise operations per softmax input, as counted by Hoffmann et al. 2022, App. F (exp,
// sum, divide).
constexpr double kSoftmaxOpsPerElement = 3.0;

}  // namespace

double ModelWork::nonzero_params() const {
  auto nz = [](const LayerWork& l) { return l.params - l.gemm_params * (1.0 - l.weight_density); };
  return nz(embedding) + nz(block) * static_cast<double>(blocks) + nz(head);
}

double stream_bytes(double params, double gemm_params, double density, double value_bytes, double index_bytes) {
  const double other = params - gemm_params;
  const double dense = gemm_params * value_bytes;
  // A sparse matrix travels as (value, index) pairs unless that is larger than the dense form.
  const double sparse = density < 1.0 ? gemm_params * density * (value_bytes + index_bytes) : dense;
  return other * value_bytes + std::min(dense, sparse);
}

ModelWork decompose(const model::TransformerConfig& m, std::int64_t seq, std::int64_t sequences, double weight_density) {
  if (m.encoder_layers > 0)
    throw std::invalid_argument("the wafer model covers decoder-only models; " + m.name + " has an encoder");
  const model::ParamCounts pc = model::count_params(m);
  ModelWork w;
  w.seq = seq;
  w.sequences = sequences;
  w.blocks = m.layers;
  const double s = static_cast<double>(seq);
  const double b = static_cast<double>(sequences);
  const double t = s * b;
  const std::int64_t h = m.d_model;
  const std::int64_t q = m.heads * m.d_head;
  const std::int64_t kv = m.kv_heads * m.d_head;
  const double vocab = static_cast<double>(m.vocab);

  // Embedding: a gather of one row per token (no product), plus learned positions added.
  LayerWork& e = w.embedding;
  e.name = "embedding";
  e.kind = LayerKind::embedding;
  e.params = static_cast<double>(pc.token_embedding + pc.position_embedding);
  e.gemm_params = 0;
  // Only the rows of tokens present reach the wafer: at most one per token, at most the vocabulary.
  e.streamed_params = std::min(vocab, t) * static_cast<double>(h) + static_cast<double>(pc.position_embedding);
  e.vector_ops = t * static_cast<double>(h) * (pc.position_embedding > 0 ? 2.0 : 1.0);

  // One decoder layer.
  LayerWork& l = w.block;
  l.name = "block";
  l.kind = LayerKind::block;
  l.params = static_cast<double>(pc.per_layer);
  const std::int64_t mlp_in = m.mlp == model::Mlp::swiglu ? 2 * m.d_ffn : m.d_ffn;  // gate and up together
  l.gemms = {
      {"qkv", t, h, q + 2 * kv, 1, true, weight_density, 1.0},
      {"scores", s, m.d_head, seq, m.heads * sequences, false, 1.0, 1.0},    // Q K^T per sequence and head
      {"context", s, seq, m.d_head, m.heads * sequences, false, 1.0, 1.0},   // softmax(.) V
      {"proj", t, q, h, 1, true, weight_density, 1.0},
      {"mlp_in", t, h, mlp_in, 1, true, weight_density, 1.0},
      {"mlp_out", t, m.d_ffn, h, 1, true, weight_density, 1.0},
  };
  l.gemm_params = 0;
  for (const auto& g : l.gemms)
    if (g.weights) l.gemm_params += static_cast<double>(g.k) * static_cast<double>(g.n);
  l.weight_density = weight_density;
  l.streamed_params = l.params;
  l.vector_ops = kSoftmaxOpsPerElement * static_cast<double>(m.heads) * s * s * b;

  // Final norm, logits (tied or separate unembedding) and the cross-entropy softmax.
  LayerWork& hd = w.head;
  hd.name = "lm_head";
  hd.kind = LayerKind::head;
  hd.params = static_cast<double>(pc.final_norm + pc.lm_head);
  // Tied embeddings: the logits use the embedding matrix, which streams again for this layer.
  const double unembed = vocab * static_cast<double>(h);
  hd.gemms = {{"logits", t, h, m.vocab, 1, true, 1.0, 1.0}};
  hd.gemm_params = unembed;
  hd.streamed_params = static_cast<double>(pc.final_norm) + unembed;
  hd.vector_ops = kSoftmaxOpsPerElement * t * vocab;
  hd.recompute_in_backward = true;
  return w;
}

}  // namespace wb::wafer
