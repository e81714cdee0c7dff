#include "study/plan/catalog.hpp"

#include <cstdlib>
#include <filesystem>
#include <limits>

#include "gpu/hardware_yaml.hpp"
#include "model/model_yaml.hpp"

#ifndef WB_DEFAULT_INPUTS_DIR
#define WB_DEFAULT_INPUTS_DIR "inputs"
#endif

namespace wb::study::plan {

namespace fs = std::filesystem;

const char* to_string(SystemKind k) {
  switch (k) {
    case SystemKind::gpu: return "gpu";
    case SystemKind::node: return "node";
    case SystemKind::wafer: return "wafer";
  }
  return "?";
}

std::string System::display_name() const {
  return std::visit([](const auto& s) { return s.display_name; }, spec);
}

Catalog::Catalog(std::string inputs_dir, io::FileSource& files) : dir_(std::move(inputs_dir)), files_(files) {}

std::string Catalog::path(const std::string& category, const std::string& name) const {
  return (fs::path(dir_) / category / (name + ".yaml")).string();
}

std::vector<std::string> Catalog::names(const std::string& category) {
  std::vector<std::string> out;
  for (const auto& file : files_.list((fs::path(dir_) / category).string(), ".yaml"))
    out.push_back(file.substr(0, file.size() - 5));
  return out;
}

std::optional<std::string> Catalog::read(const std::string& category, const std::string& name) {
  // Names are file stems: no paths, no hidden files.
  if (name.empty() || name.find('/') != std::string::npos || name[0] == '.') return std::nullopt;
  return files_.read(path(category, name));
}

void Catalog::unknown(const std::string& category, const std::string& name, const io::YamlValue* where) {
  const std::vector<std::string> known = names(category);
  std::string singular = category.substr(0, category.size() - 1);
  std::string msg = "unknown " + singular + " '" + name + "'";
  std::string best;
  std::size_t best_d = std::numeric_limits<std::size_t>::max();
  for (const auto& k : known) {
    const std::size_t d = io::edit_distance(name, k);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  if (!best.empty() && best_d <= 3) msg += "; did you mean '" + best + "'?";
  msg += " (looked for " + path(category, name) + "; `waferbench list " + category + "` shows the known ones)";
  if (where) where->fail(msg);
  throw io::InputError(msg);
}

const model::TransformerConfig& Catalog::load_model(const std::string& name, const io::YamlValue* where) {
  if (auto it = models_.find(name); it != models_.end()) return *it->second;
  auto text = read("models", name);
  if (!text) unknown("models", name, where);
  const io::YamlValue doc = io::parse_yaml(*text, path("models", name));
  auto m = std::make_unique<model::TransformerConfig>(model::parse_model(doc, name));
  return *models_.emplace(name, std::move(m)).first->second;
}

const System& Catalog::load_system(const std::string& name, const io::YamlValue* where) {
  if (auto it = systems_.find(name); it != systems_.end()) return *it->second;
  if (std::find(loading_.begin(), loading_.end(), name) != loading_.end()) {
    const std::string msg = "system '" + name + "' refers to itself";
    if (where) where->fail(msg);
    throw io::InputError(msg);
  }
  auto text = read("systems", name);
  if (!text) unknown("systems", name, where);
  const std::string file = path("systems", name);
  loading_.push_back(name);
  struct Done {
    std::vector<std::string>& v;
    ~Done() { v.pop_back(); }
  } done{loading_};
  const io::YamlValue doc = io::parse_yaml(*text, file);
  io::YamlMap root(doc);
  io::check_schema_version(root);
  const io::YamlValue kind = root.required("kind");
  auto s = std::make_unique<System>();
  s->name = name;
  const std::string k = kind.as_string();
  if (k == "gpu") {
    s->kind = SystemKind::gpu;
    s->spec = gpu::parse_gpu(root, name, file);
  } else if (k == "node") {
    s->kind = SystemKind::node;
    s->spec = gpu::parse_node(root, name, file, [this](const io::YamlValue& gpu_name) {
      const System& g = load_system(gpu_name.as_string(), &gpu_name);
      if (!g.gpu()) gpu_name.fail("'" + g.name + "' is a " + to_string(g.kind) + " system, not a GPU");
      return *g.gpu();
    });
  } else if (k == "wafer") {
    s->kind = SystemKind::wafer;
    s->spec = wafer::parse_wafer(root, name, file);
  } else {
    kind.fail("unknown kind '" + k + "'; expected gpu, node or wafer");
  }
  root.done();
  // Provenance names the file as the inputs directory has it, so that a result file says the same
  // in any checkout (errors above name the full path, where the file is to be fixed).
  const std::string label = (fs::path("systems") / (name + ".yaml")).string();
  if (auto* g = std::get_if<gpu::GpuSpec>(&s->spec)) g->provenance.file = label;
  if (auto* n = std::get_if<gpu::NodeSpec>(&s->spec)) {
    n->provenance.file = label;
    n->gpu.provenance.file = (fs::path("systems") / (n->gpu.name + ".yaml")).string();
  }
  if (auto* w = std::get_if<wafer::WaferSpec>(&s->spec)) w->provenance.file = label;
  return *systems_.emplace(name, std::move(s)).first->second;
}

const gpu::FrameworkSpec& Catalog::load_framework(const std::string& name, const io::YamlValue* where) {
  if (auto it = frameworks_.find(name); it != frameworks_.end()) return *it->second;
  auto text = read("frameworks", name);
  if (!text) unknown("frameworks", name, where);
  const io::YamlValue doc = io::parse_yaml(*text, path("frameworks", name));
  auto f = std::make_unique<gpu::FrameworkSpec>(gpu::parse_framework(doc, name));
  f->provenance.file = (fs::path("frameworks") / (name + ".yaml")).string();  // as for systems
  return *frameworks_.emplace(name, std::move(f)).first->second;
}

const model::TransformerConfig& Catalog::model(const io::YamlValue& where) { return load_model(where.as_string(), &where); }
const System& Catalog::system(const io::YamlValue& where) { return load_system(where.as_string(), &where); }
const gpu::FrameworkSpec& Catalog::framework(const io::YamlValue& where) {
  return load_framework(where.as_string(), &where);
}
const model::TransformerConfig& Catalog::model(const std::string& name) { return load_model(name, nullptr); }
const System& Catalog::system(const std::string& name) { return load_system(name, nullptr); }
const gpu::FrameworkSpec& Catalog::framework(const std::string& name) { return load_framework(name, nullptr); }

const io::KeyTable& system_keys(SystemKind kind) {
  switch (kind) {
    case SystemKind::gpu: return gpu::gpu_system_keys();
    case SystemKind::node: return gpu::node_system_keys();
    case SystemKind::wafer: return wafer::wafer_system_keys();
  }
  return gpu::gpu_system_keys();
}

std::string resolve_inputs_dir(const std::string& cli_value, const std::string& study_path) {
  if (!cli_value.empty()) return cli_value;
  if (const char* env = std::getenv("WAFERBENCH_INPUTS"); env && *env) return env;
  if (!study_path.empty()) {
    const fs::path dir = fs::path(study_path).parent_path();
    if (dir.filename() == "studies" && dir.has_parent_path()) {
      std::error_code ec;
      if (fs::is_directory(dir.parent_path() / "models", ec)) return dir.parent_path().string();
    }
  }
  return WB_DEFAULT_INPUTS_DIR;
}

}  // namespace wb::study::plan
