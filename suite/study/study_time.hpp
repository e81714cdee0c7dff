#pragma once
// The time model's part of loading a study (kinds training and inference): the `time:` block,
// `search: true`, the scenario checks that need the step setup, and the search expansion.
#include <map>
#include <string>

#include "gpu/hardware.hpp"
#include "io/yaml_reader.hpp"
#include "study/study.hpp"

namespace wb::study {

// Reads `time:` and `search:` from the study's root (both only for training/inference).
void load_time_options(io::YamlMap& root, Study& st);

// Training: builds the step setup once (InputErrors for impossible batches, missing performance
// blocks) and fixes the scenario's global batch when the strategy gives ga<N>. Inference: checks
// the host and storage figures.
void check_time_setup(const Study& st, Scenario& sc, const gpu::ClusterSpec& cluster);

// search: true: the ranked strategies that fit, as scenarios of the sweep.
void add_search_scenarios(Study& st, const std::string& sweep, const model::TransformerConfig& m, const System& sys,
                          std::int64_t count, const System* host, const model::Workload& w,
                          const gpu::FrameworkSpec& f, const io::YamlValue& where, std::map<std::string, std::int64_t>& by_id);

gpu::ClusterSpec cluster_of(const System& sys, std::int64_t count, const System* host);

// Tokens a training scenario trains on (workload, else the model's published run; 0 if unknown).
double train_tokens_of(const Scenario& sc);

}  // namespace wb::study
