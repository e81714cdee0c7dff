#include "study/wafer_scenario.hpp"

#include <stdexcept>

namespace wb::study {

std::int64_t wafer_global_batch(const Scenario& sc) {
  return sc.workload.global_batch > 0 ? sc.workload.global_batch : sc.model->train_global_batch;
}

double wafer_train_tokens(const Scenario& sc) {
  const model::TransformerConfig& m = *sc.model;
  if (sc.workload.tokens > 0) return sc.workload.tokens;
  // The published run, counted as steps x batch x sequence when those are known (the model
  // card's token column is rounded to three figures), as the GPU side does.
  if (m.train_steps > 0 && m.train_global_batch > 0 && m.train_seq_len > 0)
    return static_cast<double>(m.train_steps) * static_cast<double>(m.train_global_batch) *
           static_cast<double>(m.train_seq_len);
  return m.train_tokens;
}

Scenario make_wafer_scenario(StudyKind kind, const std::string& sweep, const model::TransformerConfig& m,
                             const System& system, const io::YamlValue& count_value, const io::YamlValue& strategy_value,
                             const model::Workload& workload, const io::YamlValue& workload_value,
                             const gpu::FrameworkSpec& framework) {
  const wafer::WaferSpec& spec = *system.wafer();
  Scenario sc;
  sc.sweep = sweep;
  sc.model = &m;
  sc.system = &system;
  sc.count = count_value.as_positive_int();
  sc.workload = workload;
  sc.framework = &framework;
  try {
    sc.wafer_strategy = wafer::parse_wafer_strategy(strategy_value.as_string());
  } catch (const std::invalid_argument& e) {
    strategy_value.fail("'" + system.name + "' is a wafer system: " + e.what());
  }
  sc.id = scenario_id(m.name, system.name, sc.count, sc.wafer_strategy.canonical());
  if (workload.task != model::Task::train)
    workload_value.fail("wafer systems are evaluated for training; " + system.name + " cannot take task: infer");
  if (m.encoder_layers > 0)
    strategy_value.fail(sc.id + ": the wafer model covers decoder-only models; " + m.name + " has an encoder");
  if (sc.count > spec.max_systems)
    count_value.fail(system.name + " clusters have at most " + std::to_string(spec.max_systems) +
                     " systems (max_systems in inputs/systems/" + system.name + ".yaml)");
  if (sc.wafer_strategy.placement == wafer::Placement::weight_streaming && !spec.memoryx)
    strategy_value.fail(sc.id + ": " + system.name + " has no MemoryX to stream weights from; use layer-pipelined");
  const std::int64_t batch = wafer_global_batch(sc);
  if (batch <= 0)
    workload_value.fail("give global_batch (sequences per step): " + m.name + " has no published batch size");
  const std::int64_t per_system = (batch + sc.count - 1) / sc.count;
  if (sc.wafer_strategy.micro_batch > per_system)
    strategy_value.fail(sc.id + ": mb" + std::to_string(sc.wafer_strategy.micro_batch) + " is more than the " +
                        std::to_string(per_system) + " sequences each system gets per step");
  if (kind == StudyKind::training && wafer_train_tokens(sc) <= 0)
    workload_value.fail("give tokens (to train on): " + m.name + " has no published token count");
  return sc;
}

bool has_wafer_scenarios(const Study& study) {
  for (const auto& sc : study.scenarios)
    if (sc.system->kind == SystemKind::wafer) return true;
  return false;
}

io::Table wafer_layers_table() {
  io::Table t;
  t.add("scenario_index", io::ColumnType::i64, "1", "row of the scenario in /scenarios");
  t.add("scenario_id", io::ColumnType::str, "", "the scenario");
  t.add("layer", io::ColumnType::i64, "1", "0 embedding, 1..L decoder layers, L+1 the head");
  t.add("name", io::ColumnType::str, "", "embedding, layer<i> (0-based), lm_head");
  t.add("kind", io::ColumnType::str, "", "fwd, recompute, bwd (data gradients) or wgrad (weight gradients)");
  t.add("cycles", io::ColumnType::f64, "cycles", "wafer compute cycles over the step (all passes)");
  t.add("time_s", io::ColumnType::f64, "s", "time over the step: compute_s plus its share of the streaming its layer group cannot hide");
  t.add("bound", io::ColumnType::str, "", "compute or streaming: which bounds the row's layer group (a layer's forward, or its backward)");
  t.add("source", io::ColumnType::str, "", "where the cycles come from: analytic, fabric or fabric+analytic");
  t.add("kernels", io::ColumnType::str, "", "the fastest kernel that fits SRAM per product, '+'-joined (weight-streaming, chain, meshgemv, cannon, meshgemm, summa)");
  t.add("compute_s", io::ColumnType::f64, "s", "wafer compute time over the step");
  t.add("stream_s", io::ColumnType::f64, "s", "its own MemoryX/SwarmX transfer (weights in, or gradients out)");
  return t;
}

}  // namespace wb::study
