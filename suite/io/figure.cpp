#include "io/figure.hpp"

#include <cmath>


namespace wb::io {

std::optional<Figure> read_optional_figure(YamlMap& parent, const std::string& key, Dim dim, bool positive) {
  auto v = parent.optional(key);
  if (!v) return std::nullopt;
  if (!v->is_map())
    v->fail("give the figure with its source: {value: " + std::string(dim_example(dim)) + ", source: \"...\"}");
  YamlMap m(*v);
  Figure f;
  f.key = v->key();
  const YamlValue value = m.required("value");
  f.value = positive ? value.as_positive_quantity(dim) : value.as_quantity(dim);
  f.text = value.as_string();
  f.source = m.required("source").as_string();
  if (f.source.empty()) m.fail("source must not be empty");
  if (auto a = m.optional("assumption")) f.assumption = a->as_bool();
  if (auto n = m.optional("note")) n->as_string();
  m.done();
  return f;
}

Figure read_figure(YamlMap& parent, const std::string& key, Dim dim, bool positive) {
  auto f = read_optional_figure(parent, key, dim, positive);
  if (!f) parent.fail("missing required key '" + key + "'");
  return *f;
}

Figure read_count_figure(YamlMap& parent, const std::string& key) {
  auto v = parent.optional(key);
  Figure f = read_figure(parent, key, Dim::count, true);
  if (f.value != std::floor(f.value) || f.value >= 9007199254740992.0) {
    YamlMap m(*v);
    m.required("value").fail("expected a whole number below 2^53, got '" + f.text + "'");
  }
  return f;
}


double Provenance::add(const Figure& f) {
  figures.push_back(f);
  return f.value;
}

std::int64_t Provenance::add_count(const Figure& f) {
  figures.push_back(f);
  return static_cast<std::int64_t>(f.value);
}

std::vector<std::string> Provenance::assumptions() const {
  std::vector<std::string> out;
  for (const auto& f : figures) {
    if (!f.assumption) continue;
    out.push_back(file + ": " + f.key + " = " + f.text + " (" + f.source + ")");
  }
  return out;
}

}  // namespace wb::io
