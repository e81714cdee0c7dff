// Input keys are documented where they are read: every key a parser asks for while reading the
// bundled inputs (models, systems, frameworks, studies) is in that parser's key table, with a
// meaning, once. The tables are what `waferbench list <what> --keys` prints.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "gpu/framework.hpp"
#include "io/file_source.hpp"
#include "io/key_spec.hpp"
#include "model/model_yaml.hpp"
#include "study/plan/catalog.hpp"
#include "study/plan/study.hpp"

using namespace wb;

namespace {

std::vector<std::string> g_seen;
void record(const std::string& path) { g_seen.push_back(path); }

// "sweeps[0].workload.task" and "sweeps[].workload.task" -> "sweeps.workload.task".
std::string normal(const std::string& path) { return std::regex_replace(path, std::regex("\\[[0-9]*\\]"), ""); }

// The keys asked for while `load` runs.
template <class F>
std::vector<std::string> keys_asked(F load) {
  g_seen.clear();
  io::observe_keys(record);
  load();
  io::observe_keys(nullptr);
  return g_seen;
}

// Every asked key is declared; a figure's own keys (value, source, ...) belong to the figure.
void expect_declared(const std::vector<std::string>& asked, const io::KeyTable& table, const std::string& file) {
  std::map<std::string, const io::KeySpec*> declared;
  for (const auto& k : table) declared[normal(k.path)] = &k;
  static const std::set<std::string> figure_parts{"value", "source", "assumption", "note", "measured"};
  for (const auto& path : asked) {
    const std::string key = normal(path);
    if (declared.count(key)) continue;
    const auto dot = key.rfind('.');
    if (dot != std::string::npos && figure_parts.count(key.substr(dot + 1))) {
      auto parent = declared.find(key.substr(0, dot));
      if (parent != declared.end() && parent->second->value == io::KeyValue::figure) continue;
    }
    ADD_FAILURE() << file << " is read with key '" << path << "', which its parser's key table does not declare";
  }
}

void expect_well_formed(const io::KeyTable& table, const std::string& what) {
  std::set<std::string> paths;
  for (const auto& k : table) {
    EXPECT_TRUE(paths.insert(k.path).second) << what << " declares " << k.path << " twice";
    EXPECT_FALSE(k.meaning.empty()) << what << " key " << k.path << " has no meaning";
  }
}

}  // namespace

TEST(InputKeys, TablesAreWellFormed) {
  expect_well_formed(model::model_keys(), "models");
  for (auto kind : {study::plan::SystemKind::gpu, study::plan::SystemKind::node, study::plan::SystemKind::wafer})
    expect_well_formed(study::plan::system_keys(kind), study::plan::to_string(kind));
  expect_well_formed(gpu::framework_keys(), "frameworks");
  expect_well_formed(study::plan::study_keys(), "studies");
}

TEST(InputKeys, EveryKeyTheBundledInputsAreReadWithIsDeclared) {
  io::LocalFiles files;
  // Which kind each system is, so that GPUs load (and are cached) before the nodes naming them.
  std::map<study::plan::SystemKind, std::vector<std::string>> systems;
  {
    study::plan::Catalog probe(WB_TEST_INPUTS_DIR, files);
    for (const auto& name : probe.names("systems")) systems[probe.system(name).kind].push_back(name);
  }
  study::plan::Catalog catalog(WB_TEST_INPUTS_DIR, files);
  for (auto kind : {study::plan::SystemKind::gpu, study::plan::SystemKind::node, study::plan::SystemKind::wafer})
    for (const auto& name : systems[kind])
      expect_declared(keys_asked([&] { catalog.system(name); }), study::plan::system_keys(kind), "systems/" + name);
  for (const auto& name : catalog.names("models"))
    expect_declared(keys_asked([&] { catalog.model(name); }), model::model_keys(), "models/" + name);
  for (const auto& name : catalog.names("frameworks"))
    expect_declared(keys_asked([&] { catalog.framework(name); }), gpu::framework_keys(), "frameworks/" + name);
  std::size_t studies = 0;
  for (const auto& name : catalog.names("studies")) {
    const std::string path = catalog.path("studies", name);
    const auto text = files.read(path);
    ASSERT_TRUE(text);
    expect_declared(keys_asked([&] { study::plan::load_study(*text, path, catalog); }), study::plan::study_keys(),
                    "studies/" + name);
    ++studies;
  }
  EXPECT_GT(studies, 20u);
}
