#pragma once
// The bundled (or user-given) inputs directory: models/, systems/, frameworks/, studies/.
// Names are file stems. Parsed files are cached, and a name that does not exist is an
// InputError at the place in the study that named it, with the nearest known name suggested.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "gpu/framework.hpp"
#include "gpu/hardware.hpp"
#include "io/file_source.hpp"
#include "io/key_spec.hpp"
#include "io/yaml_reader.hpp"
#include "model/transformer.hpp"
#include "wafer/wafer_spec.hpp"

namespace wb::study::plan {

enum class SystemKind { gpu, node, wafer };
const char* to_string(SystemKind k);

struct System {
  std::string name;
  SystemKind kind = SystemKind::gpu;
  std::variant<gpu::GpuSpec, gpu::NodeSpec, wafer::WaferSpec> spec;
  std::string display_name() const;
  const gpu::GpuSpec* gpu() const { return std::get_if<gpu::GpuSpec>(&spec); }
  const gpu::NodeSpec* node() const { return std::get_if<gpu::NodeSpec>(&spec); }
  const wafer::WaferSpec* wafer() const { return std::get_if<wafer::WaferSpec>(&spec); }
};

class Catalog {
 public:
  Catalog(std::string inputs_dir, io::FileSource& files);

  const std::string& inputs_dir() const { return dir_; }

  // `where` is the study value that names the item; errors point at it.
  const model::TransformerConfig& model(const io::YamlValue& where);
  const System& system(const io::YamlValue& where);
  const gpu::FrameworkSpec& framework(const io::YamlValue& where);

  // By name, without a YAML location (tools and tests); errors name the file.
  const model::TransformerConfig& model(const std::string& name);
  const System& system(const std::string& name);
  const gpu::FrameworkSpec& framework(const std::string& name);

  // Names available in a category ("models", "systems", "frameworks", "studies").
  std::vector<std::string> names(const std::string& category);
  std::string path(const std::string& category, const std::string& name) const;

 private:
  std::optional<std::string> read(const std::string& category, const std::string& name);
  [[noreturn]] void unknown(const std::string& category, const std::string& name, const io::YamlValue* where);
  const model::TransformerConfig& load_model(const std::string& name, const io::YamlValue* where);
  const System& load_system(const std::string& name, const io::YamlValue* where);
  const gpu::FrameworkSpec& load_framework(const std::string& name, const io::YamlValue* where);

  std::string dir_;
  io::FileSource& files_;
  std::map<std::string, std::unique_ptr<model::TransformerConfig>> models_;
  std::map<std::string, std::unique_ptr<System>> systems_;
  std::map<std::string, std::unique_ptr<gpu::FrameworkSpec>> frameworks_;
  std::vector<std::string> loading_;  // systems being parsed, to catch a node naming itself
};

// The keys of a system file of this kind, as its parser declares them (gpu/hardware_yaml.hpp,
// wafer/wafer_spec.hpp).
const io::KeyTable& system_keys(SystemKind kind);

// Which inputs directory to use: --inputs if given, else $WAFERBENCH_INPUTS, else the inputs
// directory the study file sits in (…/inputs/studies/x.yaml), else the one built in.
std::string resolve_inputs_dir(const std::string& cli_value, const std::string& study_path);

}  // namespace wb::study::plan
