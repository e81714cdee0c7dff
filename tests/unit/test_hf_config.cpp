#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "io/error.hpp"
#include "io/yaml_reader.hpp"
#include "model/hf_config.hpp"
#include "model/model_yaml.hpp"
#include "test_catalog.hpp"

using namespace wb;

namespace {

std::string fixture(const std::string& name) {
  const std::string path = std::string(WB_TEST_SOURCE_DIR) + "/tests/inputs/hf/" + name + ".json";
  std::ifstream in(path);
  std::ostringstream os;
  os << in.rdbuf();
  if (!in) ADD_FAILURE() << "cannot read " << path;
  return os.str();
}

model::HfImport imported(const std::string& name) { return model::import_hf_config(fixture(name), name + ".json"); }

std::int64_t params_of(const std::string& name) { return model::count_params(imported(name).model).total; }

io::InputError error_of(const std::string& json) {
  try {
    model::import_hf_config(json, "config.json");
  } catch (const io::InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for " << json;
  return io::InputError("none");
}

}  // namespace

// Published totals of the checkpoints whose config.json the fixtures hold.
TEST(HfConfig, ParameterCountsOfEachFamily) {
  EXPECT_EQ(params_of("gpt2"), 124439808);               // GPT-2 small, the HF checkpoint's tensors
  EXPECT_EQ(params_of("cerebras-gpt-111m"), 111050496);  // Cerebras-GPT 111M checkpoint (as the bundled model)
  EXPECT_EQ(params_of("pythia-160m"), 162322944);        // Biderman et al. 2023 (Pythia), Table 1
  EXPECT_EQ(model::count_params(imported("pythia-160m").model).non_embedding, 85056000);  // same table
  EXPECT_EQ(params_of("llama-2-7b"), 6738415616);        // Llama-2-7b-hf checkpoint
  EXPECT_EQ(params_of("mistral-7b"), 7241732096);        // Mistral-7B-v0.1 checkpoint
  EXPECT_EQ(params_of("opt-125m"), 125239296);           // OPT-125m checkpoint: 2050 position rows
  // Falcon-7B: HF modeling_falcon's modules (query_key_value 4544 -> 4672, one input_layernorm
  // per layer, ln_f) with the lm_head tied to the embedding.
  EXPECT_EQ(params_of("falcon-7b"), 6921720704);
}

TEST(HfConfig, ShapesFollowEachFamilysKeysAndDefaults) {
  const auto falcon7 = imported("falcon-7b").model;
  EXPECT_EQ(falcon7.kv_heads, 1);  // multi_query
  EXPECT_EQ(falcon7.norms_per_layer, 1);  // parallel attention, old architecture
  EXPECT_EQ(falcon7.d_ffn, 4 * 4544);
  const auto falcon40 = imported("falcon-40b").model;
  EXPECT_EQ(falcon40.kv_heads, 8);  // num_kv_heads of the new decoder architecture
  EXPECT_EQ(falcon40.norms_per_layer, 2);  // ln_attn and ln_mlp
  const auto mistral = imported("mistral-7b");
  EXPECT_EQ(mistral.model.kv_heads, 8);
  EXPECT_EQ(mistral.model.mlp, model::Mlp::swiglu);
  EXPECT_EQ(mistral.notes.size(), 1u);  // sliding window
  EXPECT_TRUE(imported("gpt2").model.dropout);           // GPT2Config's 0.1 dropouts
  EXPECT_FALSE(imported("cerebras-gpt-111m").model.dropout);
  EXPECT_FALSE(imported("pythia-160m").model.tied_embeddings);  // GPT-NeoX: separate embed_out
  EXPECT_EQ(imported("opt-125m").model.mlp, model::Mlp::relu);
  EXPECT_EQ(imported("llama-2-7b").hub_name, "meta-llama/Llama-2-7b-hf");
}

// The import of Cerebras-GPT 111M's config is the bundled model file's architecture.
TEST(HfConfig, CerebrasGptImportEqualsTheBundledModel) {
  const auto a = imported("cerebras-gpt-111m").model;
  const auto& b = test::catalog().model("cerebras-gpt-111m");
  EXPECT_EQ(model::count_params(a).total, model::count_params(b).total);
  EXPECT_EQ(a.layers, b.layers);
  EXPECT_EQ(a.d_ffn, b.d_ffn);
  EXPECT_EQ(a.max_positions, b.max_positions);
  EXPECT_EQ(a.dropout, b.dropout);
}

// A written model file reads back to the same model, whatever optional keys it needs.
TEST(HfConfig, ModelFileRoundTrips) {
  for (const char* name : {"falcon-7b", "opt-125m", "mistral-7b", "gpt2"}) {
    model::TransformerConfig m = imported(name).model;
    m.display_name = std::string("Imported \"") + name + "\"";
    m.source = "test\nfixture";
    const std::string text = model::model_yaml(m, "a comment\nover two lines");
    const model::TransformerConfig back = model::parse_model(io::parse_yaml(text, "x.yaml"), name);
    EXPECT_EQ(back.display_name, m.display_name) << text;
    EXPECT_EQ(back.source, m.source);
    EXPECT_EQ(model::count_params(back).total, model::count_params(m).total) << text;
    EXPECT_EQ(back.norms_per_layer, m.norms_per_layer);
    EXPECT_EQ(back.kv_heads, m.kv_heads);
    EXPECT_EQ(back.dropout, m.dropout);
  }
}

// One norm per layer keeps one norm input less for backward (Korthikanti et al. count 2sbh each).
TEST(HfConfig, FewerNormsHoldFewerActivations) {
  model::TransformerConfig m = imported("falcon-7b").model;
  const double one = model::activation_bytes_per_layer(m, 2048, 1, 1, false, model::Recompute::none);
  m.norms_per_layer = 2;
  const double two = model::activation_bytes_per_layer(m, 2048, 1, 1, false, model::Recompute::none);
  EXPECT_DOUBLE_EQ(two - one, 2.0 * 2048 * 4544);
}

TEST(HfConfig, ErrorsNameTheKeyAndItsPlace) {
  const auto bad_json = error_of("{\n  \"model_type\": \"gpt2\",\n  \"n_layer\": 12,,\n}");
  EXPECT_EQ(bad_json.line(), 3);
  EXPECT_NE(std::string(bad_json.what()).find("not valid JSON"), std::string::npos);

  // A number beyond a double's range is a JSON error in its place, not an uncaught exception.
  const auto overflow = error_of("{\n  \"model_type\": \"gpt2\",\n  \"n_embd\": 1E999999\n}");
  EXPECT_EQ(overflow.line(), 3);
  EXPECT_EQ(overflow.column(), 13);
  EXPECT_NE(std::string(overflow.what()).find("not valid JSON"), std::string::npos);

  const auto family = error_of("{\"model_type\": \"bloom\", \"n_layer\": 2}");
  EXPECT_EQ(family.key(), "model_type");
  EXPECT_NE(std::string(family.what()).find("gpt_neox"), std::string::npos) << family.what();

  std::string llama = fixture("llama-2-7b");
  const auto missing = error_of(llama.replace(llama.find("\"intermediate_size\""), 19, "\"intermediate_sizes\""));
  EXPECT_EQ(missing.key(), "intermediate_size");

  std::string wrong = fixture("gpt2");
  wrong.replace(wrong.find("\"n_head\": 12"), 12, "\"n_head\": \"twelve\"");
  const auto type = error_of(wrong);
  EXPECT_EQ(type.key(), "n_head");
  EXPECT_EQ(type.line(), 13);

  std::string opt350 = fixture("opt-125m");
  opt350.replace(opt350.find("\"do_layer_norm_before\": true"), 28, "\"do_layer_norm_before\": false");
  EXPECT_EQ(error_of(opt350).key(), "do_layer_norm_before");

  std::string gated = fixture("llama-2-7b");
  gated.replace(gated.find("\"silu\""), 6, "\"gelu\"");
  EXPECT_EQ(error_of(gated).key(), "hidden_act");
}

TEST(HfConfig, NumParametersMustEqualTheCount) {
  const std::string text = fixture("gpt2");
  const auto with = [&](const std::string& count) {
    std::string t = text;
    return t.replace(t.find("\"vocab_size\""), 0, "\"num_parameters\": " + count + ",\n  ");
  };
  EXPECT_EQ(model::import_hf_config(with("124439808"), "config.json").stated_params, 124439808);
  EXPECT_EQ(imported("gpt2").stated_params, 0);
  const auto e = error_of(with("124439809"));
  EXPECT_EQ(e.key(), "num_parameters");
  EXPECT_EQ(e.line(), 23);
  EXPECT_NE(std::string(e.what()).find("124,439,809"), std::string::npos) << e.what();
}
