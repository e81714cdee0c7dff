#include "study/evaluate.hpp"

#include <cmath>
#include <stdexcept>

#include "gpu/memory_plan.hpp"
#include "study/gpu_time_eval.hpp"
#include "study/study_time.hpp"

namespace wb::study {

namespace {

gpu::ClusterSpec cluster_of(const Scenario& sc) {
  if (sc.system->kind == SystemKind::node) return gpu::make_node_cluster(*sc.system->node(), sc.count);
  std::optional<gpu::NodeSpec> host;
  if (sc.host) host = *sc.host->node();
  return gpu::make_gpu_cluster(*sc.system->gpu(), sc.count, host);
}

}  // namespace

ScenarioResult evaluate_gpu(const Study& study, const Scenario& sc, MPI_Comm sim_comm) {
  ScenarioResult result;
  ScenarioRow& row = result.row;
  if (sc.no_layout) {  // a `search: best` sweep found no layout for this many GPUs (study_time.hpp)
    fill_no_layout_row(sc, row);
    return result;
  }
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
  if (s.sparse_percent > 0 || s.sparse_2to4) row.set("sparsity", s.weight_sparsity());  // gpu/strategy.hpp
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
  if (study.kind == StudyKind::training || study.kind == StudyKind::inference)
    evaluate_gpu_time(study, sc, cluster, result, sim_comm);
  return result;
}

ScenarioResult evaluate(const Study& study, const Scenario& scenario, MPI_Comm sim_comm) {
  switch (scenario.system->kind) {
    case SystemKind::gpu:
    case SystemKind::node: return evaluate_gpu(study, scenario, sim_comm);
    case SystemKind::wafer: return evaluate_wafer(study, scenario);
  }
  throw std::logic_error("scenario " + scenario.id + ": no evaluator for " + to_string(scenario.system->kind) +
                         " systems");
}

}  // namespace wb::study
