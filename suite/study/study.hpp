#pragma once
// A study (inputs/studies/<name>.yaml): sweeps that expand into scenarios, plus published
// reference values to compare with. A scenario is Model x System x Strategy x Workload; its id
// is "<model>@<system>x<count>/<strategy>".
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gpu/framework.hpp"
#include "gpu/strategy.hpp"
#include "io/yaml_reader.hpp"
#include "model/transformer.hpp"
#include "model/workload.hpp"
#include "study/catalog.hpp"
#include "study/fabric_case.hpp"

namespace wb::study {

enum class StudyKind { memory, fabric };
const char* to_string(StudyKind k);

struct Scenario {
  std::int64_t index = 0;  // position in the expanded study (global row)
  std::string id;
  std::string sweep;
  const model::TransformerConfig* model = nullptr;
  const System* system = nullptr;
  std::int64_t count = 1;
  const System* host = nullptr;  // node type hosting bare GPUs (may be null)
  gpu::Strategy strategy;
  model::Workload workload;
  const gpu::FrameworkSpec* framework = nullptr;
};

enum class Compare { within, at_least, at_most };
const char* to_string(Compare c);

struct Reference {
  std::string scenario_id;
  std::int64_t scenario_index = 0;
  std::string metric;  // a /scenarios column
  double published = 0;
  Compare compare = Compare::within;
  double tolerance = 0;  // relative (absolute when published is 0)
  std::string source;
  std::string note;
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
  std::vector<FabricCase> fabric_cases;  // kind fabric: the cases, in the order written
};

// Parses and expands a study. All names are resolved through the catalog; errors are
// InputErrors at the offending line.
Study load_study(const std::string& text, const std::string& file, Catalog& catalog);

// Builds a scenario id.
std::string scenario_id(const std::string& model, const std::string& system, std::int64_t count,
                        const std::string& strategy);

// Stem of a path: "inputs/studies/seed_memory.yaml" -> "seed_memory".
std::string file_stem(const std::string& path);

}  // namespace wb::study
