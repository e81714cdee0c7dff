#include "study/study.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "gpu/memory_plan.hpp"
#include "study/columns.hpp"
#include "study/reference_aggregate.hpp"
#include "study/wafer_scenario.hpp"
#include "study/study_time.hpp"

namespace wb::study {

const char* to_string(StudyKind k) {
  switch (k) {
    case StudyKind::memory: return "memory";
    case StudyKind::training: return "training";
    case StudyKind::inference: return "inference";
    case StudyKind::fabric: return "fabric";
  }
  return "?";
}

const char* to_string(Compare c) {
  switch (c) {
    case Compare::within: return "within";
    case Compare::at_least: return "at_least";
    case Compare::at_most: return "at_most";
  }
  return "?";
}

std::string scenario_id(const std::string& model, const std::string& system, std::int64_t count,
                        const std::string& strategy) {
  return model + "@" + system + "x" + std::to_string(count) + "/" + strategy;
}

std::string file_stem(const std::string& path) { return std::filesystem::path(path).stem().string(); }

namespace {

// `global_batch: published`: each model's published pre-training batch (its `training:` block).
constexpr std::int64_t kPublishedBatch = -1;

model::Workload parse_workload(const io::YamlValue& value) {
  io::YamlMap w(value);
  model::Workload wl;
  const io::YamlValue task = w.required("task");
  const std::string t = task.as_string();
  if (t == "train") wl.task = model::Task::train;
  else if (t == "infer") wl.task = model::Task::infer;
  else task.fail("unknown task '" + t + "'; expected train or infer");
  if (wl.task == model::Task::train) {
    wl.seq_len = w.required("seq_len").as_positive_int();
    if (auto v = w.optional("global_batch"))
      wl.global_batch = v->as_string() == "published" ? kPublishedBatch : v->as_positive_int();
    if (auto v = w.optional("tokens")) wl.tokens = v->as_positive_quantity(io::Dim::count);
  } else {
    wl.prompt_tokens = w.required("prompt_tokens").as_positive_int();
    wl.output_tokens = w.required("output_tokens").as_positive_int();
    if (auto v = w.optional("batch")) wl.batch = v->as_positive_int();
  }
  w.done();
  return wl;
}

double parse_tolerance(const io::YamlValue& v) {
  const double x = io::read_fraction(v, "tolerance");
  if (x < 0) v.fail("tolerance must not be negative");
  return x;
}

// The parts of a reference after what it compares: metric, published value, tolerance, source.
void finish_reference(io::YamlMap& r, Reference& ref) {
  const io::YamlValue metric = r.required("metric");
  ref.metric = metric.as_string();
  const ColumnSpec* col = find_column(ref.metric);
  if (!col || col->type == io::ColumnType::str) metric.fail("'" + ref.metric + "' is not a numeric /scenarios column");
  if (ref.within_time_s > 0 && ref.metric != "train_tokens")
    metric.fail("within_time compares the tokens trainable in a wall time: the metric must be train_tokens");
  // A ratio of two values of a column has no units.
  ref.published = r.required("published").as_quantity(ref.aggregate == Aggregate::ratio ? io::Dim::count : col->dim);
  if (auto c = r.optional("compare")) {
    const std::string cs = c->as_string();
    if (cs == "within") ref.compare = Compare::within;
    else if (cs == "at_least") ref.compare = Compare::at_least;
    else if (cs == "at_most") ref.compare = Compare::at_most;
    else c->fail("unknown compare '" + cs + "'; expected within, at_least or at_most");
  }
  ref.tolerance = parse_tolerance(r.required("tolerance"));
  ref.source = r.required("source").as_string();
  if (auto n = r.optional("note")) ref.note = n->as_string();
  if (auto km = r.optional("known_miss")) ref.known_miss = km->as_string();
  r.done();
}

}  // namespace

void use_fabric_cache(Study& st, const std::string& path) {
  if (st.kind != StudyKind::training)
    throw std::invalid_argument("fabric_cache applies to training studies (wafer layer cycles)");
  std::shared_ptr<const wafer::FabricCache> cache;
  try {
    cache = std::make_shared<const wafer::FabricCache>(path);
  } catch (const io::IoError& e) {
    throw std::invalid_argument(std::string("cannot read the fabric cache: ") + e.what());
  }
  if (cache->entries().empty()) throw std::invalid_argument("the fabric cache " + path + " has no /fabric rows");
  st.fabric_cache_path = path;
  st.fabric_cache = std::move(cache);
}

Study load_study(const std::string& text, const std::string& file, Catalog& catalog) {
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
  if (st.kind == StudyKind::fabric) {  // cycle-level fabric cases (study/fabric_case.hpp)
    parse_fabric_cases(root, st, catalog);
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
  for (const auto& sweep_value : sweeps.as_sequence()) {
    io::YamlMap sw(sweep_value);
    const std::string sweep_name = sw.required("name").as_string();
    const auto models = sw.required("models").as_list();
    const auto systems = sw.required("systems").as_list();
    const io::YamlValue counts_value = sw.required("counts");
    const auto counts = counts_value.as_list();
    std::vector<io::YamlValue> strategies;
    std::string best_tag;
    const SearchMode search = sweep_search_mode(sw, st, best_tag);  // study_time.cpp
    if (search != SearchMode::none) {
      if (auto sv = sw.optional("strategies")) sv->fail("a search sweep enumerates the strategies; remove `strategies`");
    } else {
      strategies = sw.required("strategies").as_list();
    }
    const System* host = nullptr;
    if (auto h = sw.optional("host")) {
      host = &catalog.system(*h);
      if (host->kind != SystemKind::node) h->fail("host must name a node system (kind: node)");
    }
    const gpu::FrameworkSpec* framework = default_framework;
    if (auto f = sw.optional("framework")) framework = &catalog.framework(*f);
    std::vector<const model::TransformerConfig*> model_specs;
    for (const auto& m : models) model_specs.push_back(&catalog.model(m));
    const io::YamlValue workload_value = sw.required("workload");
    const model::Workload sweep_workload = parse_workload(workload_value);
    sw.done();

    for (std::size_t mi = 0; mi < models.size(); ++mi) {
      const model::TransformerConfig* m = model_specs[mi];
      model::Workload workload = sweep_workload;
      if (workload.global_batch == kPublishedBatch) {
        if (m->train_global_batch <= 0)
          models[mi].fail("global_batch: published, but " + m->name + " has no published batch (training.global_batch)");
        workload.global_batch = m->train_global_batch;
      }
      if (workload.task == model::Task::train && m->position == model::Position::learned &&
          workload.seq_len > m->max_positions)
        models[mi].fail("model has " + std::to_string(m->max_positions) + " learned positions, the workload asks for " +
                        std::to_string(workload.seq_len));
      for (const auto& sys_value : systems) {
        const System& sys = catalog.system(sys_value);
        if (host && sys.kind != SystemKind::gpu) sys_value.fail("host is only for bare GPU systems (kind: gpu)");
        for (const auto& count_value : counts) {
          const std::int64_t count = count_value.as_positive_int();
          if (search != SearchMode::none) {
            if (sys.kind == SystemKind::wafer) sys_value.fail("the strategy search is for GPU systems; " + sys.name + " is a wafer system");
            add_search_scenarios(st, sweep_name, *m, sys, count, host, workload, *framework, count_value, by_id, search, best_tag);
            continue;
          }
          for (const auto& strat_value : strategies) {
            if (sys.kind == SystemKind::wafer) {  // wafer systems: study/wafer_scenario.cpp
              Scenario sc = make_wafer_scenario(st.kind, sweep_name, *m, sys, count_value, strat_value, workload,
                                                workload_value, *framework);
              if (by_id.count(sc.id)) strat_value.fail("scenario " + sc.id + " appears twice in the study");
              sc.index = static_cast<std::int64_t>(st.scenarios.size());
              by_id[sc.id] = sc.index;
              st.scenarios.push_back(std::move(sc));
              continue;
            }
            gpu::Strategy strategy;
            try {
              strategy = gpu::parse_strategy(strat_value.as_string());
            } catch (const std::invalid_argument& e) {
              strat_value.fail(e.what());
            }
            if (strategy.inference != (workload.task == model::Task::infer))
              strat_value.fail(strategy.inference ? "an infer-* strategy needs workload.task: infer"
                                                  : "workload.task is infer; the strategy needs infer-fp32 or infer-fp16");
            Scenario sc;
            sc.sweep = sweep_name;
            sc.model = m;
            sc.system = &sys;
            sc.count = count;
            sc.host = host;
            sc.strategy = strategy;
            sc.workload = workload;
            sc.framework = framework;
            sc.id = scenario_id(m->name, sys.name, count, strategy.canonical());
            // Reject layouts that cannot exist now, on every rank alike, rather than mid-run.
            try {
              const gpu::ClusterSpec cluster =
                  sys.kind == SystemKind::node ? gpu::make_node_cluster(*sys.node(), count)
                                               : gpu::make_gpu_cluster(*sys.gpu(), count,
                                                                       host ? std::optional<gpu::NodeSpec>(*host->node())
                                                                            : std::nullopt);
              check_time_setup(st, sc, cluster);
              (void)gpu::plan_memory(*m, cluster, strategy, sc.workload, *framework);
            } catch (const std::invalid_argument& e) {
              strat_value.fail(sc.id + ": " + e.what());
            }
            if (by_id.count(sc.id)) strat_value.fail("scenario " + sc.id + " appears twice in the study");
            sc.index = static_cast<std::int64_t>(st.scenarios.size());
            by_id[sc.id] = sc.index;
            st.scenarios.push_back(std::move(sc));
          }
        }
      }
    }
  }
  if (st.scenarios.empty()) sweeps.fail("the sweeps expand to no scenario");
  if (st.kind == StudyKind::training) note_gpu_sparsity(st);  // study_time.cpp

  if (auto refs = root.optional("references")) {
    for (const auto& rv : refs->as_sequence()) {
      io::YamlMap r(rv);
      Reference ref;
      // Sums, ratios and token budgets over scenarios: study/wafer_scenario.cpp.
      if (parse_reference_aggregate(r, ref, by_id, &st.scenarios)) {
        finish_reference(r, ref);
        st.references.push_back(std::move(ref));
        continue;
      }
      const io::YamlValue sid = r.required("scenario");
      ref.scenario_id = sid.as_string();
      auto it = by_id.find(ref.scenario_id);
      if (it == by_id.end()) {
        std::string best;
        std::size_t best_d = std::string::npos;
        for (const auto& [id, idx] : by_id) {
          (void)idx;
          const std::size_t d = io::edit_distance(ref.scenario_id, id);
          if (d < best_d) {
            best_d = d;
            best = id;
          }
        }
        sid.fail("no scenario with this id in the study" + (best.empty() ? std::string() : "; nearest: " + best));
      }
      ref.scenario_index = it->second;
      finish_reference(r, ref);
      st.references.push_back(std::move(ref));
    }
    std::stable_sort(st.references.begin(), st.references.end(),
                     [](const Reference& a, const Reference& b) { return a.scenario_index < b.scenario_index; });
  }
  root.done();
  return st;
}

}  // namespace wb::study
