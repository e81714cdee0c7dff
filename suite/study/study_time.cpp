#include "study/study_time.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <stdexcept>

#include "gpu/memory_plan.hpp"
#include "gpu/op_cost.hpp"
#include "gpu/search.hpp"
#include "gpu/step_program.hpp"

namespace wb::study {

gpu::ClusterSpec cluster_of(const System& sys, std::int64_t count, const System* host) {
  if (sys.kind == SystemKind::node) return gpu::make_node_cluster(*sys.node(), count);
  std::optional<gpu::NodeSpec> h;
  if (host) h = *host->node();
  return gpu::make_gpu_cluster(*sys.gpu(), count, h);
}

double train_tokens_of(const Scenario& sc) {
  if (sc.workload.tokens > 0) return sc.workload.tokens;
  return sc.model->train_tokens;
}

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

void check_time_setup(const Study& st, Scenario& sc, const gpu::ClusterSpec& cluster) {
  if (st.kind == StudyKind::training) {
    if (sc.workload.task != model::Task::train) throw std::invalid_argument("a training study needs workload.task: train");
    const gpu::StepSetup setup = gpu::make_step_setup(*sc.model, cluster, sc.strategy, sc.workload, *sc.framework, 0.0, 1);
    sc.workload.global_batch = setup.global_batch;
  } else if (st.kind == StudyKind::inference) {
    if (sc.workload.task != model::Task::infer) throw std::invalid_argument("an inference study needs workload.task: infer");
    (void)gpu::inference_time(*sc.model, cluster, sc.strategy, sc.workload, *sc.framework, st.time);
  }
}

SearchMode sweep_search_mode(io::YamlMap& sweep, const Study& st, std::string& best_tag) {
  best_tag = "best";
  const SearchMode study_default = st.search ? SearchMode::all : SearchMode::none;
  const auto v = sweep.optional("search");
  if (!v) return study_default;
  const std::string s = v->as_string();
  SearchMode mode = SearchMode::none;
  if (s == "best" || (s.size() > 5 && s.compare(0, 5, "best-") == 0)) mode = SearchMode::best;
  else if (s == "all" || s == "true") mode = SearchMode::all;
  else if (s == "false") mode = SearchMode::none;
  else v->fail("unknown search '" + s + "'; expected best (the fastest layout; best-<tag> names its scenario .../best-<tag>), "
               "all (every layout that fits) or false");
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      v->fail("search: '" + s + "' names the scenario; use letters, digits, '-', '_' and '.'");
  if (mode != SearchMode::none && st.kind != StudyKind::training) v->fail("the strategy search is for studies of kind training");
  if (mode == SearchMode::best) best_tag = s;
  return mode;
}

namespace {

std::string thousands(std::int64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

void note_gpu_sparsity(Study& st) {
  bool unstructured = false;
  std::vector<std::string> structured;  // one line per GPU type
  for (const Scenario& sc : st.scenarios) {
    if (sc.system->kind == SystemKind::wafer) continue;
    unstructured = unstructured || sc.strategy.sparse_percent > 0;
    if (!sc.strategy.sparse_2to4) continue;
    const gpu::GpuSpec& g = cluster_of(*sc.system, sc.count, sc.host).gpu;
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
    st.assumptions.push_back(
        "GPU sparse<P> (unstructured weight sparsity) is computed as dense: dense tensor-core GEMMs multiply the "
        "zeros like any other value, so step time and memory are those of the dense model (the sparsity column "
        "records P)");
  for (auto& line : structured) st.assumptions.push_back(line);
}

void fill_no_layout_row(const Scenario& sc, ScenarioRow& row) {
  const gpu::ClusterSpec cluster = cluster_of(*sc.system, sc.count, sc.host);
  row.set("id", sc.id);
  row.set("sweep", sc.sweep);
  row.set("model", sc.model->name);
  row.set("system", sc.system->name);
  row.set("system_count", sc.count);
  row.set("host", sc.host ? sc.host->name : std::string());
  row.set("task", std::string("train"));
  row.set("framework", sc.framework->name);
  row.set("params", model::count_params(*sc.model).total);
  row.set("devices", cluster.total_gpus());
  row.set("seq_len", sc.workload.seq_len);
  if (sc.workload.global_batch > 0) row.set("global_batch", sc.workload.global_batch);
  row.set("fits", std::int64_t{0});
  row.set("fits_device", std::int64_t{0});
  row.set("fits_host", std::int64_t{0});
  row.set("device_capacity_bytes", cluster.gpu.memory_bytes);
  const double tokens = train_tokens_of(sc);
  if (tokens > 0) row.set("train_tokens", tokens);
}

void add_search_scenarios(Study& st, const std::string& sweep, const model::TransformerConfig& m, const System& sys,
                          std::int64_t count, const System* host, const model::Workload& w,
                          const gpu::FrameworkSpec& f, const io::YamlValue& where, std::map<std::string, std::int64_t>& by_id,
                          SearchMode mode, const std::string& best_tag) {
  if (w.task != model::Task::train) where.fail("a search needs workload.task: train");
  const gpu::ClusterSpec cluster = cluster_of(sys, count, host);
  Scenario proto;
  proto.model = &m;
  proto.workload = w;
  const double tokens = train_tokens_of(proto);
  const std::string what = "search (sweep " + sweep + "): " + m.name + " on " + std::to_string(count) + " x " + sys.name +
                           " (" + thousands(cluster.total_gpus()) + " GPUs)";
  if (mode == SearchMode::best) {
    gpu::BestStrategy b;
    try {
      b = gpu::search_best(m, cluster, w, f, tokens, st.time);
    } catch (const std::invalid_argument& e) {
      where.fail(std::string("search: ") + e.what());
    }
    Scenario sc;
    sc.sweep = sweep;
    sc.model = &m;
    sc.system = &sys;
    sc.count = count;
    sc.host = host;
    sc.workload = w;
    sc.framework = &f;
    sc.id = scenario_id(m.name, sys.name, count, best_tag);
    std::string line = what + ": " + thousands(b.stats.enumerated) + " layouts, " + thousands(b.stats.fitting) +
                       " fit in memory, " + thousands(b.stats.timed) + " timed (the others bounded out); ";
    if (b.found) {
      sc.strategy = b.best.strategy;
      line += "fastest " + b.best.strategy.canonical() + " (ranked on the straggler-free step)";
    } else if (b.any_layout) {
      sc.strategy = b.smallest;
      line += "none fits; the row shows the smallest footprint, " + b.smallest.canonical();
    } else {
      sc.no_layout = true;
      line = what + ": no layout: tensor parallelism within a node dividing the heads, pipeline stages dividing the " +
             std::to_string(m.layers) + " layers" +
             (w.global_batch > 0 ? ", and data parallel x micro-batch dividing the global batch of " +
                                       std::to_string(w.global_batch) + " sequences"
                                 : std::string()) +
             " cannot use all " + thousands(cluster.total_gpus()) + " GPUs";
    }
    if (!sc.no_layout) {
      try {
        check_time_setup(st, sc, cluster);
      } catch (const std::invalid_argument& e) {
        where.fail(sc.id + " (" + sc.strategy.canonical() + "): " + e.what());
      }
    }
    if (by_id.count(sc.id))
      where.fail("scenario " + sc.id + " appears twice in the study; name one search best-<tag> (scenario .../best-<tag>)");
    sc.index = static_cast<std::int64_t>(st.scenarios.size());
    by_id[sc.id] = sc.index;
    st.scenarios.push_back(std::move(sc));
    st.assumptions.push_back(line);
    return;
  }
  std::vector<gpu::SearchResult> ranked;
  try {
    ranked = gpu::search_strategies(m, cluster, w, f, tokens, st.time);
  } catch (const std::invalid_argument& e) {
    where.fail(std::string("search: ") + e.what());
  }
  if (ranked.empty()) where.fail("search: no strategy fits " + m.name + " on " + std::to_string(count) + " x " + sys.name);
  for (const auto& r : ranked) {
    Scenario sc;
    sc.sweep = sweep;
    sc.model = &m;
    sc.system = &sys;
    sc.count = count;
    sc.host = host;
    sc.strategy = r.strategy;
    sc.workload = w;
    sc.framework = &f;
    sc.id = scenario_id(m.name, sys.name, count, r.strategy.canonical());
    if (by_id.count(sc.id)) continue;
    check_time_setup(st, sc, cluster);
    sc.index = static_cast<std::int64_t>(st.scenarios.size());
    by_id[sc.id] = sc.index;
    st.scenarios.push_back(std::move(sc));
  }
}

}  // namespace wb::study
