#include "model/model_yaml.hpp"

#include <sstream>

namespace wb::model {

namespace {

// The words of each architecture choice, for reading and writing alike.
template <class E>
using Words = std::initializer_list<std::pair<const char*, E>>;
const Words<Position> kPositions = {{"learned", Position::learned}, {"alibi", Position::alibi},
                                    {"rotary", Position::rotary}, {"relative", Position::relative}};
const Words<Mlp> kMlps = {{"gelu", Mlp::gelu}, {"relu", Mlp::relu}, {"swiglu", Mlp::swiglu}};
const Words<Norm> kNorms = {{"layernorm", Norm::layernorm}, {"rmsnorm", Norm::rmsnorm}};

template <class E>
E parse_enum(const io::YamlValue& v, Words<E> choices) {
  const std::string s = v.as_string();
  std::string allowed;
  for (const auto& [text, value] : choices) {
    if (s == text) return value;
    allowed += std::string(allowed.empty() ? "" : ", ") + text;
  }
  v.fail("unknown value '" + s + "'; expected one of: " + allowed);
}

template <class E>
const char* word_of(E value, Words<E> choices) {
  for (const auto& [text, v] : choices)
    if (v == value) return text;
  return "?";
}

// A YAML double-quoted scalar.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20) continue;  // other control characters carry no meaning here
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

const io::KeyTable& model_keys() {
  using io::Dim;
  using V = io::KeyValue;
  static const io::KeyTable keys = {
      {"schema_version", V::integer, Dim::count, true, "input schema version (1)"},
      {"name", V::text, Dim::count, true, "the model's name as published (\"Cerebras-GPT 13B\")"},
      {"source", V::text, Dim::count, true, "where the configuration is published"},
      {"architecture", V::block, Dim::count, true, "the shapes"},
      {"architecture.layers", V::integer, Dim::count, true, "decoder layers"},
      {"architecture.encoder_layers", V::integer, Dim::count, false,
       "encoder layers of an encoder-decoder model (T5); decoder layers then also carry cross-attention"},
      {"architecture.d_model", V::integer, Dim::count, true, "hidden size"},
      {"architecture.heads", V::integer, Dim::count, true, "attention heads"},
      {"architecture.kv_heads", V::integer, Dim::count, false, "key/value heads (grouped-query attention); default heads"},
      {"architecture.d_head", V::integer, Dim::count, false, "size of one head; default d_model / heads"},
      {"architecture.d_ffn", V::integer, Dim::count, true, "MLP hidden size"},
      {"architecture.vocab", V::integer, Dim::count, true, "vocabulary size"},
      {"architecture.max_positions", V::integer, Dim::count, true, "context length the model is built for"},
      {"architecture.position_embedding", V::word, Dim::count, true, "learned, alibi, rotary or relative"},
      {"architecture.relative_buckets", V::integer, Dim::count, false,
       "relative position buckets per stack (required with position_embedding: relative)"},
      {"architecture.position_rows", V::integer, Dim::count, false,
       "rows of a learned position table when more than max_positions (OPT keeps 2 more)"},
      {"architecture.norms_per_layer", V::integer, Dim::count, false,
       "norms per layer, 1 or 2 (default 2; 1 where a parallel block shares one)"},
      {"architecture.mlp", V::word, Dim::count, true, "gelu, relu or swiglu"},
      {"architecture.norm", V::word, Dim::count, true, "layernorm or rmsnorm"},
      {"architecture.tied_embeddings", V::flag, Dim::count, true, "the LM head shares the token embedding's weights"},
      {"architecture.biases", V::flag, Dim::count, true, "linear layers have biases"},
      {"architecture.dropout", V::flag, Dim::count, true, "dropout layers in training (their masks are activations)"},
      {"training", V::block, Dim::count, false, "the published pre-training run"},
      {"training.tokens", V::quantity, Dim::count, true, "tokens trained on, as the model card gives them"},
      {"training.global_batch", V::integer, Dim::count, false, "sequences per optimizer step"},
      {"training.steps", V::integer, Dim::count, false,
       "optimizer steps; with global_batch and seq_len they count the tokens to train on (model::tokens_to_train)"},
      {"training.seq_len", V::integer, Dim::count, false, "training sequence length; default max_positions"},
      {"training.source", V::text, Dim::count, true, "where the run is published"},
  };
  return keys;
}

TransformerConfig parse_model(const io::YamlValue& document, const std::string& name) {
  io::YamlMap root(document);
  io::check_schema_version(root);
  TransformerConfig m;
  m.name = name;
  m.display_name = root.required("name").as_string();
  m.source = root.required("source").as_string();

  io::YamlMap arch = root.required_map("architecture");
  m.layers = arch.required("layers").as_positive_int();
  if (auto v = arch.optional("encoder_layers")) m.encoder_layers = v->as_positive_int();
  m.d_model = arch.required("d_model").as_positive_int();
  const io::YamlValue heads = arch.required("heads");
  m.heads = heads.as_positive_int();
  m.kv_heads = m.heads;
  if (auto v = arch.optional("kv_heads")) {
    m.kv_heads = v->as_positive_int();
    if (m.heads % m.kv_heads != 0) v->fail("heads (" + std::to_string(m.heads) + ") must be a multiple of kv_heads");
  }
  if (auto v = arch.optional("d_head")) {
    m.d_head = v->as_positive_int();
  } else {
    if (m.d_model % m.heads != 0) heads.fail("d_model is not a multiple of heads; give d_head explicitly");
    m.d_head = m.d_model / m.heads;
  }
  m.d_ffn = arch.required("d_ffn").as_positive_int();
  m.vocab = arch.required("vocab").as_positive_int();
  m.max_positions = arch.required("max_positions").as_positive_int();
  m.position = parse_enum(arch.required("position_embedding"), kPositions);
  if (m.position == Position::relative) m.relative_buckets = arch.required("relative_buckets").as_positive_int();
  if (auto v = arch.optional("position_rows")) {
    if (m.position != Position::learned) v->fail("position_rows is the size of a learned position table");
    m.position_rows = v->as_positive_int();
    if (m.position_rows < m.max_positions) v->fail("position_rows must be at least max_positions");
  }
  if (auto v = arch.optional("norms_per_layer")) {
    m.norms_per_layer = v->as_positive_int();
    if (m.norms_per_layer > 2) v->fail("norms_per_layer is 1 or 2");
  }
  m.mlp = parse_enum(arch.required("mlp"), kMlps);
  m.norm = parse_enum(arch.required("norm"), kNorms);
  m.tied_embeddings = arch.required("tied_embeddings").as_bool();
  m.biases = arch.required("biases").as_bool();
  m.dropout = arch.required("dropout").as_bool();
  arch.done();

  if (auto t = root.optional("training")) {
    io::YamlMap tr(*t);
    m.train_tokens = tr.required("tokens").as_positive_quantity(io::Dim::count);
    if (auto v = tr.optional("global_batch")) m.train_global_batch = v->as_positive_int();
    if (auto v = tr.optional("steps")) m.train_steps = v->as_positive_int();
    m.train_seq_len = m.max_positions;
    if (auto v = tr.optional("seq_len")) m.train_seq_len = v->as_positive_int();
    tr.required("source").as_string();
    tr.done();
  }
  root.done();
  return m;
}

std::string model_yaml(const TransformerConfig& m, const std::string& comment) {
  std::ostringstream os;
  if (!comment.empty()) {
    std::istringstream lines(comment);
    for (std::string line; std::getline(lines, line);) os << "# " << line << "\n";
  }
  const auto b = [](bool v) { return v ? "true" : "false"; };
  os << "schema_version: 1\n"
     << "name: " << quoted(m.display_name) << "\n"
     << "source: " << quoted(m.source) << "\n"
     << "architecture:\n"
     << "  layers: " << m.layers << "\n";
  if (m.encoder_layers > 0) os << "  encoder_layers: " << m.encoder_layers << "\n";
  os << "  d_model: " << m.d_model << "\n"
     << "  heads: " << m.heads << "\n";
  if (m.kv_heads != m.heads) os << "  kv_heads: " << m.kv_heads << "\n";
  if (m.d_head * m.heads != m.d_model) os << "  d_head: " << m.d_head << "\n";
  os << "  d_ffn: " << m.d_ffn << "\n"
     << "  vocab: " << m.vocab << "\n"
     << "  max_positions: " << m.max_positions << "\n"
     << "  position_embedding: " << word_of(m.position, kPositions) << "\n";
  if (m.position == Position::relative) os << "  relative_buckets: " << m.relative_buckets << "\n";
  if (m.position_rows > 0 && m.position_rows != m.max_positions) os << "  position_rows: " << m.position_rows << "\n";
  os << "  mlp: " << word_of(m.mlp, kMlps) << "\n"
     << "  norm: " << word_of(m.norm, kNorms) << "\n";
  if (m.norms_per_layer != 2) os << "  norms_per_layer: " << m.norms_per_layer << "\n";
  os << "  tied_embeddings: " << b(m.tied_embeddings) << "\n"
     << "  biases: " << b(m.biases) << "\n"
     << "  dropout: " << b(m.dropout) << "\n";
  return os.str();
}

}  // namespace wb::model
