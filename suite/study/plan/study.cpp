#include "study/plan/study.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "gpu/op_cost.hpp"
#include "io/error.hpp"
#include "study/plan/fabric_cache.hpp"
#include "study/plan/fair_workload.hpp"
#include "study/plan/references.hpp"
#include "study/plan/sweeps.hpp"

namespace wb::study::plan {

const char* to_string(StudyKind k) {
  switch (k) {
    case StudyKind::memory: return "memory";
    case StudyKind::training: return "training";
    case StudyKind::inference: return "inference";
    case StudyKind::fabric: return "fabric";
  }
  return "?";
}

std::string file_stem(const std::string& path) { return std::filesystem::path(path).stem().string(); }

void use_fabric_cache(Study& st, const std::string& path) {
  if (st.kind != StudyKind::training)
    throw std::invalid_argument("fabric_cache applies to training studies (wafer layer cycles)");
  std::shared_ptr<const wafer::FabricCache> cache;
  try {
    cache = read_fabric_cache(path);
  } catch (const io::IoError& e) {
    throw std::invalid_argument(std::string("cannot read the fabric cache: ") + e.what());
  }
  if (cache->entries().empty()) throw std::invalid_argument("the fabric cache " + path + " has no /fabric rows");
  st.fabric_cache_path = path;
  st.fabric_cache = std::move(cache);
}

namespace {

// `time:` and `search:` at the study's root (kinds training and inference).
void load_time_options(io::YamlMap& root, Study& st) {
  const bool timed = st.kind == StudyKind::training || st.kind == StudyKind::inference;
  if (auto t = root.optional("time")) {
    if (!timed) t->fail("`time:` is for studies of kind training or inference");
    io::YamlMap m(*t);
    st.time = gpu::parse_time_options(m);
    for (const auto& line : st.time.sources) st.assumptions.push_back("study time: " + line);
  }
  if (auto s = root.optional("search")) {
    st.search = s->as_bool();
    if (st.search && st.kind != StudyKind::training) s->fail("search: true is for studies of kind training");
  }
}

// States how the study's GPU scenarios with a sparsity word are computed (sparse<P> as dense;
// sparse2:4 with each GPU's sparse tensor-core speed-up).
void note_gpu_sparsity(Study& st) {
  bool unstructured = false;
  std::vector<std::string> structured;  // one line per GPU type
  for (const ScenarioSpec& sc : st.scenarios) {
    const gpu::Strategy* s = sc.gpu_strategy();
    if (!s) continue;
    unstructured = unstructured || s->sparse_percent > 0;
    if (!s->sparse_2to4) continue;
    const gpu::GpuSpec& g = cluster_of(sc).gpu;
    if (!g.perf || !sc.framework->time) continue;  // the time model cannot run it: run::validate says so
    gpu::OpCost probe(g, *g.perf, *sc.framework->time);
    probe.use_sparse_weights(true);
    const double x = probe.sparse_weight_speedup();
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", x);
    const std::string line =
        "GPU sparse2:4 on " + g.name + ": the forward and data-gradient products with the decoder layers' weights run " +
        (x > 1.0 ? std::string(buf) + "x faster in their math (sparse over dense tensor-core peak, at most 2)"
                 : std::string("at dense speed (no sparse tensor cores: the GPU file has no peak_fp16_sparse)")) +
        "; weight gradients, attention, element-wise work, memory traffic and memory use stay dense";
    if (std::find(structured.begin(), structured.end(), line) == structured.end()) structured.push_back(line);
  }
  if (unstructured)
    st.method_notes.push_back(
        "GPU sparse<P> (unstructured weight sparsity) is computed as dense: dense tensor-core GEMMs multiply the "
        "zeros like any other value, so step time and memory are those of the dense model (the sparsity column "
        "records P)");
  for (auto& line : structured) st.method_notes.push_back(line);
}

}  // namespace

const io::KeyTable& study_keys() {
  using V = io::KeyValue;
  using io::Dim;
  static const io::KeyTable keys = [] {
    io::KeyTable k = {
        {"schema_version", V::integer, Dim::count, true, "input schema version (1)"},
        {"kind", V::word, Dim::count, true, "memory, training, inference or fabric"},
        {"title", V::text, Dim::count, true, "one line, printed by report"},
        {"description", V::text, Dim::count, false, "what the study asks"},
        {"assumptions", V::list, Dim::count, false, "what the study assumes, one line each (the file's assumptions)"},
        {"time", V::block, Dim::count, false, "time model options (training, inference)"},
        {"search", V::flag, Dim::count, false, "training: every sweep searches all strategies that fit"},
        {"fabric_cache", V::text, Dim::count, false,
         "training: a fabric layer-cache result whose cycles time wafer products (run --fabric-cache replaces it)"},
        {"framework", V::word, Dim::count, false, "framework file stem for the sweeps; default deepspeed"},
        {"sweeps", V::list, Dim::count, false, "what to run (required unless kind: fabric)"},
        {"references", V::list, Dim::count, false, "published values to compare with"},
    };
    io::append(k, io::under("time", gpu::time_option_keys()));
    io::append(k, io::under("sweeps[]", sweep_keys()));
    io::append(k, io::under("references[]", reference_keys()));
    io::append(k, fabric_case_keys());
    return k;
  }();
  return keys;
}

Study load_study(const std::string& text, const std::string& file, Catalog& catalog, std::int64_t max_scenarios) {
  Study st;
  st.file = file;
  st.text = text;
  st.name = file_stem(file);
  const io::YamlValue doc = io::parse_yaml(text, file);
  io::YamlMap root(doc);
  io::check_schema_version(root);

  const io::YamlValue kind = root.required("kind");
  const std::string k = kind.as_string();
  if (k == "memory") st.kind = StudyKind::memory;
  else if (k == "training") st.kind = StudyKind::training;
  else if (k == "inference") st.kind = StudyKind::inference;
  else if (k == "fabric") st.kind = StudyKind::fabric;
  else kind.fail("unknown study kind '" + k + "'; expected: memory, training, inference or fabric");
  st.title = root.required("title").as_string();
  if (auto d = root.optional("description")) st.description = d->as_string();
  if (auto a = root.optional("assumptions"))
    for (const auto& line : a->as_sequence()) st.assumptions.push_back(line.as_string());
  if (st.kind == StudyKind::fabric) {
    st.fabric_cases = parse_fabric_cases(root, catalog);
    root.done();
    return st;
  }

  load_time_options(root, st);
  if (auto fc = root.optional("fabric_cache")) {
    // A relative path is taken from the current directory, like `run -o`.
    try {
      use_fabric_cache(st, fc->as_string());
    } catch (const std::invalid_argument& e) {
      fc->fail(e.what());
    }
  }

  const gpu::FrameworkSpec* default_framework = nullptr;
  if (auto f = root.optional("framework")) default_framework = &catalog.framework(*f);
  else default_framework = &catalog.framework(std::string("deepspeed"));

  std::map<std::string, std::int64_t> by_id;
  const io::YamlValue sweeps = root.required("sweeps");
  expand_sweeps(sweeps, st, catalog, *default_framework, by_id, max_scenarios);
  if (st.scenarios.empty()) sweeps.fail("the sweeps expand to no scenario");
  one_batch_per_model(st);
  if (st.kind == StudyKind::training) note_gpu_sparsity(st);

  if (auto refs = root.optional("references")) st.references = parse_references(*refs, by_id, st.scenarios);
  root.done();
  return st;
}

}  // namespace wb::study::plan
