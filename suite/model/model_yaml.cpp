#include "model/model_yaml.hpp"

namespace wb::model {

namespace {

template <class E>
E parse_enum(const io::YamlValue& v, std::initializer_list<std::pair<const char*, E>> choices) {
  const std::string s = v.as_string();
  std::string allowed;
  for (const auto& [text, value] : choices) {
    if (s == text) return value;
    allowed += std::string(allowed.empty() ? "" : ", ") + text;
  }
  v.fail("unknown value '" + s + "'; expected one of: " + allowed);
}

}  // namespace

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
  m.position = parse_enum<Position>(arch.required("position_embedding"),
                                    {{"learned", Position::learned}, {"alibi", Position::alibi},
                                     {"rotary", Position::rotary}, {"relative", Position::relative}});
  if (m.position == Position::relative) m.relative_buckets = arch.required("relative_buckets").as_positive_int();
  m.mlp = parse_enum<Mlp>(arch.required("mlp"), {{"gelu", Mlp::gelu}, {"relu", Mlp::relu}, {"swiglu", Mlp::swiglu}});
  m.norm = parse_enum<Norm>(arch.required("norm"), {{"layernorm", Norm::layernorm}, {"rmsnorm", Norm::rmsnorm}});
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

}  // namespace wb::model
