#include "model/hf_config.hpp"

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>

#include "io/error.hpp"

namespace wb::model {

namespace {

using Json = nlohmann::json;

// Bounds that keep every product in count_params far from int64 overflow: no shape beyond 2^31,
// no model beyond 10^15 parameters (the largest published are near 2 x 10^12).
constexpr std::int64_t kLargestShape = (std::int64_t{1} << 31) - 1;
constexpr double kMostParameters = 1e15;

// 1-based line and column of byte `offset` in `text`.
std::pair<int, int> line_column(const std::string& text, std::size_t offset) {
  int line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

// The keys of one config.json: looked up by any of the names a family has used for them (older
// and newer transformers versions), null read as absent (as the configuration classes do).
class Keys {
 public:
  Keys(const Json& json, const std::string& text, const std::string& path, std::string family)
      : json_(json), text_(text), path_(path), family_(std::move(family)) {}

  const Json* find(std::initializer_list<const char*> names, std::string* found = nullptr) const {
    for (const char* name : names) {
      auto it = json_.find(name);
      if (it != json_.end() && !it->is_null()) {
        if (found) *found = name;
        return &*it;
      }
    }
    return nullptr;
  }

  std::int64_t count(std::initializer_list<const char*> names) const {
    std::string key;
    const Json* v = find(names, &key);
    if (!v) fail(*names.begin(), "missing (the " + family_ + " configuration has no default for it)");
    return positive(*v, key);
  }

  std::int64_t count_or(std::initializer_list<const char*> names, std::int64_t fallback) const {
    std::string key;
    const Json* v = find(names, &key);
    return v ? positive(*v, key) : fallback;
  }

  bool flag_or(const char* name, bool fallback) const {
    const Json* v = find({name});
    if (!v) return fallback;
    if (!v->is_boolean()) fail(name, "expected true or false, got " + v->dump());
    return v->get<bool>();
  }

  double number_or(const char* name, double fallback) const {
    const Json* v = find({name});
    if (!v) return fallback;
    if (!v->is_number()) fail(name, "expected a number, got " + v->dump());
    return v->get<double>();
  }

  std::string word_or(std::initializer_list<const char*> names, const std::string& fallback) const {
    std::string key;
    const Json* v = find(names, &key);
    if (!v) return fallback;
    if (!v->is_string()) fail(key, "expected a string, got " + v->dump());
    return v->get<std::string>();
  }

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    const auto [line, column] = locate(key);
    throw io::InputError(path_, line, column, key, what);
  }

 private:
  std::int64_t positive(const Json& v, const std::string& key) const {
    if (!v.is_number_integer() || v.get<std::int64_t>() <= 0) fail(key, "expected a positive integer, got " + v.dump());
    if (v.get<std::int64_t>() > kLargestShape) fail(key, v.dump() + " is not the size of a real model's part");
    return v.get<std::int64_t>();
  }

  // Where "key": stands in the text (top-level keys of a config are unique); 0:0 if nowhere.
  std::pair<int, int> locate(const std::string& key) const {
    const std::string quoted = "\"" + key + "\"";
    for (std::size_t at = text_.find(quoted); at != std::string::npos; at = text_.find(quoted, at + 1)) {
      std::size_t next = text_.find_first_not_of(" \t\r\n", at + quoted.size());
      if (next != std::string::npos && text_[next] == ':') return line_column(text_, at);
    }
    return {0, 0};
  }

  const Json& json_;
  const std::string& text_;
  const std::string& path_;
  std::string family_;
};

// A two-matrix MLP's activation: gelu (and its approximations) or relu; others keep the shapes
// of gelu, which is what the model counts.
Mlp plain_mlp(const Keys& k, std::initializer_list<const char*> names, const std::string& fallback,
              std::vector<std::string>& notes) {
  const std::string act = k.word_or(names, fallback);
  if (act == "relu") return Mlp::relu;
  if (act.rfind("gelu", 0) != 0 && act != "quick_gelu")
    notes.push_back("activation '" + act + "' in a two-matrix MLP: counted with the shapes (and FLOPs) of gelu");
  return Mlp::gelu;
}

bool any_dropout(const Keys& k, std::initializer_list<std::pair<const char*, double>> rates) {
  for (const auto& [key, fallback] : rates)
    if (k.number_or(key, fallback) > 0) return true;
  return false;
}

void heads_and_width(const Keys& k, TransformerConfig& m, const char* heads_key) {
  if (m.d_head == 0) {
    if (m.d_model % m.heads != 0) k.fail(heads_key, "hidden size " + std::to_string(m.d_model) + " is not a multiple of the heads");
    m.d_head = m.d_model / m.heads;
  }
  if (m.kv_heads == 0) m.kv_heads = m.heads;
  if (m.heads % m.kv_heads != 0) k.fail(heads_key, "the heads are not a multiple of the key/value heads");
}

// The parameters of m in floating point (an upper bound: every weight and bias counted), to refuse
// shapes whose exact integer count would not fit.
double rough_params(const TransformerConfig& m) {
  const double h = static_cast<double>(m.d_model), q = static_cast<double>(m.heads) * static_cast<double>(m.d_head);
  const double kv = static_cast<double>(m.kv_heads) * static_cast<double>(m.d_head), f = static_cast<double>(m.d_ffn);
  const double layer = (h + 1) * (2 * q + 2 * kv + 3 * f + 8);
  const double positions = static_cast<double>(std::max(m.position_rows, m.max_positions));
  return static_cast<double>(m.layers) * layer + (2 * static_cast<double>(m.vocab) + positions + 2) * h;
}

// GPT-2 (and Cerebras-GPT, which uses its class): transformers GPT2Config.
void gpt2(const Keys& k, HfImport& r) {
  TransformerConfig& m = r.model;
  m.layers = k.count({"n_layer"});
  m.d_model = k.count({"n_embd"});
  m.heads = k.count({"n_head"});
  m.d_ffn = k.count_or({"n_inner"}, 4 * m.d_model);  // None: 4 x n_embd
  m.vocab = k.count({"vocab_size"});
  m.max_positions = k.count({"n_positions", "n_ctx"});
  m.position = Position::learned;
  m.mlp = plain_mlp(k, {"activation_function"}, "gelu_new", r.notes);
  m.norm = Norm::layernorm;
  m.tied_embeddings = k.flag_or("tie_word_embeddings", true);
  m.biases = true;
  m.dropout = any_dropout(k, {{"resid_pdrop", 0.1}, {"embd_pdrop", 0.1}, {"attn_pdrop", 0.1}});
  heads_and_width(k, m, "n_head");
}

// GPT-NeoX and Pythia: GPTNeoXConfig. Partial rotary (rotary_pct) has no parameters.
void gpt_neox(const Keys& k, HfImport& r) {
  TransformerConfig& m = r.model;
  m.layers = k.count({"num_hidden_layers"});
  m.d_model = k.count({"hidden_size"});
  m.heads = k.count({"num_attention_heads"});
  m.d_ffn = k.count({"intermediate_size"});
  m.vocab = k.count({"vocab_size"});
  m.max_positions = k.count({"max_position_embeddings"});
  m.position = Position::rotary;
  m.mlp = plain_mlp(k, {"hidden_act"}, "gelu", r.notes);
  m.norm = Norm::layernorm;
  m.tied_embeddings = k.flag_or("tie_word_embeddings", false);
  // The MLP always has biases; attention has them unless attention_bias is false.
  if (!k.flag_or("attention_bias", true)) k.fail("attention_bias", "attention without biases beside an MLP with them is not modelled");
  m.biases = true;
  m.dropout = any_dropout(k, {{"hidden_dropout", 0.0}, {"attention_dropout", 0.0}});
  heads_and_width(k, m, "num_attention_heads");
}

// Llama and Mistral: LlamaConfig / MistralConfig (gated SiLU MLP, RMSNorm, grouped-query).
void llama(const Keys& k, HfImport& r) {
  TransformerConfig& m = r.model;
  m.layers = k.count({"num_hidden_layers"});
  m.d_model = k.count({"hidden_size"});
  m.heads = k.count({"num_attention_heads"});
  m.kv_heads = k.count_or({"num_key_value_heads"}, m.heads);
  m.d_head = k.count_or({"head_dim"}, 0);
  m.d_ffn = k.count({"intermediate_size"});
  m.vocab = k.count({"vocab_size"});
  m.max_positions = k.count({"max_position_embeddings"});
  m.position = Position::rotary;
  const std::string act = k.word_or({"hidden_act"}, "silu");
  if (act != "silu" && act != "swish") k.fail("hidden_act", "'" + act + "': only the SiLU-gated MLP (SwiGLU) is modelled");
  m.mlp = Mlp::swiglu;
  m.norm = Norm::rmsnorm;
  m.tied_embeddings = k.flag_or("tie_word_embeddings", false);
  const bool attention_bias = k.flag_or("attention_bias", false), mlp_bias = k.flag_or("mlp_bias", false);
  if (attention_bias != mlp_bias) k.fail(attention_bias ? "attention_bias" : "mlp_bias",
                                         "biases in attention or in the MLP alone are not modelled");
  m.biases = attention_bias;
  m.dropout = any_dropout(k, {{"attention_dropout", 0.0}});
  if (k.find({"sliding_window"}))
    r.notes.push_back("sliding_window attention: attention FLOPs are counted over the whole context");
  if (k.find({"rope_scaling"})) r.notes.push_back("rope_scaling changes no shape; not represented");
  heads_and_width(k, m, "num_attention_heads");
}

// Falcon (and its RefinedWeb predecessors): FalconConfig and modeling_falcon's layer layout.
void falcon(const Keys& k, HfImport& r) {
  TransformerConfig& m = r.model;
  m.layers = k.count({"num_hidden_layers", "n_layer"});
  m.d_model = k.count({"hidden_size", "n_embed"});
  m.heads = k.count({"num_attention_heads", "n_head"});
  const bool new_arch = k.flag_or("new_decoder_architecture", false);
  const bool parallel = k.flag_or("parallel_attn", true);
  // Query/key/value width: grouped heads (new architecture), one shared key/value head
  // (multi_query), or one per query head.
  if (new_arch) m.kv_heads = k.count_or({"num_kv_heads", "n_head_kv"}, m.heads);
  else if (k.flag_or("multi_query", true)) m.kv_heads = 1;
  else m.kv_heads = m.heads;
  m.d_ffn = k.count_or({"ffn_hidden_size"}, 4 * m.d_model);
  m.vocab = k.count_or({"vocab_size"}, 65024);
  m.max_positions = k.count_or({"max_position_embeddings"}, 2048);
  m.position = k.flag_or("alibi", false) ? Position::alibi : Position::rotary;
  m.mlp = plain_mlp(k, {"activation"}, "gelu", r.notes);
  m.norm = Norm::layernorm;
  // Sequential blocks have two norms; a parallel block one (ln_attn and ln_mlp: two in the new
  // architecture), unless num_ln_in_parallel_attn says otherwise.
  m.norms_per_layer = parallel ? k.count_or({"num_ln_in_parallel_attn"}, new_arch ? 2 : 1) : 2;
  if (m.norms_per_layer > 2) k.fail("num_ln_in_parallel_attn", "expected 1 or 2");
  m.tied_embeddings = k.flag_or("tie_word_embeddings", true);
  m.biases = k.flag_or("bias", false);
  m.dropout = any_dropout(k, {{"hidden_dropout", 0.0}, {"attention_dropout", 0.0}});
  heads_and_width(k, m, k.find({"num_attention_heads"}) ? "num_attention_heads" : "n_head");
}

// OPT: OPTConfig. The learned position table keeps 2 rows beyond max_position_embeddings
// (OPTLearnedPositionalEmbedding's offset).
void opt(const Keys& k, HfImport& r) {
  TransformerConfig& m = r.model;
  m.layers = k.count({"num_hidden_layers"});
  m.d_model = k.count({"hidden_size"});
  m.heads = k.count({"num_attention_heads"});
  m.d_ffn = k.count({"ffn_dim"});
  m.vocab = k.count({"vocab_size"});
  m.max_positions = k.count({"max_position_embeddings"});
  m.position = Position::learned;
  m.position_rows = m.max_positions + 2;
  m.mlp = plain_mlp(k, {"activation_function"}, "relu", r.notes);
  m.norm = Norm::layernorm;
  if (!k.flag_or("do_layer_norm_before", true))
    k.fail("do_layer_norm_before", "post-norm OPT (OPT-350m, with its projected embeddings) is not modelled");
  if (k.count_or({"word_embed_proj_dim"}, m.d_model) != m.d_model)
    k.fail("word_embed_proj_dim", "embeddings projected to another width than hidden_size are not modelled");
  if (k.flag_or("_remove_final_layer_norm", false))
    k.fail("_remove_final_layer_norm", "a model without its final layer norm is not modelled");
  if (!k.flag_or("layer_norm_elementwise_affine", true))
    k.fail("layer_norm_elementwise_affine", "layer norms without weights are not modelled");
  m.tied_embeddings = k.flag_or("tie_word_embeddings", true);
  m.biases = k.flag_or("enable_bias", true);
  m.dropout = any_dropout(k, {{"dropout", 0.1}, {"attention_dropout", 0.0}});
  heads_and_width(k, m, "num_attention_heads");
}

using Reader = std::function<void(const Keys&, HfImport&)>;

const std::map<std::string, Reader>& readers() {
  static const std::map<std::string, Reader> families = {
      {"gpt2", gpt2},     {"gpt_neox", gpt_neox}, {"llama", llama},          {"mistral", llama},
      {"falcon", falcon}, {"RefinedWeb", falcon}, {"RefinedWebModel", falcon}, {"opt", opt}};
  return families;
}

}  // namespace

std::string grouped_digits(std::int64_t n) {
  const std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out = n < 0 ? "-" : "";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::vector<std::string> hf_families() {
  std::vector<std::string> out;
  for (const auto& [name, reader] : readers()) out.push_back(name);
  return out;
}

HfImport import_hf_config(const std::string& json_text, const std::string& path) {
  Json json;
  try {
    json = Json::parse(json_text);
  } catch (const Json::parse_error& e) {
    const auto [line, column] = line_column(json_text, e.byte > 0 ? e.byte - 1 : 0);
    throw io::InputError(path, line, column, "", std::string("not valid JSON: ") + e.what());
  } catch (const Json::exception& e) {
    // A number too large for a double (out_of_range.406) carries no byte offset, only the token
    // in quotes; place the error at the token's first occurrence.
    const std::string what = e.what();
    const auto open = what.find('\''), close = what.rfind('\'');
    std::size_t at = 0;
    if (open != std::string::npos && close > open) {
      const auto found = json_text.find(what.substr(open + 1, close - open - 1));
      if (found != std::string::npos) at = found;
    }
    const auto [line, column] = line_column(json_text, at);
    throw io::InputError(path, line, column, "", "not valid JSON: " + what);
  }
  if (!json.is_object()) throw io::InputError(path, 1, 1, "", "expected a JSON object (a config.json)");
  HfImport r;
  const Keys top(json, json_text, path, "?");
  r.family = top.word_or({"model_type"}, "");
  const auto reader = readers().find(r.family);
  if (reader == readers().end()) {
    std::string known;
    for (const auto& name : hf_families()) known += (known.empty() ? "" : ", ") + name;
    top.fail("model_type", (r.family.empty() ? std::string("missing") : "'" + r.family + "' is not read") +
                               "; the families read are " + known);
  }
  const Keys keys(json, json_text, path, r.family);
  reader->second(keys, r);
  if (rough_params(r.model) > kMostParameters) {
    std::string layers_key = "num_hidden_layers";
    keys.find({"num_hidden_layers", "n_layer"}, &layers_key);
    keys.fail(layers_key, "these shapes give more than 10^15 parameters: not a real model");
  }
  r.hub_name = keys.word_or({"_name_or_path"}, "");
  r.stated_params = keys.count_or({"num_parameters"}, 0);
  const std::int64_t params = count_params(r.model).total;
  if (r.stated_params > 0 && r.stated_params != params)
    keys.fail("num_parameters", "the file states " + grouped_digits(r.stated_params) + " parameters; its shapes give " +
                                    grouped_digits(params) + " (" + (params > r.stated_params ? "+" : "") +
                                    grouped_digits(params - r.stated_params) +
                                    "): it describes a part waferbench does not model");
  return r;
}

}  // namespace wb::model
