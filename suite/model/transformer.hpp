#pragma once
// The GPT-style decoder-only transformer as a workload: exact parameter counts, FLOPs per token
// under the published counting conventions, and activation bytes per layer. Knows nothing of
// hardware. All byte and FLOP figures are doubles (a 1T-parameter model overflows nothing) and
// all counts int64.
#include <cstdint>
#include <string>

namespace wb::model {

enum class Mlp { gelu, relu, swiglu };  // gelu and relu have the same shapes
enum class Position { learned, alibi, rotary, relative };
enum class Norm { layernorm, rmsnorm };

struct TransformerConfig {
  std::string name;          // file stem, e.g. "cerebras-gpt-2.7b"
  std::string display_name;  // "Cerebras-GPT 2.7B"
  std::string source;        // where the configuration is published

  std::int64_t layers = 0;          // decoder layers
  std::int64_t encoder_layers = 0;  // > 0 for encoder-decoder models (T5); decoder layers then
                                    // also carry cross-attention
  std::int64_t relative_buckets = 0;  // relative position buckets (T5), one table per stack
  std::int64_t d_model = 0;
  std::int64_t heads = 0;
  std::int64_t kv_heads = 0;  // = heads unless grouped-query attention
  std::int64_t d_head = 0;    // = d_model / heads unless stated
  std::int64_t d_ffn = 0;
  std::int64_t vocab = 0;
  std::int64_t max_positions = 0;  // context length the model is built for
  std::int64_t position_rows = 0;  // rows of a learned position table; 0: max_positions (OPT
                                   // keeps 2 more, HF OPTLearnedPositionalEmbedding offset)
  std::int64_t norms_per_layer = 2;  // before attention and MLP; 1 where a parallel block shares
                                     // one (Falcon-7B, HF modeling_falcon)
  Mlp mlp = Mlp::gelu;
  Position position = Position::learned;
  Norm norm = Norm::layernorm;
  bool tied_embeddings = true;
  bool biases = true;
  bool dropout = true;  // dropout layers present in training (adds masks to activations)

  // The published pre-training run, where known (0 when not published).
  double train_tokens = 0;
  std::int64_t train_global_batch = 0;  // sequences
  std::int64_t train_steps = 0;
  std::int64_t train_seq_len = 0;
};

// Parameter counts by component. Exact integers: for Cerebras-GPT they must equal the
// checkpoints' counts (111,050,496 ... 12,853,386,240).
struct ParamCounts {
  std::int64_t token_embedding = 0;
  std::int64_t position_embedding = 0;
  std::int64_t attention_per_layer = 0;  // QKV and output projection with biases
  std::int64_t mlp_per_layer = 0;
  std::int64_t norms_per_layer = 0;
  std::int64_t per_layer = 0;          // one decoder layer (with cross-attention if any)
  std::int64_t encoder_per_layer = 0;  // one encoder layer (encoder-decoder models)
  std::int64_t stack_layers = 0;       // encoder + decoder layers
  std::int64_t stack_params = 0;       // parameters of all those layers
  std::int64_t final_norm = 0;
  std::int64_t lm_head = 0;  // 0 when tied to the token embedding
  std::int64_t total = 0;
  std::int64_t non_embedding = 0;
  std::int64_t largest_module = 0;  // largest single weight-holding module (DeepSpeed's "largest layer")
};

ParamCounts count_params(const TransformerConfig& m);

// FLOP counting conventions, each with its source.
enum class FlopConvention {
  // Hoffmann et al. 2022 (Chinchilla), Appendix F: every matmul including embeddings, the
  // logits and full (non-causal) attention, plus softmax; backward = 2x forward.
  chinchilla,
  // Kaplan et al. 2020: 6 N per token, N the total parameter count.
  six_n,
  // Narayanan et al. SC'21 eq. 3: the matrix products only (matmul_flops_per_sequence without
  // recomputation, per token); 72 l h^2 (1 + s/6h + V/16lh) per token for d_ffn = 4h.
  megatron,
};

const char* to_string(FlopConvention c);

// Training FLOPs per token (forward + backward, no recomputation) at sequence length seq.
double train_flops_per_token(const TransformerConfig& m, std::int64_t seq, FlopConvention c);

// FLOPs of the matrix products of one training step for one sequence of length seq: forward,
// backward (2x) and, with full recomputation, the forward again; the logits are never
// recomputed. Narayanan et al. SC'21 eq. 3 generalised to any d_ffn, grouped-query attention and
// SwiGLU: 96 s l h^2 (1 + s/6h + V/16lh) with recomputation, 72 ... without, for d_ffn = 4h.
// Without recomputation these are the model FLOPs of MFU (PaLM App. B: 6N + 12 L H Q T per token,
// N the weight matrices' parameters with the unembedding; training_run.hpp).
double matmul_flops_per_sequence(const TransformerConfig& m, std::int64_t seq, bool recompute_full);

// Forward FLOPs of one sequence of length seq (Chinchilla counting).
double forward_flops_per_sequence(const TransformerConfig& m, std::int64_t seq);

enum class Recompute { none, selective, full };
const char* to_string(Recompute r);

// The products the GPU executes, recomputation included (Korthikanti et al. MLSys'23 Sec. 6,
// hardware FLOPs): matmul_flops_per_sequence with full recomputation, or with the attention
// core's QK^T and PV products run twice under selective recomputation.
double hardware_flops_per_sequence(const TransformerConfig& m, std::int64_t seq, Recompute r);

// Activation bytes held for backward by one transformer layer for one micro-batch, per
// Korthikanti et al. (MLSys'23) Table 2 with 16-bit activations and 1-byte dropout masks,
// generalised to d_ffn != 4h, SwiGLU and grouped-query attention; tensor parallel degree tp,
// optional sequence parallelism. With a fused FlashAttention kernel the s x s softmax, its
// dropout mask and output are not kept: only the fp32 softmax statistics per head and row.
double activation_bytes_per_layer(const TransformerConfig& m, std::int64_t seq, std::int64_t micro_batch,
                                  std::int64_t tp, bool sequence_parallel, Recompute recompute,
                                  bool flash_attention = false);

// Activations outside the layers for one micro-batch: embedding output, final norm input,
// fp16 logits and the fp32 copy used by the cross-entropy loss (vocab split over tp).
double activation_bytes_outside_layers(const TransformerConfig& m, std::int64_t seq, std::int64_t micro_batch,
                                       std::int64_t tp);

// Peak activation bytes of the layer being recomputed in full-recompute mode (one layer's full
// set is live again during its backward).
double recompute_working_bytes(const TransformerConfig& m, std::int64_t seq, std::int64_t micro_batch,
                               std::int64_t tp, bool sequence_parallel, bool flash_attention = false);

// Key/value cache bytes for inference: 2 (K and V) x layers x batch x tokens x kv_heads x d_head.
double kv_cache_bytes(const TransformerConfig& m, std::int64_t batch, std::int64_t tokens, double bytes_per_value);

}  // namespace wb::model
