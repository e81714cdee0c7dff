#include "study/evaluate.hpp"

#include <cmath>
#include <limits>

#include "gpu/memory_plan.hpp"

namespace wb::study {

namespace {

gpu::ClusterSpec cluster_of(const Scenario& sc) {
  if (sc.system->kind == SystemKind::node) return gpu::make_node_cluster(*sc.system->node(), sc.count);
  std::optional<gpu::NodeSpec> host;
  if (sc.host) host = *sc.host->node();
  return gpu::make_gpu_cluster(*sc.system->gpu(), sc.count, host);
}

}  // namespace

ScenarioRow evaluate(const Scenario& sc) {
  ScenarioRow row;
  const model::TransformerConfig& m = *sc.model;
  const gpu::Strategy& s = sc.strategy;
  const model::Workload& w = sc.workload;
  const gpu::ClusterSpec cluster = cluster_of(sc);
  const model::ParamCounts pc = model::count_params(m);

  row.set("id", sc.id);
  row.set("sweep", sc.sweep);
  row.set("model", m.name);
  row.set("system", sc.system->name);
  row.set("system_count", sc.count);
  row.set("host", sc.host ? sc.host->name : std::string());
  row.set("strategy", s.canonical());
  row.set("task", std::string(w.task == model::Task::train ? "train" : "infer"));
  row.set("framework", sc.framework->name);
  row.set("params", pc.total);
  row.set("devices", cluster.total_gpus());
  row.set("tp", s.tp);
  row.set("pp", s.pp);
  row.set("zero_stage", static_cast<std::int64_t>(s.zero_stage));
  if (w.task == model::Task::train) {
    row.set("micro_batch", s.micro_batch);
    row.set("seq_len", w.seq_len);
  } else {
    row.set("batch", w.batch);
    row.set("prompt_tokens", w.prompt_tokens);
    row.set("output_tokens", w.output_tokens);
  }

  const gpu::MemoryPlan plan = gpu::plan_memory(m, cluster, s, w, *sc.framework);
  row.set("dp", plan.dp);
  row.set("fits", static_cast<std::int64_t>(plan.fits() ? 1 : 0));
  row.set("fits_device", static_cast<std::int64_t>(plan.fits_device ? 1 : 0));
  row.set("fits_host", static_cast<std::int64_t>(plan.fits_host ? 1 : 0));
  row.set("device_memory_bytes", plan.device.total());
  row.set("device_capacity_bytes", plan.device_capacity);
  row.set("host_memory_bytes", plan.host.total());
  row.set("host_capacity_bytes", plan.host_capacity);
  row.set("model_states_bytes", plan.device.model_states());
  row.set("mem_params_bytes", plan.device.params);
  row.set("mem_grads_bytes", plan.device.grads);
  row.set("mem_optimizer_bytes", plan.device.optimizer);
  row.set("mem_activations_bytes", plan.device.activations);
  row.set("mem_buffers_bytes", plan.device.buffers);
  row.set("mem_framework_bytes", plan.device.framework);
  row.set("host_params_bytes", plan.host.params);
  row.set("host_grads_bytes", plan.host.grads);
  row.set("host_optimizer_bytes", plan.host.optimizer);
  row.set("host_buffers_bytes", plan.host.buffers);
  row.set("host_processes_bytes", plan.host.processes);
  row.set("host_init_peak_bytes", plan.host.init_peak);
  row.set("critical_stage", plan.critical_stage);

  const std::int64_t seq = w.task == model::Task::train ? w.seq_len : (m.train_seq_len > 0 ? m.train_seq_len : m.max_positions);
  const double per_token = model::train_flops_per_token(m, seq, model::FlopConvention::chinchilla);
  row.set("train_flops_per_token", per_token);
  const double tokens = w.tokens > 0 ? w.tokens : m.train_tokens;
  if (tokens > 0) {
    row.set("train_tokens", tokens);
    // Tokens of the published run are counted as steps x batch x sequence when those are known,
    // the model card's "Tokens" column being rounded to three figures.
    double exact = tokens;
    if (w.tokens <= 0 && m.train_steps > 0 && m.train_global_batch > 0 && m.train_seq_len > 0)
      exact = static_cast<double>(m.train_steps) * static_cast<double>(m.train_global_batch) *
              static_cast<double>(m.train_seq_len);
    const std::int64_t flop_seq = w.tokens > 0 ? seq : (m.train_seq_len > 0 ? m.train_seq_len : seq);
    row.set("train_flops", exact * model::train_flops_per_token(m, flop_seq, model::FlopConvention::chinchilla));
    row.set("train_flops_6n", exact * model::train_flops_per_token(m, flop_seq, model::FlopConvention::six_n));
  }
  return row;
}

double relative_error(double published, double predicted) {
  if (published == 0.0) return std::numeric_limits<double>::quiet_NaN();
  return (predicted - published) / published;
}

bool reference_passes(const Reference& ref, double predicted) {
  if (std::isnan(predicted)) return false;
  const double pub = ref.published;
  const double slack = pub == 0.0 ? ref.tolerance : std::fabs(pub) * ref.tolerance;
  switch (ref.compare) {
    case Compare::within: return std::fabs(predicted - pub) <= slack;
    case Compare::at_least: return predicted >= pub - slack;
    case Compare::at_most: return predicted <= pub + slack;
  }
  return false;
}

io::Table reference_table(const Study& study, std::int64_t first, const std::vector<ScenarioRow>& rows) {
  io::Table t;
  auto& sid = t.add("scenario_id", io::ColumnType::str, "", "scenario the published value is compared with");
  auto& sidx = t.add("scenario_index", io::ColumnType::i64, "1", "row of the scenario in /scenarios");
  auto& metric = t.add("metric", io::ColumnType::str, "", "/scenarios column compared");
  auto& units = t.add("units", io::ColumnType::str, "", "units of published and predicted");
  auto& pub = t.add("published", io::ColumnType::f64, "see units", "published value");
  auto& pred = t.add("predicted", io::ColumnType::f64, "see units", "value computed by the model");
  auto& rel = t.add("relative_error", io::ColumnType::f64, "1", "(predicted - published) / published; NaN when published is 0");
  auto& cmp = t.add("compare", io::ColumnType::str, "", "within, at_least or at_most the published value");
  auto& tol = t.add("tolerance", io::ColumnType::f64, "1", "relative tolerance (absolute when published is 0)");
  auto& pass = t.add("pass", io::ColumnType::i64, "1", "1 when the prediction meets the reference");
  auto& src = t.add("source", io::ColumnType::str, "", "where the published value comes from");
  auto& note = t.add("note", io::ColumnType::str, "", "what the comparison assumes");
  const std::int64_t last = first + static_cast<std::int64_t>(rows.size());
  for (const auto& ref : study.references) {
    if (ref.scenario_index < first || ref.scenario_index >= last) continue;
    const ScenarioRow& row = rows[static_cast<std::size_t>(ref.scenario_index - first)];
    const double p = row.number(ref.metric);
    sid.str.push_back(ref.scenario_id);
    sidx.i64.push_back(ref.scenario_index);
    metric.str.push_back(ref.metric);
    units.str.push_back(find_column(ref.metric)->units);
    pub.f64.push_back(ref.published);
    pred.f64.push_back(p);
    rel.f64.push_back(relative_error(ref.published, p));
    cmp.str.push_back(to_string(ref.compare));
    tol.f64.push_back(ref.tolerance);
    pass.i64.push_back(reference_passes(ref, p) ? 1 : 0);
    src.str.push_back(ref.source);
    note.str.push_back(ref.note);
  }
  return t;
}

}  // namespace wb::study
