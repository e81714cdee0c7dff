#pragma once
// Strict YAML reading in the CODES style: every input file has a schema_version, keys are
// snake_case, unknown keys are errors, quantities carry units as strings, and every error names
// file:line:column and the dotted key path ("architecture.layers").
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "io/error.hpp"
#include "io/units.hpp"

namespace wb::io {

// The schema version this build reads; files with another version are rejected.
inline constexpr int kInputSchemaVersion = 1;

// Limits of what an input file may hold (the deepest bundled input nests 5 levels).
inline constexpr int kMaxYamlNesting = 32;
inline constexpr std::size_t kMaxYamlValues = 1000000;

// One node of a parsed document, with where it came from.
class YamlValue {
 public:
  YamlValue(YAML::Node node, std::shared_ptr<const std::string> file, std::string key);

  const std::string& key() const { return key_; }
  const std::string& file() const { return *file_; }
  const std::shared_ptr<const std::string>& file_ptr() const { return file_; }
  int line() const { return node_.Mark().line + 1; }
  int column() const { return node_.Mark().column + 1; }
  const YAML::Node& node() const { return node_; }

  bool is_map() const { return node_.IsMap(); }
  bool is_sequence() const { return node_.IsSequence(); }
  bool is_scalar() const { return node_.IsScalar(); }

  std::string as_string() const;             // any scalar
  bool as_bool() const;                      // true/false
  std::int64_t as_int() const;               // integral number ("2048", "1e9")
  std::int64_t as_positive_int() const;      // > 0
  double as_number() const;                  // plain number
  double as_quantity(Dim dim) const;         // number with unit ("40GiB"); a plain number for count
  double as_positive_quantity(Dim dim) const;
  std::vector<YamlValue> as_sequence() const;  // a sequence (a scalar is not accepted)
  std::vector<YamlValue> as_list() const;      // a sequence, or one scalar taken as a list of one

  // An error located at this value.
  [[noreturn]] void fail(const std::string& what) const;
  InputError error(const std::string& what) const;

 private:
  YAML::Node node_;
  std::shared_ptr<const std::string> file_;
  std::string key_;
};

// Reads the keys of one mapping; every key must be consumed before done() or it is reported
// as unknown, with the nearest allowed key suggested.
class YamlMap {
 public:
  explicit YamlMap(const YamlValue& value);  // fails when value is not a mapping

  YamlValue required(const std::string& key);
  std::optional<YamlValue> optional(const std::string& key);
  bool has(const std::string& key) const;
  YamlMap required_map(const std::string& key) { return YamlMap(required(key)); }

  // Fails at the first key that was never asked for.
  void done();

  const YamlValue& value() const { return value_; }
  [[noreturn]] void fail(const std::string& what) const { value_.fail(what); }

 private:
  std::string child_key(const std::string& key) const;
  YamlValue value_;
  std::set<std::string> asked_;
};

// Parses text (the whole file) into a document; YAML syntax errors become InputError at the
// offending line. `file` is the name used in messages. Refused as well, with the place: bytes
// that are not text, a second document, nesting or size beyond the limits above, and a quoted
// value left open (never closed, or closed lines later past what reads as keys).
YamlValue parse_yaml(const std::string& text, const std::string& file);

// Checks the document's schema_version and consumes it.
void check_schema_version(YamlMap& root);

// Levenshtein distance, used to suggest the key that was probably meant.
std::size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace wb::io
