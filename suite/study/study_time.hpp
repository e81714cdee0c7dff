#pragma once
// The time model's part of loading a study (kinds training and inference): the `time:` block,
// `search: true`, the scenario checks that need the step setup, and the search expansion.
#include <map>
#include <string>

#include "gpu/hardware.hpp"
#include "io/yaml_reader.hpp"
#include "study/columns.hpp"
#include "study/study.hpp"

namespace wb::study {

// Reads `time:` and `search:` from the study's root (both only for training/inference).
void load_time_options(io::YamlMap& root, Study& st);

// Training: builds the step setup once (InputErrors for impossible batches, missing performance
// blocks) and fixes the scenario's global batch when the strategy gives ga<N>. Inference: checks
// the host and storage figures.
void check_time_setup(const Study& st, Scenario& sc, const gpu::ClusterSpec& cluster);

// A sweep's `search:` (best or best-<tag>, all, true = all, false), else the study's
// `search: true` (all). best_tag receives the id's strategy part ("best" or "best-<tag>").
SearchMode sweep_search_mode(io::YamlMap& sweep, const Study& st, std::string& best_tag);

// The search's scenarios for one model, system and count:
//   all   the ranked strategies that fit, one scenario each (ids by strategy);
//   best  one scenario "<model>@<system>x<count>/<best_tag>": the fastest layout (ranked on the
//         straggler-free step, evaluated with the study's time options); when no layout fits,
//         the smallest footprint (fits = 0); when no layout exists, a row with no_layout set.
// Each search adds one line to the study's assumptions saying what it considered and chose.
void add_search_scenarios(Study& st, const std::string& sweep, const model::TransformerConfig& m, const System& sys,
                          std::int64_t count, const System* host, const model::Workload& w,
                          const gpu::FrameworkSpec& f, const io::YamlValue& where, std::map<std::string, std::int64_t>& by_id,
                          SearchMode mode = SearchMode::all, const std::string& best_tag = "best");

// States, among the study's assumptions, how its GPU scenarios with a sparsity word are
// computed (sparse<P> as dense; sparse2:4 with each GPU's sparse tensor-core speed-up).
void note_gpu_sparsity(Study& st);

// The row of a no_layout scenario: the setting, fits = 0, nothing else.
void fill_no_layout_row(const Scenario& sc, ScenarioRow& row);

gpu::ClusterSpec cluster_of(const System& sys, std::int64_t count, const System* host);

// Tokens a training scenario trains on (workload, else the model's published run; 0 if unknown).
double train_tokens_of(const Scenario& sc);

}  // namespace wb::study
