#pragma once
// Wafer systems in studies: expanding a sweep entry into a scenario (strategy words, checks made
// at load time on every rank alike), evaluating it, and its /wafer_layers rows.
#include <map>
#include <string>

#include "io/table.hpp"
#include "io/yaml_reader.hpp"
#include "study/evaluate.hpp"
#include "study/study.hpp"

namespace wb::study {

// One scenario of a wafer system; InputErrors point at the count, strategy or workload value.
Scenario make_wafer_scenario(StudyKind kind, const std::string& sweep, const model::TransformerConfig& m,
                             const System& system, const io::YamlValue& count_value, const io::YamlValue& strategy_value,
                             const model::Workload& workload, const io::YamlValue& workload_value,
                             const gpu::FrameworkSpec& framework);

// Sequences per optimizer step and tokens to train on: the workload's, else the published run's.
std::int64_t wafer_global_batch(const Scenario& sc);
double wafer_train_tokens(const Scenario& sc);

// Whether any scenario runs on a wafer system (the study then writes /wafer_layers).
bool has_wafer_scenarios(const Study& study);

// The columns of /wafer_layers.
io::Table wafer_layers_table();

}  // namespace wb::study
