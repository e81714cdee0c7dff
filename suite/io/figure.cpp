#include "io/figure.hpp"

#include <cmath>

#include <regex>
#include <stdexcept>

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
  if (auto t = m.optional("measured")) {
    f.measured = t->as_string();
    if (!is_utc_timestamp(f.measured))
      t->fail("'" + f.measured + "' is not a UTC time; write when it was measured as 2026-01-31T12:00:00Z");
    if (f.assumption) m.fail("a figure is either measured or an assumption, not both");
  }
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

bool is_utc_timestamp(const std::string& text) {
  static const std::regex form(R"(([0-9]{4})-([0-9]{2})-([0-9]{2})(T([0-9]{2}):([0-9]{2}):([0-9]{2})Z)?)");
  std::smatch m;
  if (!std::regex_match(text, m, form)) return false;
  const int month = std::stoi(m[2]), day = std::stoi(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  if (m[4].matched && (std::stoi(m[5]) > 23 || std::stoi(m[6]) > 59 || std::stoi(m[7]) > 60)) return false;
  return true;
}

std::vector<std::string> Provenance::measured() const {
  std::vector<std::string> out;
  for (const auto& f : figures)
    if (!f.measured.empty()) out.push_back(file + ": " + f.key + " = " + f.text + " (" + f.source + ")");
  return out;
}

std::vector<std::string> Provenance::assumptions() const {
  std::vector<std::string> out;
  for (const auto& f : figures) {
    if (!f.assumption) continue;
    out.push_back(file + ": " + f.key + " = " + f.text + " (" + f.source + ")");
  }
  return out;
}

double read_fraction(const YamlValue& v, const char* what) {
  std::string s = v.as_string();
  double scale = 1.0;
  if (!s.empty() && s.back() == '%') {
    s.pop_back();
    scale = 0.01;
  }
  double x = 0;
  try {
    x = parse_quantity(s, Dim::count) * scale;
  } catch (const std::invalid_argument&) {
    v.fail(std::string("expected a ") + what + " like 0.5 or 50%, got '" + v.as_string() + "'");
  }
  return x;
}

}  // namespace wb::io
