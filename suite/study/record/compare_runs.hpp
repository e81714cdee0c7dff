#pragma once
// What changed between two runs (`waferbench compare A.h5 B.h5`): result rows matched by their
// key (/scenarios by id, /fabric by case), every metric compared, the relative change of each
// that differs; scenarios only in A (removed) or only in B (added); reference checks whose
// published value, tolerance or verdict changed; and for the per-scenario groups (/timeline,
// /wafer_layers, /fabric_heatmap, ...) whether they are identical. Values are compared exactly
// (io::same_value) unless a relative tolerance is given.
#include <cstddef>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "study/record/table_output.hpp"

namespace wb::study::record {

struct ValueChange {
  std::string group;   // "scenarios", "fabric" or "reference"
  std::string key;     // scenario id, fabric case, or "<scenario id> <metric>" for reference rows
  std::string metric;  // column
  std::string units;
  std::string a, b;    // values as text (full precision for numbers)
  double a_value = 0, b_value = 0;
  double relative = 0;  // (b - a) / |a|; NaN when not numeric or a is 0 or NaN
  bool numeric = false;
};

struct AttributeChange {
  std::string name;
  std::string a, b;        // empty for long texts (the study YAML, the assumptions)
  bool long_text = false;  // then only said to differ
};

struct GroupStatus {
  std::string group;
  std::string status;  // "identical", "only in A", "only in B", "N values differ"
  bool differs = false;
};

struct RunComparison {
  std::string a, b;
  std::vector<AttributeChange> inputs;      // root attributes that differ (run attributes aside)
  std::size_t common = 0;                   // keyed rows present in both
  std::vector<std::string> removed, added;  // keys only in A / only in B
  std::vector<ValueChange> changes;
  std::size_t changed_keys = 0;             // keyed rows with at least one change
  std::pair<std::size_t, std::size_t> checks_a{0, 0}, checks_b{0, 0};  // (within tolerance, references)
  std::vector<GroupStatus> groups;
  double tolerance = 0;
  bool include_run_info = false;  // run attributes and run-environment columns compared too

  bool changed() const;
};

// Compares the results of two files (io::IoError when one cannot be read, is damaged or is not a
// result file). Differences smaller than `tolerance` (relative) are not changes. The run
// attributes and run-environment columns (schema/result_file.hpp: when and where a run ran, its
// wall times) are left aside unless include_run_info, so a resumed run compares as the same.
RunComparison compare_runs(const std::string& a, const std::string& b, double tolerance = 0.0,
                           bool include_run_info = false);

// Prints the comparison; text and Markdown list at most max_rows changes.
void print_comparison(std::ostream& os, const RunComparison& c, Format format, std::size_t max_rows = 200);

}  // namespace wb::study::record
