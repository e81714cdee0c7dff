#include "import_model_command.hpp"

#include <mpi.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "io/error.hpp"
#include "io/file_source.hpp"
#include "io/text_check.hpp"
#include "io/yaml_reader.hpp"
#include "model/hf_config.hpp"
#include "model/model_yaml.hpp"
#include "text_file.hpp"

namespace wb::driver {

namespace fs = std::filesystem;

CLI::App* add_import_model_command(CLI::App& app, ImportModelArgs& a) {
  std::string families;
  for (const auto& f : model::hf_families()) families += (families.empty() ? "" : ", ") + f;
  auto* cmd = app.add_subcommand(
      "import-model",
      "Write a model file from a Hugging Face config.json (model_type " + families +
          "), print its parameter count, and check it against the file's num_parameters where it has one (a "
          "difference is an error: the file describes something the model does not).\n"
          "Example: waferbench import-model config.json -o inputs/models/llama-2-7b.yaml");
  cmd->add_option("config", a.config, "The config.json of a Hugging Face model")->required();
  cmd->add_option("-o,--output", a.output,
                  "Model file to write, inputs/models/<name>.yaml; its stem is the model's name in studies (default: "
                  "the YAML on standard output)");
  cmd->add_option("--name", a.name, "Display name (default: the file's _name_or_path, else the output's stem)");
  cmd->add_option("--source", a.source, "Where the configuration is published (default: taken from the file)");
  cmd->add_flag("--force", a.force, "Replace the output file if it exists");
  return cmd;
}

namespace {

std::string shape_summary(const model::TransformerConfig& m) {
  std::ostringstream os;
  os << m.layers << " layers, d_model " << m.d_model << ", " << m.heads << " heads of " << m.d_head << " ("
     << m.kv_heads << " key/value), d_ffn " << m.d_ffn << ", vocab " << m.vocab << ", " << m.max_positions
     << " positions\n  " << (m.mlp == model::Mlp::swiglu ? "SwiGLU" : m.mlp == model::Mlp::relu ? "ReLU" : "GeLU")
     << " MLP, " << m.norms_per_layer << (m.norm == model::Norm::rmsnorm ? " RMSNorm" : " LayerNorm") << " per layer, "
     << (m.tied_embeddings ? "tied" : "separate") << " embeddings, " << (m.biases ? "biases" : "no biases") << ", "
     << (m.dropout ? "dropout" : "no dropout");
  return os.str();
}

// The model file as text; parsed back as a study would read it, so it is known to load.
std::string checked_yaml(const model::TransformerConfig& m, const std::string& comment, const std::string& where) {
  const std::string text = model::model_yaml(m, comment);
  const model::TransformerConfig back = model::parse_model(io::parse_yaml(text, where), m.name);
  if (model::count_params(back).total != model::count_params(m).total)
    throw std::logic_error("import-model: the written model file counts other parameters than the import");
  return text;
}

// Before reading anything: the output must be a new .yaml file (or replaced with --force) in an
// existing directory, its stem a usable model name.
void check_output(const ImportModelArgs& a) {
  if (a.output.empty()) return;
  std::error_code ec;
  const fs::path out(a.output);
  if (out.extension() != ".yaml") throw io::IoError(a.output + ": a model file ends in .yaml");
  if (!out.parent_path().empty() && !fs::is_directory(out.parent_path(), ec))
    throw io::IoError(a.output + ": the directory does not exist");
  if (fs::exists(out, ec) && !a.force) throw io::IoError(a.output + ": file exists; choose another -o path or pass --force");
  if (out.stem().string().find_first_of("@/ ") != std::string::npos)
    throw io::IoError(a.output + ": a model name (the file stem) has no '@', '/' or space: scenario ids are <model>@<system>");
}

// What was read, for the person who ran the import.
std::string summary_of(const model::HfImport& r) {
  const model::TransformerConfig& m = r.model;
  std::ostringstream os;
  os << m.display_name << " (" << r.family << "): " << model::grouped_digits(model::count_params(m).total) << " parameters"
     << (r.stated_params > 0 ? ", equal to the file's num_parameters\n" : " (the file states no num_parameters)\n")
     << "  " << shape_summary(m) << "\n";
  for (const auto& note : r.notes) os << "  note: " << note << "\n";
  return os.str();
}

}  // namespace

int run_import_model(const ImportModelArgs& a) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) return 0;
  check_output(a);
  io::LocalFiles files;
  const auto json = files.read(a.config);
  if (!json) throw io::InputError(a.config + ": no such config file");
  io::require_text(*json, a.config);
  model::HfImport r = model::import_hf_config(*json, a.config);

  // The model's name in studies is the file stem; written to standard output, it has none yet.
  const std::string stem = a.output.empty() ? std::string("model") : fs::path(a.output).stem().string();
  model::TransformerConfig& m = r.model;
  m.name = stem;
  m.display_name = !a.name.empty() ? a.name : !r.hub_name.empty() ? r.hub_name : stem;
  m.source = !a.source.empty() ? a.source
                               : "Hugging Face config.json" + (r.hub_name.empty() ? std::string() : " of " + r.hub_name) +
                                     " (model_type " + r.family + "), imported by waferbench import-model";
  std::string comment = "Imported from " + a.config + " by waferbench import-model: " +
                        model::grouped_digits(model::count_params(m).total) + " parameters.";
  for (const auto& note : r.notes) comment += "\nNote: " + note;
  const std::string text = checked_yaml(m, comment, a.output.empty() ? "(standard output)" : a.output);

  if (a.output.empty()) {
    std::cerr << summary_of(r) << std::flush;
    std::cout << text << std::flush;
    return 0;
  }
  const std::string error = write_text_file(a.output, text, "model file");
  if (!error.empty()) throw io::IoError(error);
  std::cout << summary_of(r) << "Wrote " << a.output << ": name it as `models: [" << stem
            << "]` in a study whose inputs directory holds it (inputs/models/" << stem << ".yaml)\n"
            << std::flush;
  return 0;
}

}  // namespace wb::driver
