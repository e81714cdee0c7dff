// evaluate_wafer: a scenario on N wafer-scale systems (suite/wafer/wafer_training.hpp) as a
// /scenarios row and its /wafer_layers rows.
#include <cmath>

#include "study/evaluate.hpp"
#include "study/wafer_scenario.hpp"
#include "wafer/fabric_cycle_source.hpp"
#include "wafer/wafer_training.hpp"

namespace wb::study {

ScenarioResult evaluate_wafer(const Study& study, const Scenario& sc) {
  ScenarioResult result;
  ScenarioRow& row = result.row;
  const model::TransformerConfig& m = *sc.model;
  const wafer::WaferSpec& spec = *sc.system->wafer();
  const model::Workload& w = sc.workload;
  const model::ParamCounts pc = model::count_params(m);

  wafer::WaferRun run;
  run.model = &m;
  run.spec = &spec;
  run.systems = sc.count;
  run.seq = w.seq_len;
  run.global_batch = wafer_global_batch(sc);
  run.tokens = wafer_train_tokens(sc);
  run.strategy = sc.wafer_strategy;
  // The fabric simulator's cycle cache (study key fabric_cache) answers first, for the shapes it
  // holds; the analytic mapping answers the rest (compute_source says which did).
  std::optional<wafer::FabricCycleSource> fabric;
  std::vector<const wafer::CycleSource*> preferred;
  if (study.fabric_cache) preferred.push_back(&fabric.emplace(*study.fabric_cache, spec));
  const wafer::CycleModel cycles(spec, preferred);
  const wafer::WaferTraining t = wafer::plan_training(run, cycles);
  const wafer::WaferStep& st = t.step;

  row.set("id", sc.id);
  row.set("sweep", sc.sweep);
  row.set("model", m.name);
  row.set("system", sc.system->name);
  row.set("system_count", sc.count);
  row.set("strategy", sc.wafer_strategy.canonical());
  row.set("task", std::string("train"));
  row.set("params", pc.total);
  row.set("devices", sc.count);
  row.set("dp", sc.count);
  row.set("micro_batch", st.micro_batch);
  row.set("seq_len", w.seq_len);
  row.set("global_batch", run.global_batch);
  row.set("grad_accum", st.passes);

  // Memory: SRAM of one wafer (device) and MemoryX (host side of weight streaming).
  const double program_sram = static_cast<double>(spec.program_pes()) * spec.sram_per_pe_bytes;
  const double reserved = static_cast<double>(spec.program_pes()) * spec.mapping.sram_reserved_per_pe_bytes;
  const bool fits_sram = st.sram.total() <= st.sram_capacity;
  row.set("fits", static_cast<std::int64_t>(st.fits ? 1 : 0));
  row.set("fits_device", static_cast<std::int64_t>(fits_sram ? 1 : 0));
  row.set("fits_host", static_cast<std::int64_t>(st.memoryx_bytes <= st.memoryx_capacity || st.memoryx_bytes == 0 ? 1 : 0));
  row.set("device_memory_bytes", st.sram.total() + reserved);
  row.set("device_capacity_bytes", program_sram);
  if (st.placement == wafer::Placement::weight_streaming) {
    row.set("host_memory_bytes", st.memoryx_bytes);
    row.set("host_capacity_bytes", st.memoryx_capacity);
  }
  row.set("model_states_bytes", st.sram.params + st.sram.grads + st.sram.optimizer);
  row.set("mem_params_bytes", st.sram.params);
  row.set("mem_grads_bytes", st.sram.grads);
  row.set("mem_optimizer_bytes", st.sram.optimizer);
  row.set("mem_activations_bytes", st.sram.activations);
  row.set("mem_buffers_bytes", st.sram.buffers);
  row.set("mem_framework_bytes", reserved);

  // FLOPs as counted on the GPU side (Chinchilla App. F), for the same tokens.
  const double per_token = model::train_flops_per_token(m, w.seq_len, model::FlopConvention::chinchilla);
  row.set("train_flops_per_token", per_token);
  if (run.tokens > 0) {
    row.set("train_tokens", run.tokens);
    row.set("train_flops", run.tokens * per_token);
    row.set("train_flops_6n", run.tokens * model::train_flops_per_token(m, w.seq_len, model::FlopConvention::six_n));
  }

  row.set("placement", std::string(wafer::to_string(st.placement)));
  row.set("sparsity", 1.0 - sc.wafer_strategy.weight_density());
  row.set("systems", sc.count);
  row.set("compute_source", st.compute_source);
  if (st.fits) {
    row.set("bound", st.bound);
    row.set("step_time_s", st.step_s);
    row.set("step_compute_s", st.compute_s);
    row.set("step_exposed_comm_s", st.exposed_comm_s);
    row.set("step_cpu_optimizer_s", st.optimizer_s);
    row.set("step_pipeline_bubble_s", st.bubble_s);
    row.set("tokens_per_s", t.tokens_per_s);
    row.set("tflops_per_device", per_token * t.tokens_per_s / static_cast<double>(sc.count) / 1e12);
    row.set("mfu", per_token * t.tokens_per_s / (static_cast<double>(sc.count) * spec.peak_fp16_dense_flops));
    row.set("scaling_efficiency", t.scaling_efficiency);
    if (run.tokens > 0) {  // a memory study may name no token count
      row.set("time_to_train_s", t.run.wall_s);
      row.set("goodput", t.run.goodput);
      row.set("idle_fraction", t.run.idle_fraction);
      row.set("system_hours", t.system_hours);
      row.set("device_hours", t.system_hours);
    }
  }

  io::Table layers = wafer_layers_table();
  for (const auto& r : st.rows) {
    layers.find("scenario_index")->i64.push_back(sc.index);
    layers.find("scenario_id")->str.push_back(sc.id);
    layers.find("layer")->i64.push_back(r.layer);
    layers.find("name")->str.push_back(r.name);
    layers.find("kind")->str.push_back(r.kind);
    layers.find("cycles")->f64.push_back(r.cycles);
    layers.find("time_s")->f64.push_back(r.time_s);
    layers.find("bound")->str.push_back(r.bound);
    layers.find("source")->str.push_back(r.source);
    layers.find("kernels")->str.push_back(r.kernels);
    layers.find("compute_s")->f64.push_back(r.compute_s);
    layers.find("stream_s")->f64.push_back(r.stream_s);
  }
  result.tables.emplace("wafer_layers", std::move(layers));
  return result;
}

}  // namespace wb::study
