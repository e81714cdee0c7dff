#include "study/plan/sweeps.hpp"

#include <cctype>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include "gpu/memory_plan.hpp"
#include "gpu/search.hpp"
#include "gpu/step_program.hpp"

namespace wb::study::plan {

namespace {

// `global_batch: published`: each model's published pre-training batch (its `training:` block).
constexpr std::int64_t kPublishedBatch = -1;

enum class SearchMode { none, all, best };

// A bare GPU has no links, host or CPU, which timing needs: name the node files built around it.
std::string bare_gpu_advice(Catalog& catalog, const System& gpu) {
  std::vector<std::string> nodes;
  for (const auto& name : catalog.names("systems")) {
    try {
      const System& s = catalog.system(name);
      if (s.kind == SystemKind::node && s.node()->gpu.name == gpu.name)
        nodes.push_back(name + " x N (" + std::to_string(s.node()->gpus) + " GPUs a node)");
    } catch (const std::exception&) {
      // a system file that does not load is reported where a study names it
    }
  }
  std::string msg = gpu.name + " is a bare GPU: timing needs the node around it (NVLink, network, host CPU and PCIe). ";
  if (nodes.empty()) return msg + "No node file in systems/ holds a " + gpu.name + "; write one like systems/dgx-a100-40gb.yaml or give `host:`";
  msg += "Name a node system instead, counted in nodes: ";
  for (std::size_t i = 0; i < nodes.size(); ++i) msg += (i ? ", " : "") + nodes[i];
  return msg + "; or keep counting GPUs with `host: " + nodes.front().substr(0, nodes.front().find(' ')) + "`";
}

// An inference workload may list batches and prompt lengths: one scenario each, the id
// suffixed /b<batch>-p<prompt> so the points of a serving curve have ids of their own.
struct InferencePoints {
  std::vector<std::int64_t> batches, prompts;
  bool listed = false;
};

std::vector<std::int64_t> positive_ints(const io::YamlValue& v, bool& listed) {
  std::vector<std::int64_t> out;
  listed = listed || v.is_sequence();
  for (const auto& x : v.as_list()) out.push_back(x.as_positive_int());
  return out;
}

// The workload of every point with its id suffix (none when nothing was listed).
std::vector<std::pair<model::Workload, std::string>> inference_points(const model::Workload& w, const InferencePoints& points) {
  std::vector<std::pair<model::Workload, std::string>> out;
  for (const std::int64_t batch : points.batches)
    for (const std::int64_t prompt : points.prompts) {
      model::Workload point = w;
      point.batch = batch;
      point.prompt_tokens = prompt;
      out.emplace_back(point, points.listed ? "/b" + std::to_string(batch) + "-p" + std::to_string(prompt) : std::string());
    }
  return out;
}

model::Workload parse_workload(const io::YamlValue& value, InferencePoints& points) {
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
    points.prompts = positive_ints(w.required("prompt_tokens"), points.listed);
    wl.prompt_tokens = points.prompts.front();
    wl.output_tokens = w.required("output_tokens").as_positive_int();
    if (auto v = w.optional("batch")) points.batches = positive_ints(*v, points.listed);
    else points.batches = {1};
    wl.batch = points.batches.front();
  }
  w.done();
  return wl;
}

// A sweep's `search:` (best or best-<tag>, all, true = all, false), else the study's
// `search: true` (all). tag receives the id's strategy part of a best search.
SearchMode sweep_search_mode(io::YamlMap& sweep, const Study& st, std::string& tag) {
  tag = "best";
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
  if (mode == SearchMode::best) tag = s;
  return mode;
}

// A sweep's `constraints:` for its search: the ZeRO stages, the largest tensor and pipeline
// degrees and whether offload is allowed (gpu::SearchConstraints), so that a user gets the best
// layout their framework's configuration can run.
gpu::SearchConstraints parse_constraints(const io::YamlValue& v) {
  io::YamlMap c(v);
  gpu::SearchConstraints out;
  if (auto z = c.optional("zero")) {
    for (const auto& stage : z->as_list()) {
      const std::int64_t k = stage.as_int();
      if (k < 0 || k > 3) stage.fail("a ZeRO stage is 0, 1, 2 or 3");
      out.zero_stages.push_back(static_cast<int>(k));
    }
  }
  if (auto t = c.optional("tp_max")) out.tp_max = t->as_positive_int();
  if (auto p = c.optional("pp_max")) out.pp_max = p->as_positive_int();
  if (auto o = c.optional("offload")) out.offload = o->as_bool();
  c.done();
  return out;
}

// What one model, system and count of a sweep share.
struct Setting {
  std::string sweep;
  const model::TransformerConfig* model;
  const System* system;
  std::int64_t count;
  const System* host;
  model::Workload workload;
  const gpu::FrameworkSpec* framework;
  const io::YamlValue* count_value;
  const io::YamlValue* workload_value;
  gpu::SearchConstraints constraints;
};

// "12,345,678": counts a reader compares with a limit.
std::string grouped(double n) {
  if (n >= 9.0e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", n);
    return buf;
  }
  std::string digits = std::to_string(static_cast<std::int64_t>(n)), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string too_many(const std::string& what, std::int64_t max_scenarios) {
  return what + "; at most " + grouped(static_cast<double>(max_scenarios)) +
         " scenarios are expanded (run --max-scenarios N raises the limit, if the memory is there for them)";
}

// The scenarios a sweep expands to, from the lengths of its lists alone (a double: the product
// of four lists may pass 2^63), and the product spelled out. A search: all sweep counts one per
// setting here, the least it can give. Lists missing or malformed count as one: expanding the
// sweep reports them.
double sweep_size(const io::YamlValue& sweep, const Study& st, std::string& product) {
  if (!sweep.is_map()) return 1;
  io::YamlMap sw(sweep);
  double n = 1;
  product.clear();
  const auto factor = [&](const char* key) {
    const auto v = sw.optional(key);
    const double length = v && !v->is_map() ? static_cast<double>(v->as_list().size()) : 1;
    n *= length;
    product += (product.empty() ? "" : " x ") + grouped(length) + " " + key;
  };
  factor("models");
  factor("systems");
  factor("counts");
  const auto search = sw.optional("search");
  if (search ? !search->is_scalar() || search->as_string() != "false" : st.search)
    product += " (a search: at least one layout each)";
  else
    factor("strategies");
  // An inference workload's lists of batches and prompt lengths: one scenario each.
  if (const auto workload = sw.optional("workload"); workload && workload->is_map()) {
    io::YamlMap w(*workload);
    for (const auto& [key, what] : {std::pair{"batch", "batches"}, std::pair{"prompt_tokens", "prompt lengths"}}) {
      const auto v = w.optional(key);
      if (!v || !v->is_sequence()) continue;
      const double length = static_cast<double>(v->as_sequence().size());
      n *= length;
      product += " x " + grouped(length) + " " + what;
    }
  }
  return n;
}

class Expansion {
 public:
  Expansion(Study& st, std::map<std::string, std::int64_t>& by_id, std::int64_t max_scenarios)
      : st_(st), by_id_(by_id), max_scenarios_(max_scenarios) {}

  // A spec of the setting with this layout, written at `layout_value`; duplicates fail there
  // with `twice` appended (or are skipped when skip_duplicates).
  void add(const Setting& s, Layout layout, const std::string& strategy_text, const io::YamlValue& layout_value,
           const std::string& twice = "", bool skip_duplicates = false) {
    ScenarioSpec sc;
    sc.sweep = s.sweep;
    sc.model = s.model;
    sc.system = s.system;
    sc.count = s.count;
    sc.host = s.host;
    sc.workload = s.workload;
    sc.framework = s.framework;
    sc.layout = std::move(layout);
    sc.id = scenario_id(s.model->name, s.system->name, s.count, strategy_text);
    sc.source = std::make_shared<const SpecSource>(SpecSource{*s.count_value, layout_value, *s.workload_value});
    if (by_id_.count(sc.id)) {
      if (skip_duplicates) return;
      layout_value.fail("scenario " + sc.id + " appears twice in the study" + twice);
    }
    if (static_cast<std::int64_t>(st_.scenarios.size()) >= max_scenarios_)
      layout_value.fail(too_many("sweep '" + s.sweep + "' takes the study past the limit", max_scenarios_));
    sc.index = static_cast<std::int64_t>(st_.scenarios.size());
    by_id_[sc.id] = sc.index;
    st_.scenarios.push_back(std::move(sc));
  }

 private:
  Study& st_;
  std::map<std::string, std::int64_t>& by_id_;
  std::int64_t max_scenarios_;
};

// `search: all`: every enumerated layout whose memory plan fits and whose step can be set up
// (the layouts the search would time), one spec each, in enumeration order.
void add_fitting_layouts(const Setting& s, Expansion& out) {
  const gpu::ClusterSpec cluster = cluster_of(*s.system, s.count, s.host);
  std::size_t added = 0;
  for (const gpu::Strategy& strategy : gpu::enumerate_strategies(*s.model, cluster, s.workload, s.framework, s.constraints)) {
    try {
      model::Workload w = s.workload;
      if (!gpu::plan_memory(*s.model, cluster, strategy, w, *s.framework).fits()) continue;
      gpu::make_step_setup(*s.model, cluster, strategy, s.workload, *s.framework, 0.0, 1);
    } catch (const std::invalid_argument&) {
      continue;  // e.g. a global batch the layout cannot split
    }
    out.add(s, strategy, strategy.canonical(), *s.count_value, "", true);
    ++added;
  }
  if (added == 0)
    s.count_value->fail("search: no strategy " + s.framework->name + " runs fits " + s.model->name + " on " + std::to_string(s.count) + " x " +
                        s.system->name);
}

gpu::Strategy parse_gpu_strategy(const io::YamlValue& v) {
  try {
    return gpu::parse_strategy(v.as_string());
  } catch (const std::invalid_argument& e) {
    v.fail(e.what());
  }
}

wafer::WaferStrategy parse_wafer_strategy(const io::YamlValue& v, const System& system) {
  try {
    return wafer::parse_wafer_strategy(v.as_string());
  } catch (const std::invalid_argument& e) {
    v.fail("'" + system.name + "' is a wafer system: " + e.what());
  }
}

}  // namespace

void expand_sweeps(const io::YamlValue& sweeps, Study& st, Catalog& catalog,
                   const gpu::FrameworkSpec& default_framework, std::map<std::string, std::int64_t>& by_id,
                   std::int64_t max_scenarios) {
  // Counted first: a sweep of 10^9 scenarios would otherwise run out of memory expanding.
  double total = static_cast<double>(st.scenarios.size());
  for (const auto& sweep_value : sweeps.as_sequence()) {
    std::string product;
    const double n = sweep_size(sweep_value, st, product);
    total += n;
    if (total <= static_cast<double>(max_scenarios)) continue;
    io::YamlMap sw(sweep_value);
    const std::string name = sw.required("name").as_string();
    const std::string whole = total > n ? "; the study " + grouped(total) + " with the sweeps before it" : "";
    sw.required("name").fail(too_many("sweep '" + name + "' expands to " + grouped(n) + " scenarios (" + product + ")" +
                                          whole,
                                      max_scenarios));
  }
  Expansion out(st, by_id, max_scenarios);
  for (const auto& sweep_value : sweeps.as_sequence()) {
    io::YamlMap sw(sweep_value);
    const std::string sweep_name = sw.required("name").as_string();
    const auto models = sw.required("models").as_list();
    const auto systems = sw.required("systems").as_list();
    const io::YamlValue counts_value = sw.required("counts");
    const auto counts = counts_value.as_list();
    std::vector<io::YamlValue> strategies;
    std::string best_tag;
    const SearchMode search = sweep_search_mode(sw, st, best_tag);
    gpu::SearchConstraints constraints;
    if (auto c = sw.optional("constraints")) {
      if (search == SearchMode::none) c->fail("constraints narrow a search; this sweep does not search");
      constraints = parse_constraints(*c);
    }
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
    const gpu::FrameworkSpec* framework = &default_framework;
    if (auto f = sw.optional("framework")) framework = &catalog.framework(*f);
    std::vector<const model::TransformerConfig*> model_specs;
    for (const auto& m : models) model_specs.push_back(&catalog.model(m));
    const io::YamlValue workload_value = sw.required("workload");
    InferencePoints points;
    const model::Workload sweep_workload = parse_workload(workload_value, points);
    if (points.batches.empty()) points.batches = {sweep_workload.batch};
    if (points.prompts.empty()) points.prompts = {sweep_workload.prompt_tokens};
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
        if (!host && sys.kind == SystemKind::gpu && st.kind != StudyKind::memory)
          sys_value.fail(bare_gpu_advice(catalog, sys));
        for (const auto& count_value : counts) {
          for (const auto& [point, suffix] : inference_points(workload, points)) {
            const Setting s{sweep_name, m, &sys, count_value.as_positive_int(), host, point, framework,
                            &count_value, &workload_value, constraints};
            if (search != SearchMode::none) {
              if (sys.kind == SystemKind::wafer) sys_value.fail("the strategy search is for GPU systems; " + sys.name + " is a wafer system");
              if (workload.task != model::Task::train) count_value.fail("a search needs workload.task: train");
              if (search == SearchMode::all) add_fitting_layouts(s, out);
              else out.add(s, SearchRequest{best_tag, constraints}, best_tag, count_value,
                           "; name one search best-<tag> (scenario .../best-<tag>)");
              continue;
            }
            for (const auto& strat_value : strategies) {
              if (sys.kind == SystemKind::wafer) {
                const wafer::WaferStrategy ws = parse_wafer_strategy(strat_value, sys);
                out.add(s, ws, ws.canonical() + suffix, strat_value);
              } else {
                const gpu::Strategy gs = parse_gpu_strategy(strat_value);
                out.add(s, gs, gs.canonical() + suffix, strat_value);
              }
            }
          }
        }
      }
    }
  }
}

const io::KeyTable& sweep_keys() {
  using V = io::KeyValue;
  using io::Dim;
  static const io::KeyTable keys = {
      {"name", V::text, Dim::count, true, "the sweep's name (the sweep column; {sweep: <name>} in references)"},
      {"models", V::list, Dim::count, true, "model file stems"},
      {"systems", V::list, Dim::count, true, "system file stems (GPUs, nodes or wafer systems)"},
      {"counts", V::list, Dim::count, true, "how many of each system: GPUs, nodes or wafer systems"},
      {"strategies", V::list, Dim::count, false,
       "strategies, words joined by + (`waferbench list strategies`); required unless the sweep searches"},
      {"search", V::word, Dim::count, false,
       "best (one scenario .../best, the fastest layout, searched when evaluated; best-<tag> names it), "
       "all (every layout that fits) or false; default the study's search"},
      {"constraints", V::block, Dim::count, false,
       "what a search may pick (the layouts the user's setup allows); the framework's supports: apply anyway"},
      {"constraints.zero", V::list, Dim::count, false, "ZeRO stages allowed, e.g. [1] (default: any)"},
      {"constraints.tp_max", V::integer, Dim::count, false, "largest tensor-parallel degree (default: a node)"},
      {"constraints.pp_max", V::integer, Dim::count, false, "largest pipeline-parallel degree (default: any)"},
      {"constraints.offload", V::flag, Dim::count, false, "optimizer / parameter offload allowed (default true)"},
      {"host", V::word, Dim::count, false, "node system hosting bare GPUs (host memory, PCIe, CPU)"},
      {"framework", V::word, Dim::count, false, "framework file stem; default the study's"},
      {"workload", V::block, Dim::count, true, "what is run"},
      {"workload.task", V::word, Dim::count, true, "train or infer"},
      {"workload.seq_len", V::integer, Dim::count, false, "training sequence length (required for train)"},
      {"workload.global_batch", V::integer, Dim::count, false,
       "sequences per optimizer step, or `published` (each model's); default: the model's published batch when the study runs it on several systems, else what the strategy gives"},
      {"workload.tokens", V::quantity, Dim::count, false, "tokens to train on; default the model's published run"},
      {"workload.prompt_tokens", V::list, Dim::count, false,
       "inference prompt length (required for infer); a list makes one scenario per length, ids suffixed /b<batch>-p<prompt>"},
      {"workload.output_tokens", V::integer, Dim::count, false, "inference tokens generated (required for infer)"},
      {"workload.batch", V::list, Dim::count, false,
       "inference sequences generated together (default 1); a list makes one scenario per batch, ids suffixed /b<batch>-p<prompt>"},
  };
  return keys;
}

}  // namespace wb::study::plan
