#pragma once
// A number taken from the outside world: a hardware figure, a framework default, a calibration
// constant. It never travels without its source, and figures that nobody has published are
// flagged as assumptions so that results can say what they rest on.
//
// In YAML a figure is written   key: {value: 40GiB, source: "NVIDIA A100 datasheet"}
// optionally with  assumption: true  and  note: "..." . A figure measured on the machine itself
// (`waferbench calibrate`) carries  measured: 2026-01-31T12:00:00Z , the UTC time of the
// measurement; a figure is either measured or an assumption, never both.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/yaml_reader.hpp"

namespace wb::io {

struct Figure {
  std::string key;  // dotted path in its file ("cpu.memory_bandwidth")
  double value = 0.0;
  std::string text;  // the value as written ("750MiB")
  std::string source;
  bool assumption = false;
  std::string measured;  // UTC time of the measurement ("2026-01-31T12:00:00Z"); "" when not measured
};

// "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" with plausible fields.
bool is_utc_timestamp(const std::string& text);

// Reads parent[key] as a figure of dimension dim; `positive` rejects zero and negatives.
Figure read_figure(YamlMap& parent, const std::string& key, Dim dim, bool positive = true);
std::optional<Figure> read_optional_figure(YamlMap& parent, const std::string& key, Dim dim, bool positive = true);

// A positive whole-number figure (cores, lanes, mesh width) that fits an int64 exactly (< 2^53);
// fails at the value otherwise, so no cast of an out-of-range double ever happens.
Figure read_count_figure(YamlMap& parent, const std::string& key);

// A plain fraction written as a number or a percentage ("0.5", "50%"): tolerances, sparsity.
// `what` names it in the error ("expected a tolerance like 0.5 or 50%, got ...").
double read_fraction(const YamlValue& v, const char* what);

// The figures a spec was built from, so that outputs can list sources and assumptions.
struct Provenance {
  std::string file;
  std::vector<Figure> figures;

  // Adds f and returns its value, so parsing reads as   x = prov.add(read_figure(...));
  double add(const Figure& f);
  std::int64_t add_count(const Figure& f);  // for read_count_figure results
  std::vector<std::string> assumptions() const;  // "file: key = value (source)"
  std::vector<std::string> measured() const;     // the same, for the measured figures
};

}  // namespace wb::io
