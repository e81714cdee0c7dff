#include "io/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include "io/key_spec.hpp"
#include "io/text_check.hpp"

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
  // Whole numbers are held exactly up to 2^53 (the mantissa of the doubles they meet); a count
  // beyond that is a mistake, not a configuration.
  constexpr std::int64_t kMaxExact = std::int64_t{1} << 53;
  const auto too_large = [&] {
    fail("whole number '" + s + "' is beyond 2^53 = " + std::to_string(kMaxExact) +
         ", the largest waferbench holds exactly");
  };
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (end != s.c_str() && *end == '\0') {
    if (errno == ERANGE || v > kMaxExact || v < -kMaxExact) too_large();
    return v;
  }
  // Also accept integral values in scientific notation ("1e9").
  errno = 0;
  const double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() && *end == '\0') {
    const bool whole = std::isfinite(d) && std::floor(d) == d;
    if ((errno == ERANGE && std::isinf(d)) || (whole && std::fabs(d) > static_cast<double>(kMaxExact))) too_large();
    if (whole && errno == 0) return static_cast<std::int64_t>(d);
  }
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

namespace {

// Where the second document of a stream starts: its "---" (or the "..." that ended the first),
// searched upwards from the first line of its content.
int document_marker_line(const std::string& text, int content_line) {
  std::vector<std::size_t> starts{0};
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') starts.push_back(i + 1);
  for (int l = std::min<int>(content_line, static_cast<int>(starts.size()) - 1); l >= 0; --l) {
    const std::string head = text.substr(starts[static_cast<std::size_t>(l)], 3);
    if (head == "---" || head == "...") return l + 1;
  }
  return content_line + 1;
}

// For the quoted scalar whose opening quote is text[open], on line `line` (1-based): "" when it
// closes sensibly, else why not. A value over several lines is legal YAML, but not when it is
// never closed or a line it would take in reads as a key or a list item: then the closing quote
// was left out by mistake. `close` receives the position of the closing quote.
std::string quote_problem(const std::string& text, std::size_t open, int line, std::size_t& close) {
  const char quote = text[open];
  const std::string q(1, quote);
  // The closing quote: '' is an escaped quote in single quotes, \ escapes in double quotes.
  std::size_t i = open + 1;
  for (; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;
      continue;
    }
    if (text[i] != quote) continue;
    if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
      ++i;
      continue;
    }
    break;
  }
  close = i;
  if (i >= text.size())
    return "the quoted value that starts here is never closed (the closing " + q +
           " is missing, so it would take in the rest of the file)";
  for (std::size_t k = open; k < i; ++k) {
    if (text[k] != '\n') continue;
    ++line;
    std::size_t b = k + 1;
    while (b < i && (text[b] == ' ' || text[b] == '\t')) ++b;
    std::size_t e = b;
    while (e < i && (std::isalnum(static_cast<unsigned char>(text[e])) || text[e] == '_' || text[e] == '-' || text[e] == '.'))
      ++e;
    const bool key_like = e > b && e < i && text[e] == ':' && (text[e + 1] == ' ' || text[e + 1] == '\n' || e + 1 == i);
    const bool item_like = b + 1 < i && text[b] == '-' && text[b + 1] == ' ';
    if (key_like || item_like)
      return "the quoted value that starts here is not closed on its line: it would take in line " +
             std::to_string(line) + ", which reads as " + (key_like ? "a key" : "a list item") + "; the closing " + q +
             " is probably missing";
  }
  return "";
}

// When yaml-cpp finds a syntax error, a quote left open earlier is the usual cause, and yaml-cpp
// reports where the damage surfaced, lines later. This scanner finds the quoted scalars of a
// block-style file (at a value's start: after indentation, "- ", ": ", "[", "{" or ","; not in
// comments or block scalars) and returns the first that quote_problem() refuses.
std::optional<InputError> open_quote_error(const std::string& text, const std::string& file) {
  int line = 1;
  int block_parent = -1;  // indentation of the key that opened a block scalar (| or >)
  bool value_start = true;
  for (std::size_t i = 0; i < text.size();) {
    if (i == 0 || text[i - 1] == '\n') {
      std::size_t b = i;
      while (b < text.size() && text[b] == ' ') ++b;
      const int indent = static_cast<int>(b - i);
      const bool blank = b >= text.size() || text[b] == '\n' || text[b] == '\r';
      if (block_parent >= 0 && (blank || indent > block_parent)) {
        while (i < text.size() && text[i] != '\n') ++i;
        continue;
      }
      block_parent = -1;
      while (b + 1 < text.size() && text[b] == '-' && (text[b + 1] == ' ' || text[b + 1] == '\n')) {
        b += 1;
        while (b < text.size() && text[b] == ' ') ++b;
      }
      i = b;
      value_start = true;
      if (i >= text.size()) break;
    }
    const char c = text[i];
    if (c == '\n') {
      ++line;
      ++i;
      continue;
    }
    if (c == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t')) {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (value_start && (c == '"' || c == '\'')) {
      std::size_t line_start = text.rfind('\n', i);
      line_start = line_start == std::string::npos ? 0 : line_start + 1;
      std::size_t close = 0;
      const std::string why = quote_problem(text, i, line, close);
      if (!why.empty()) {
        // The key is the name before the ':' that this value follows on its line, if any.
        std::string key;
        const std::size_t colon = text.rfind(": ", i);
        if (colon != std::string::npos && colon >= line_start) {
          std::size_t b = line_start;
          while (b < colon && (text[b] == ' ' || text[b] == '-')) ++b;
          key = text.substr(b, colon - b);
        }
        return InputError(file, line, static_cast<int>(i - line_start) + 1, key, why);
      }
      for (std::size_t k = i; k < close; ++k) line += text[k] == '\n' ? 1 : 0;
      i = close + 1;
      value_start = false;
      continue;
    }
    if (c == '[' || c == '{' || c == ',') {
      value_start = true;
    } else if (c == ':' && (i + 1 >= text.size() || text[i + 1] == ' ' || text[i + 1] == '\n')) {
      value_start = true;
      std::size_t v = i + 1;
      while (v < text.size() && text[v] == ' ') ++v;
      if (v < text.size() && (text[v] == '|' || text[v] == '>')) {
        std::size_t line_start = text.rfind('\n', i);
        line_start = line_start == std::string::npos ? 0 : line_start + 1;
        std::size_t b = line_start;
        while (b < text.size() && text[b] == ' ') ++b;
        block_parent = static_cast<int>(b - line_start);
      }
    } else if (c != ' ' && c != '\t' && c != '\r') {
      value_start = false;
    }
    ++i;
  }
  return std::nullopt;
}

// Checks what yaml-cpp accepts but an input file must not hold: nesting deeper than
// kMaxYamlNesting, more than kMaxYamlValues values (aliases can multiply them), and a quoted
// scalar that quote_problem() refuses.
class StructureCheck {
 public:
  StructureCheck(const std::string& text, std::shared_ptr<const std::string> file) : text_(text), file_(std::move(file)) {}

  void walk(const YAML::Node& node, const std::string& key, int depth) {
    if (++values_ > kMaxYamlValues)
      fail(node, key, "the document holds more than " + std::to_string(kMaxYamlValues) +
                          " values (the limit for an input file; anchors and aliases count each time they are used)");
    if (depth > kMaxYamlNesting)
      fail(node, key, "nested deeper than " + std::to_string(kMaxYamlNesting) +
                          " levels (the limit for an input file); no waferbench input needs more");
    if (node.IsScalar()) {
      const YAML::Mark m = node.Mark();
      const auto open = static_cast<std::size_t>(m.pos);
      std::size_t close = 0;
      if (m.pos >= 0 && open < text_.size() && (text_[open] == '"' || text_[open] == '\'')) {
        const std::string why = quote_problem(text_, open, m.line + 1, close);
        if (!why.empty()) fail(node, key, why);
      }
    } else if (node.IsSequence()) {
      for (std::size_t i = 0; i < node.size(); ++i) walk(node[i], key + "[" + std::to_string(i) + "]", depth + 1);
    } else if (node.IsMap()) {
      for (const auto& kv : node) {
        const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : "?";
        const std::string child = key.empty() ? k : key + "." + k;
        walk(kv.first, child, depth + 1);
        walk(kv.second, child, depth + 1);
      }
    }
  }

 private:
  [[noreturn]] void fail(const YAML::Node& node, const std::string& key, const std::string& what) const {
    throw InputError(*file_, node.Mark().line + 1, node.Mark().column + 1, key, what);
  }

  const std::string& text_;
  std::shared_ptr<const std::string> file_;
  std::size_t values_ = 0;
};

}  // namespace

YamlValue parse_yaml(const std::string& text, const std::string& file) {
  require_text(text, file);
  auto name = std::make_shared<const std::string>(file);
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::DeepRecursion& e) {
    throw InputError(file, e.mark.line + 1, e.mark.column + 1, "",
                     "nested deeper than " + std::to_string(kMaxYamlNesting) +
                         " levels (the limit for an input file); no waferbench input needs more");
  } catch (const YAML::Exception& e) {
    if (auto open = open_quote_error(text, file)) throw *open;
    throw InputError(file, e.mark.line + 1, e.mark.column + 1, "", "YAML syntax error: " + e.msg);
  }
  YAML::Node root;
  for (const auto& d : docs) {
    if (!d.IsDefined() || d.IsNull()) continue;
    if (root.IsDefined() && !root.IsNull())
      throw InputError(file, document_marker_line(text, d.Mark().line), 1, "",
                       "a second YAML document starts here; an input file holds one document (remove this "
                       "'---' and what follows, or make it part of the first)");
    root = d;
  }
  if (!root.IsDefined() || root.IsNull())
    throw InputError(file, 1, 1, "", "the file is empty; expected a YAML mapping");
  StructureCheck(text, name).walk(root, "", 0);
  return YamlValue(root, name, "");
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
