#include "study/study_time.hpp"

#include <stdexcept>

#include "gpu/memory_plan.hpp"
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

void add_search_scenarios(Study& st, const std::string& sweep, const model::TransformerConfig& m, const System& sys,
                          std::int64_t count, const System* host, const model::Workload& w,
                          const gpu::FrameworkSpec& f, const io::YamlValue& where, std::map<std::string, std::int64_t>& by_id) {
  if (w.task != model::Task::train) where.fail("a search needs workload.task: train");
  const gpu::ClusterSpec cluster = cluster_of(sys, count, host);
  Scenario proto;
  proto.model = &m;
  proto.workload = w;
  const double tokens = train_tokens_of(proto);
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
