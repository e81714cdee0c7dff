#pragma once
// A study (inputs/studies/<name>.yaml): sweeps that expand into scenarios, plus published
// reference values to compare with. A scenario is Model x System x Strategy x Workload; its id
// is "<model>@<system>x<count>/<strategy>".
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gpu/framework.hpp"
#include "gpu/strategy.hpp"
#include "gpu/time_model.hpp"
#include "io/yaml_reader.hpp"
#include "model/transformer.hpp"
#include "model/workload.hpp"
#include "study/catalog.hpp"
#include "study/fabric_case.hpp"
#include "wafer/fabric_cache.hpp"
#include "wafer/wafer_strategy.hpp"

namespace wb::study {

enum class StudyKind { memory, training, inference, fabric };
const char* to_string(StudyKind k);

struct Scenario {
  std::int64_t index = 0;  // position in the expanded study (global row)
  std::string id;
  std::string sweep;
  const model::TransformerConfig* model = nullptr;
  const System* system = nullptr;
  std::int64_t count = 1;
  const System* host = nullptr;  // node type hosting bare GPUs (may be null)
  gpu::Strategy strategy;              // GPU systems
  wafer::WaferStrategy wafer_strategy; // wafer systems
  model::Workload workload;
  const gpu::FrameworkSpec* framework = nullptr;
  // A `search: best` sweep's row when no layout can use this many GPUs for the workload (e.g. a
  // global batch smaller than the data-parallel degree needs): strategy is meaningless and the
  // row carries the setting with fits = 0 (study_time.hpp).
  bool no_layout = false;
};

enum class Compare { within, at_least, at_most };
const char* to_string(Compare c);

// How a sweep chooses its GPU strategies: listed (`strategies:`), or by the strategy search
// (gpu/search.hpp) — every layout that fits, ranked (`search: all`, or `search: true` on the
// study), or only the fastest, as one scenario "<model>@<system>x<count>/best" (`search: best`).
enum class SearchMode { none, all, best };

// How a reference's predicted value is formed from /scenarios rows (default: one scenario's value).
enum class Aggregate { none, sum, min, ratio };

struct Reference {
  std::string scenario_id;          // for aggregates: a label naming the scenarios
  std::int64_t scenario_index = 0;  // for aggregates: the last scenario taking part
  Aggregate aggregate = Aggregate::none;
  std::vector<std::int64_t> terms;        // sum/min: the scenarios; ratio: the numerator's
  std::vector<std::int64_t> denominator;  // ratio: the denominator's (each side is its smallest value)
  double within_time_s = 0;  // > 0: metric train_tokens is the tokens trainable in this wall time
  std::string metric;  // a /scenarios column
  double published = 0;
  Compare compare = Compare::within;
  double tolerance = 0;  // relative (absolute when published is 0)
  std::string source;
  std::string note;
  // A documented, understood miss (why the model cannot meet it). `run --check` accepts the row
  // while it misses and fails when it starts to pass, so the explanation cannot go stale.
  std::string known_miss;
};

struct Study {
  std::string name;   // file stem
  std::string file;   // path as given
  std::string text;   // verbatim YAML, stored in every result file
  StudyKind kind = StudyKind::memory;
  std::string title;
  std::string description;
  std::vector<std::string> assumptions;
  std::vector<Scenario> scenarios;
  std::vector<Reference> references;  // ordered by scenario index, then as written
  // Time model (kinds training and inference): the `time:` block, and `search: true` (the
  // sweeps' strategies are enumerated, those that do not fit dropped, the rest ranked by time
  // to train; see gpu/search.hpp).
  gpu::TimeOptions time;
  bool search = false;
  std::vector<FabricCase> fabric_cases;  // kind fabric: the cases, in the order written
  // `fabric_cache: FILE.h5` (kind training): the /fabric rows of a fabric layer-cache run, asked
  // before the analytic mapping for wafer layer cycles (wafer/fabric_cycle_source.hpp).
  std::string fabric_cache_path;
  std::shared_ptr<const wafer::FabricCache> fabric_cache;
};

// Parses and expands a study. All names are resolved through the catalog; errors are
// InputErrors at the offending line.
Study load_study(const std::string& text, const std::string& file, Catalog& catalog);

// Reads the fabric cache at `path` (a fabric layer-cache result) into a training study, the
// study key `fabric_cache:` or `run --fabric-cache`; std::invalid_argument says what is wrong.
void use_fabric_cache(Study& study, const std::string& path);

// Builds a scenario id.
std::string scenario_id(const std::string& model, const std::string& system, std::int64_t count,
                        const std::string& strategy);

// Stem of a path: "inputs/studies/seed_memory.yaml" -> "seed_memory".
std::string file_stem(const std::string& path);

}  // namespace wb::study
