#pragma once
// A study (inputs/studies/<name>.yaml) as planned: its sweeps expanded into scenario specs, the
// published values to compare with, and the options of its kind. Loading is cheap: it parses,
// resolves names through the catalog, expands the sweeps and checks what can be checked without
// computing anything; run::validate then checks each spec against its system (memory plan, step
// setup), still without simulating, and run::run_study computes the scenarios.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gpu/time_model.hpp"
#include "study/plan/catalog.hpp"
#include "study/plan/fabric_cases.hpp"
#include "study/plan/references.hpp"
#include "study/plan/scenario_spec.hpp"
#include "wafer/fabric_cache.hpp"

namespace wb::study::plan {

enum class StudyKind { memory, training, inference, fabric };
const char* to_string(StudyKind k);

struct Study {
  std::string name;   // file stem
  std::string file;   // path as given
  std::string text;   // verbatim YAML, stored in every result file
  StudyKind kind = StudyKind::memory;
  std::string title;
  std::string description;
  // What the study states, then the `time:` block's figures with their sources. A result file's
  // assumptions are these, the notes the evaluations add (what each strategy search chose), the
  // method notes, and the input figures marked as assumptions (run/provenance.hpp).
  std::vector<std::string> assumptions;
  std::vector<std::string> method_notes;  // how the plan's scenarios are computed (GPU sparsity)
  std::vector<ScenarioSpec> scenarios;
  std::vector<Reference> references;  // ordered by scenario index, then as written
  // Time model (kinds training and inference): the `time:` block, and `search: true` (every
  // sweep searches all strategies that fit; see gpu/search.hpp).
  gpu::TimeOptions time;
  bool search = false;
  std::vector<FabricCase> fabric_cases;  // kind fabric: the cases, in the order written
  // `fabric_cache: FILE.h5` (kind training): the /fabric rows of a fabric layer-cache run, asked
  // before the analytic mapping for wafer layer cycles (wafer/fabric_cycle_source.hpp).
  std::string fabric_cache_path;
  std::shared_ptr<const wafer::FabricCache> fabric_cache;
  // Set by run::validate once every spec has been checked against its system.
  bool validated = false;
};

// Scenarios a study may expand to unless the user raises it (`run --max-scenarios`): each takes
// a spec in memory (a few hundred bytes) and a row of every /scenarios column.
inline constexpr std::int64_t kDefaultMaxScenarios = 10'000'000;

// Parses and expands a study. All names are resolved through the catalog; errors are
// InputErrors at the offending line, among them a study of more than max_scenarios scenarios
// (counted before they are expanded). No scenario is computed.
Study load_study(const std::string& text, const std::string& file, Catalog& catalog,
                 std::int64_t max_scenarios = kDefaultMaxScenarios);

// Reads the fabric cache at `path` (a fabric layer-cache result) into a training study, the
// study key `fabric_cache:` or `run --fabric-cache`; std::invalid_argument says what is wrong.
void use_fabric_cache(Study& study, const std::string& path);

// The keys of a study file (`waferbench list studies --keys`).
const io::KeyTable& study_keys();

// Stem of a path: "inputs/studies/seed_memory.yaml" -> "seed_memory".
std::string file_stem(const std::string& path);

}  // namespace wb::study::plan
