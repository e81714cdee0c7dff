#pragma once
// A study's `references:`: published values to compare with the model's predictions. One
// compares a /scenarios column of one scenario (optionally as the tokens trainable in a given
// wall time); an aggregate combines several scenarios: a sum of times, the best of a set, a ratio
// of the best of two sets. A list of scenarios may name a whole sweep ({sweep: <name>}).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/yaml_reader.hpp"
#include "study/plan/scenario_spec.hpp"
#include "study/schema/reference.hpp"
#include "study/schema/scenarios.hpp"

namespace wb::study::plan {

// How a reference's predicted value is formed from /scenarios rows (default: one scenario's value).
enum class Aggregate { none, sum, min, ratio };

struct Reference {
  std::string scenario_id;          // for aggregates: a label naming the scenarios
  std::int64_t scenario_index = 0;  // for aggregates: the last scenario taking part (its row holds the reference)
  Aggregate aggregate = Aggregate::none;
  std::vector<std::int64_t> terms;        // sum/min: the scenarios; ratio: the numerator's
  std::vector<std::int64_t> denominator;  // ratio: the denominator's (each side is its smallest value)
  double within_time_s = 0;  // > 0: metric train_tokens is the tokens trainable in this wall time
  const schema::ColumnSpec* metric = nullptr;  // a numeric /scenarios column
  double published = 0;
  schema::reference::Compare compare = schema::reference::Compare::within;
  double tolerance = 0;  // relative (absolute when published is 0)
  std::string source;
  std::string note;
  // A documented, understood miss (why the model cannot meet it). `run --check` accepts the row
  // while it misses and fails when it starts to pass, so the explanation cannot go stale.
  std::string known_miss;

  // The `units` of published and predicted: the metric's, or "1" for a ratio.
  const char* units() const;
  bool passes(double predicted) const;
};

// Reads `references:` (a sequence) against the expanded scenarios; the result is ordered by
// scenario index, then as written.
std::vector<Reference> parse_references(const io::YamlValue& list, const std::map<std::string, std::int64_t>& by_id,
                                        const std::vector<ScenarioSpec>& scenarios);

// The keys of one reference, below it (`waferbench list studies --keys`).
const io::KeyTable& reference_keys();

// The scenario id in by_id nearest to `id`, for "did you mean" messages ("" when none).
std::string nearest_id(const std::string& id, const std::map<std::string, std::int64_t>& by_id);

}  // namespace wb::study::plan
