#pragma once
// `waferbench run --scenario ID ...`: scenarios named on the command line, run as a study without
// a YAML file. Each ID is what a result row is called, "<model>@<system>x<count>/<layout>", so a
// row of any report can be pasted back; the layout may be omitted (GPUs: the search's best,
// wafers: auto). The study written from them is the text stored in the result file, so the run is
// reproducible like any other.
#include <cstdint>
#include <string>
#include <vector>

#include "study/plan/catalog.hpp"

namespace wb::driver {

struct AdhocWorkload {
  std::string task = "train";      // train | infer
  std::int64_t seq_len = 0;        // 0: the model's published sequence length
  std::int64_t global_batch = 0;   // 0: the plan's default (fair: one published batch across machines)
  double tokens = 0;               // 0: the model's published run
  std::int64_t prompt_tokens = 0;  // infer
  std::int64_t output_tokens = 0;  // infer
  std::string framework;           // empty: the plan's default
};

// One --scenario value taken apart. An InputError names the value and what is wrong.
struct ScenarioName {
  std::string model;
  std::string system;
  std::int64_t count = 1;
  std::string layout;  // as written; empty when omitted
};
ScenarioName parse_scenario_name(const std::string& id, study::plan::Catalog& catalog);

// The study's YAML: one sweep per scenario, each on its own line (line 7 + k for the k-th), so a
// plan error names the scenario through its line.
std::string adhoc_study_text(const std::vector<std::string>& ids, const AdhocWorkload& workload,
                             study::plan::Catalog& catalog);

}  // namespace wb::driver
