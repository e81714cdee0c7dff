#include <gtest/gtest.h>

#include "io/file_source.hpp"
#include "model/training_run.hpp"
#include "model/transformer.hpp"
#include "study/plan/catalog.hpp"
#include "test_catalog.hpp"

using namespace wb;

namespace {

using test::catalog;

model::TransformerConfig tiny() {
  model::TransformerConfig m;
  m.layers = 2;
  m.d_model = 8;
  m.heads = 2;
  m.kv_heads = 2;
  m.d_head = 4;
  m.d_ffn = 32;
  m.vocab = 10;
  m.max_positions = 6;
  return m;
}

}  // namespace

// The checkpoints' parameter counts (HF config: tied embeddings, biases, learned positions).
TEST(Transformer, CerebrasGptParameterCountsAreExact) {
  const std::pair<const char*, std::int64_t> expected[] = {
      {"cerebras-gpt-111m", 111050496},   {"cerebras-gpt-256m", 255977024},   {"cerebras-gpt-590m", 590310912},
      {"cerebras-gpt-1.3b", 1315723264},  {"cerebras-gpt-2.7b", 2651553280},  {"cerebras-gpt-6.7b", 6658404352},
      {"cerebras-gpt-13b", 12853386240}};
  for (const auto& [name, params] : expected) EXPECT_EQ(model::count_params(catalog().model(name)).total, params) << name;
}

TEST(Transformer, OtherPublishedParameterCounts) {
  // Llama-2-70B: 68,976,648,192 (HF checkpoint); T5-3B: 2,851,598,336 (DeepSpeed prints 2851M).
  EXPECT_EQ(model::count_params(catalog().model("llama-2-70b")).total, 68976648192);
  EXPECT_EQ(model::count_params(catalog().model("t5-3b")).total, 2851598336);
  // Llama-3.1 8B and 70B: 8,030,261,248 and 70,553,706,496 (HF model cards' safetensors totals).
  EXPECT_EQ(model::count_params(catalog().model("llama-3.1-8b")).total, 8030261248);
  EXPECT_EQ(model::count_params(catalog().model("llama-3.1-70b")).total, 70553706496);
  EXPECT_EQ(model::count_params(catalog().model("t5-3b")).largest_module, 32899072);  // "32M largest layer"
  // Megatron: 12 l h^2 (1 + 13/12h + (V+s)/12lh) plus the final layer norm (Narayanan eq. 2).
  const auto& m = catalog().model("megatron-7.5b");
  const double l = 36, h = 4096, v = 51200, s = 2048;
  const double eq2 = 12 * l * h * h * (1 + 13 / (12 * h) + (v + s) / (12 * l * h));
  EXPECT_DOUBLE_EQ(static_cast<double>(model::count_params(m).total), eq2 + 2 * h);
}

TEST(Transformer, ParameterComponentsByHand) {
  auto m = tiny();
  auto p = model::count_params(m);
  EXPECT_EQ(p.token_embedding, 80);
  EXPECT_EQ(p.position_embedding, 48);
  EXPECT_EQ(p.attention_per_layer, 8 * 24 + 24 + 8 * 8 + 8);  // QKV + bias, projection + bias
  EXPECT_EQ(p.mlp_per_layer, 2 * 8 * 32 + 32 + 8);
  EXPECT_EQ(p.total, 80 + 48 + 2 * p.per_layer + 16);
  m.mlp = model::Mlp::swiglu;
  m.biases = false;
  m.norm = model::Norm::rmsnorm;
  m.tied_embeddings = false;
  m.kv_heads = 1;
  p = model::count_params(m);
  EXPECT_EQ(p.attention_per_layer, 8 * (8 + 2 * 4) + 8 * 8);
  EXPECT_EQ(p.mlp_per_layer, 3 * 8 * 32);
  EXPECT_EQ(p.norms_per_layer, 16);
  EXPECT_EQ(p.lm_head, 80);
}

TEST(Transformer, FlopConventionsAgreeWhereTheyShould) {
  const auto& m = catalog().model("megatron-145b");
  const double six_n = model::train_flops_per_token(m, 2048, model::FlopConvention::six_n);
  const double chin = model::train_flops_per_token(m, 2048, model::FlopConvention::chinchilla);
  const double meg = model::train_flops_per_token(m, 2048, model::FlopConvention::megatron);
  // For a large model all three are within a few percent (attention and vocab are small parts).
  EXPECT_NEAR(chin / meg, 1.0, 0.02);
  EXPECT_NEAR(six_n / meg, 1.0, 0.10);
  // Forward is a third of training in Chinchilla counting.
  EXPECT_DOUBLE_EQ(model::forward_flops_per_sequence(m, 2048) * 3.0 / 2048.0, chin);
}

// One count of the tokens a run trains on, for GPUs and wafers alike: the workload's, else the
// published run's steps x batch x sequence (the model card's token column is rounded).
TEST(Transformer, TokensToTrainCountTheStepsOfThePublishedRun) {
  const auto& m = catalog().model("cerebras-gpt-13b");
  model::Workload w;
  EXPECT_EQ(m.train_tokens, 2.57e11);
  EXPECT_EQ(model::tokens_to_train(m, w), 174335.0 * 720.0 * 2048.0);
  w.tokens = 1e9;
  EXPECT_EQ(model::tokens_to_train(m, w), 1e9);
  model::TransformerConfig card_only = m;
  card_only.train_steps = 0;
  EXPECT_EQ(model::tokens_to_train(card_only, {}), 2.57e11);
  card_only.train_tokens = 0;
  EXPECT_EQ(model::tokens_to_train(card_only, {}), 0.0);
}

TEST(Transformer, ChinchillaCountsByHand) {
  const auto m = tiny();
  const double s = 6, h = 8, f = 32, v = 10, a = 2;
  const double layer = 2 * s * h * 24 + 2 * s * s * 8 + 3 * a * s * s + 2 * s * s * 8 + 2 * s * 8 * h + 4 * s * h * f;
  EXPECT_DOUBLE_EQ(model::forward_flops_per_sequence(m, 6), 2 * s * v * h + 2 * layer + 2 * s * h * v);
}

// Korthikanti et al. Table 2 (d_ffn = 4h, dropout): sbh(34 + 5as/h) without parallelism,
// sbh(10 + 24/t + 5as/ht) with tensor parallelism, 34sbh/t with TP+SP+selective, 2sbh full.
TEST(Transformer, ActivationsFollowKorthikanti) {
  const auto& m = catalog().model("megatron-7.5b");  // h = 4096, a = 32, f = 4h, dropout
  const double s = 2048, b = 4, h = 4096, a = 32, t = 4;
  using R = model::Recompute;
  EXPECT_DOUBLE_EQ(model::activation_bytes_per_layer(m, 2048, 4, 1, false, R::none), s * b * h * (34 + 5 * a * s / h));
  EXPECT_DOUBLE_EQ(model::activation_bytes_per_layer(m, 2048, 4, 4, false, R::none),
                   s * b * h * (10 + 24 / t + 5 * a * s / (h * t)));
  EXPECT_DOUBLE_EQ(model::activation_bytes_per_layer(m, 2048, 4, 4, true, R::none), s * b * h / t * (34 + 5 * a * s / h));
  EXPECT_DOUBLE_EQ(model::activation_bytes_per_layer(m, 2048, 4, 4, true, R::selective), 34 * s * b * h / t);
  EXPECT_DOUBLE_EQ(model::activation_bytes_per_layer(m, 2048, 4, 1, false, R::full), 2 * s * b * h);
  // FlashAttention keeps no s x s term: the 5as/h of the table becomes 4a/h (fp32 softmax statistics).
  EXPECT_DOUBLE_EQ(model::activation_bytes_per_layer(m, 2048, 4, 1, false, R::none, true), s * b * h * (34 + 4 * a / h));
  EXPECT_DOUBLE_EQ(model::activation_bytes_per_layer(m, 2048, 4, 4, true, R::selective, true), 34 * s * b * h / t);
}

TEST(Transformer, KvCache) {
  const auto& m = catalog().model("llama-2-70b");  // GQA: 8 KV heads of 128
  EXPECT_DOUBLE_EQ(model::kv_cache_bytes(m, 1, 4096, 2.0), 2.0 * 80 * 4096 * 8 * 128 * 2.0);
}
