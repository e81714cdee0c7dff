#include "io/yaml_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include "io/key_spec.hpp"

namespace wb::io {

YamlValue::YamlValue(YAML::Node node, std::shared_ptr<const std::string> file, std::string key)
    : node_(std::move(node)), file_(std::move(file)), key_(std::move(key)) {}

InputError YamlValue::error(const std::string& what) const {
  return InputError(*file_, line(), column(), key_, what);
}

void YamlValue::fail(const std::string& what) const { throw error(what); }

std::string YamlValue::as_string() const {
  if (!node_.IsScalar()) fail("expected a single value, got a " + std::string(node_.IsMap() ? "mapping" : "list"));
  return node_.Scalar();
}

bool YamlValue::as_bool() const {
  const std::string s = as_string();
  if (s == "true" || s == "True" || s == "yes") return true;
  if (s == "false" || s == "False" || s == "no") return false;
  fail("expected true or false, got '" + s + "'");
}

std::int64_t YamlValue::as_int() const {
  const std::string s = as_string();
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno == 0 && end != s.c_str() && *end == '\0') return v;
  // Also accept integral values in scientific notation ("1e9").
  errno = 0;
  const double d = std::strtod(s.c_str(), &end);
  if (errno == 0 && end != s.c_str() && *end == '\0' && std::isfinite(d) && std::floor(d) == d &&
      std::fabs(d) < 9.0e18)
    return static_cast<std::int64_t>(d);
  fail("expected an integer, got '" + s + "'");
}

std::int64_t YamlValue::as_positive_int() const {
  const std::int64_t v = as_int();
  if (v <= 0) fail("must be a positive integer, got " + std::to_string(v));
  return v;
}

double YamlValue::as_number() const { return as_quantity(Dim::count); }

double YamlValue::as_quantity(Dim dim) const {
  const std::string s = as_string();
  try {
    return parse_quantity(s, dim);
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

double YamlValue::as_positive_quantity(Dim dim) const {
  const double v = as_quantity(dim);
  if (!(v > 0.0)) fail("must be positive, got '" + as_string() + "'");
  return v;
}

std::vector<YamlValue> YamlValue::as_sequence() const {
  if (!node_.IsSequence()) fail("expected a list ([a, b] or '- a' lines)");
  std::vector<YamlValue> out;
  out.reserve(node_.size());
  for (std::size_t i = 0; i < node_.size(); ++i)
    out.emplace_back(node_[i], file_, key_ + "[" + std::to_string(i) + "]");
  return out;
}

std::vector<YamlValue> YamlValue::as_list() const {
  if (node_.IsScalar()) return {*this};
  return as_sequence();
}

YamlMap::YamlMap(const YamlValue& value) : value_(value) {
  if (!value.is_map()) value.fail("expected a mapping of keys to values");
  // Duplicate keys are silently merged by yaml-cpp's node API; detect them here.
  std::set<std::string> seen;
  for (const auto& kv : value.node()) {
    const std::string k = kv.first.Scalar();
    if (!seen.insert(k).second) {
      YamlValue(kv.first, value.file_ptr(), child_key(k))
          .fail("duplicate key");
    }
  }
}

std::string YamlMap::child_key(const std::string& key) const {
  return value_.key().empty() ? key : value_.key() + "." + key;
}

bool YamlMap::has(const std::string& key) const {
  if (const KeyObserver observe = key_observer()) observe(child_key(key));
  for (const auto& kv : value_.node())
    if (kv.first.Scalar() == key) return true;
  return false;
}

std::optional<YamlValue> YamlMap::optional(const std::string& key) {
  asked_.insert(key);
  if (const KeyObserver observe = key_observer()) observe(child_key(key));
  for (const auto& kv : value_.node()) {
    if (kv.first.Scalar() == key) {
      if (kv.second.IsNull())
        YamlValue(kv.first, value_.file_ptr(), child_key(key))
            .fail("has no value");
      return YamlValue(kv.second, value_.file_ptr(), child_key(key));
    }
  }
  return std::nullopt;
}

YamlValue YamlMap::required(const std::string& key) {
  auto v = optional(key);
  if (!v) {
    // A near miss among the keys present is most likely a typo of this one.
    for (const auto& kv : value_.node()) {
      const std::string k = kv.first.Scalar();
      if (k != key && edit_distance(k, key) <= std::max<std::size_t>(2, key.size() / 4)) {
        YamlValue(kv.first, value_.file_ptr(), child_key(k))
            .fail("unknown key '" + k + "'; did you mean '" + key + "'? ('" + key + "' is required)");
      }
    }
    value_.fail("missing required key '" + key + "'");
  }
  return *v;
}

void YamlMap::done() {
  for (const auto& kv : value_.node()) {
    const std::string k = kv.first.Scalar();
    if (asked_.count(k)) continue;
    std::string best;
    std::size_t best_d = std::numeric_limits<std::size_t>::max();
    for (const auto& a : asked_) {
      const std::size_t d = edit_distance(k, a);
      if (d < best_d) {
        best_d = d;
        best = a;
      }
    }
    std::string msg = "unknown key '" + k + "'";
    if (!best.empty() && best_d <= std::max<std::size_t>(2, k.size() / 3)) {
      msg += "; did you mean '" + best + "'?";
    } else if (!asked_.empty()) {
      msg += "; allowed keys:";
      for (const auto& a : asked_) msg += " " + a;
    }
    YamlValue(kv.first, value_.file_ptr(), child_key(k)).fail(msg);
  }
}

YamlValue parse_yaml(const std::string& text, const std::string& file) {
  auto name = std::make_shared<const std::string>(file);
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsDefined() || root.IsNull())
      throw InputError(file, 1, 1, "", "the file is empty; expected a YAML mapping");
    return YamlValue(root, name, "");
  } catch (const YAML::Exception& e) {
    throw InputError(file, e.mark.line + 1, e.mark.column + 1, "", "YAML syntax error: " + e.msg);
  }
}

void check_schema_version(YamlMap& root) {
  const YamlValue v = root.required("schema_version");
  const std::int64_t version = v.as_int();
  if (version != kInputSchemaVersion)
    v.fail("this waferbench reads schema_version " + std::to_string(kInputSchemaVersion) + ", the file has " +
           std::to_string(version));
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace wb::io
