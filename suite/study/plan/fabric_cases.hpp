#pragma once
// A study of kind `fabric`: a list of cycle-level fabric simulations (cases), each a layer shape
// mapped onto a PE rectangle of one wafer system, optionally with a published cycle count to
// compare with. Cases are written explicitly (`cases:`) or expanded from the GEMM shapes of
// models (`layer_sweeps:`). Unlike scenarios, a case runs on all ranks at once (the fabric is
// split over them), so the study runs one case after another.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/key_spec.hpp"
#include "io/yaml_reader.hpp"
#include "wafer/fabric_program.hpp"

namespace wb::study::plan {

class Catalog;
struct System;

struct FabricReference {
  double cycles = 0;
  double tolerance = 0;  // relative
  std::string source;
  std::string note;
  bool fit = true;  // takes part in fitting the fabric model (docs/fabric-model.md)
  std::string known_miss;  // why the model is known to miss this value (empty: none)
};

struct FabricCase {
  std::string name;
  const System* system = nullptr;
  wafer::FabricCaseSpec spec;
  std::string statistic = "max";  // which completion `cycles` reports: max (last PE) or mean
  bool heatmap = false;
  std::string origin;              // "case" or the layer sweep that produced it ("<model>/<gemm>/<pass>")
  std::optional<FabricReference> published;
};

// The cases of the `cases:` and `layer_sweeps:` keys of a fabric study, each checked against its
// chip (no simulation).
std::vector<FabricCase> parse_fabric_cases(io::YamlMap& root, Catalog& catalog);

// The keys of a fabric study's `cases:` and `layer_sweeps:` (`waferbench list studies --keys`).
const io::KeyTable& fabric_case_keys();

}  // namespace wb::study::plan
