#pragma once
// A decoder-only transformer as the wafer executes it: per layer, the matrix products with their
// shapes, the element-wise work, and the weights that must reach the wafer. One pass processes
// `sequences` sequences of `seq` tokens on one system. Knows nothing of the hardware.
#include <cstdint>
#include <string>
#include <vector>

#include "model/transformer.hpp"

namespace wb::wafer {

// One matrix product of a forward pass: X[tokens x k] . W[k x n], repeated `instances` times
// side by side (attention: one per sequence and head).
struct Gemm {
  std::string name;             // "qkv", "proj", "mlp_in", "mlp_out", "scores", "context", "logits"
  double tokens = 0;            // rows of X in one instance
  std::int64_t k = 0;
  std::int64_t n = 0;
  std::int64_t instances = 1;
  bool weights = true;          // W is a model weight; false: W is an activation (attention)
  double weight_density = 1;    // fraction of W that is non-zero
  double input_density = 1;     // fraction of X that is non-zero (e.g. after ReLU)
  double macs() const { return tokens * static_cast<double>(k) * static_cast<double>(n) * static_cast<double>(instances); }
  // Executed multiply-adds: zeros in W are skipped (the wafer never sends them).
  double effective_macs() const { return macs() * (weights ? weight_density : 1.0); }
};

enum class LayerKind { embedding, block, head };

struct LayerWork {
  std::string name;
  LayerKind kind = LayerKind::block;
  std::vector<Gemm> gemms;        // forward products
  double vector_ops = 0;          // forward element-wise operations (softmax, gathers)
  double params = 0;              // parameters of the layer
  double gemm_params = 0;         // of those, entries of weight matrices (sparsity applies to these)
  double streamed_params = 0;     // parameters that must reach the wafer per use (embedding: rows looked up)
  double weight_density = 1;      // of the weight matrices
  bool recompute_in_backward = false;  // lm_head: the logits are recomputed in chunks for the backward
};

struct ModelWork {
  std::int64_t seq = 0;
  std::int64_t sequences = 0;  // per pass
  LayerWork embedding;
  LayerWork block;             // one decoder layer; all `blocks` layers are identical
  std::int64_t blocks = 0;
  LayerWork head;              // final norm, logits and the loss
  double tokens() const { return static_cast<double>(seq) * static_cast<double>(sequences); }
  double params() const { return embedding.params + block.params * static_cast<double>(blocks) + head.params; }
  // Non-zero parameters after sparsity of the weight matrices.
  double nonzero_params() const;
};

// Throws std::invalid_argument for models the wafer model does not cover (encoder-decoder).
ModelWork decompose(const model::TransformerConfig& m, std::int64_t seq, std::int64_t sequences, double weight_density);

// Bytes of `params` weights of which `gemm_params` are matrix entries at `density`, in the
// stream format: dense, or (value, index) pairs for the non-zeros when that is smaller.
double stream_bytes(double params, double gemm_params, double density, double value_bytes, double index_bytes);

}  // namespace wb::wafer
