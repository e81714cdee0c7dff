#pragma once
// `waferbench import-model`: a Hugging Face config.json as a model file (inputs/models/*.yaml).
#include <CLI/CLI.hpp>
#include <string>

namespace wb::driver {

struct ImportModelArgs {
  std::string config;  // config.json
  std::string output;  // the model file; empty: YAML on standard output
  std::string name;    // display name (default: the file's _name_or_path, else the output stem)
  std::string source;  // where the configuration is published (default: from the file)
  bool force = false;
};

CLI::App* add_import_model_command(CLI::App& app, ImportModelArgs& args);

// Rank 0 reads, checks and writes; throws io::InputError / io::IoError for the driver to report.
int run_import_model(const ImportModelArgs& args);

}  // namespace wb::driver
