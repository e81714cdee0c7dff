#include "study/run/wafer_evaluator.hpp"

#include <optional>

#include "model/training_run.hpp"

#include "study/schema/wafer_layers.hpp"
#include "wafer/fabric_cycle_source.hpp"
#include "wafer/wafer_inference.hpp"
#include "wafer/wafer_training.hpp"

namespace wb::study::run {

namespace {

namespace col = schema::scenarios;
using plan::SpecPart;

// Sequences per optimizer step: the workload's, else the published run's.
std::int64_t global_batch_of(const plan::ScenarioSpec& sc) {
  return sc.workload.global_batch > 0 ? sc.workload.global_batch : sc.model->train_global_batch;
}

bool has_wafer_scenarios(const plan::Study& study) {
  for (const auto& sc : study.scenarios)
    if (sc.system->kind == plan::SystemKind::wafer) return true;
  return false;
}

}  // namespace

void WaferEvaluator::validate(const plan::Study& study, plan::ScenarioSpec& sc) const {
  const wafer::WaferSpec& spec = *sc.system->wafer();
  const wafer::WaferStrategy& strategy = *sc.wafer_strategy();
  const std::string& system = sc.system->name;
  const model::TransformerConfig& m = *sc.model;
  const bool infer = sc.workload.task == model::Task::infer;
  if (infer != (study.kind == plan::StudyKind::inference))
    sc.fail(SpecPart::workload, infer ? "task: infer is for studies of kind inference"
                                      : "a study of kind inference needs workload.task: infer");
  if (m.encoder_layers > 0)
    sc.fail(SpecPart::layout, sc.id + ": the wafer model covers decoder-only models; " + m.name + " has an encoder");
  if (sc.count > spec.max_systems)
    sc.fail(SpecPart::count, system + " clusters have at most " + std::to_string(spec.max_systems) +
                                 " systems (max_systems in inputs/systems/" + system + ".yaml)");
  if (strategy.placement == wafer::Placement::weight_streaming && !spec.memoryx)
    sc.fail(SpecPart::layout, sc.id + ": " + system + " has no MemoryX to stream weights from; use layer-pipelined");
  if (infer) {
    if (strategy.micro_batch > 0 || strategy.sparse_percent > 0)
      sc.fail(SpecPart::layout, sc.id + ": mb<N> and sparse<P> are for training; serving takes the placement only");
    if (sc.count > m.layers)
      sc.fail(SpecPart::count, sc.id + ": more systems than the " + std::to_string(m.layers) + " layers to place on them");
    if (sc.count > 1 && !spec.swarmx)
      sc.fail(SpecPart::count, system + " has no SwarmX block to join several systems");
    return;
  }
  const std::int64_t batch = global_batch_of(sc);
  if (batch <= 0)
    sc.fail(SpecPart::workload, "give global_batch (sequences per step): " + m.name + " has no published batch size");
  const std::int64_t per_system = (batch + sc.count - 1) / sc.count;
  if (strategy.micro_batch > per_system)
    sc.fail(SpecPart::layout, sc.id + ": mb" + std::to_string(strategy.micro_batch) + " is more than the " +
                                  std::to_string(per_system) + " sequences each system gets per step");
  if (study.kind == plan::StudyKind::training && model::tokens_to_train(m, sc.workload) <= 0)
    sc.fail(SpecPart::workload, "give tokens (to train on): " + m.name + " has no published token count");
}

namespace {

// Serving (wafer/wafer_inference.hpp): weights resident when they fit (auto, layer-pipelined),
// else streamed from MemoryX when the strategy allows it.
ScenarioResult evaluate_inference(const plan::ScenarioSpec& sc) {
  ScenarioResult result;
  col::Row& row = result.row;
  const wafer::WaferSpec& spec = *sc.system->wafer();
  const model::Workload& w = sc.workload;
  wafer::InferenceRun run;
  run.model = sc.model;
  run.spec = &spec;
  run.systems = sc.count;
  run.batch = w.batch;
  run.prompt_tokens = w.prompt_tokens;
  run.output_tokens = w.output_tokens;
  run.strategy = *sc.wafer_strategy();
  if (run.strategy.placement == wafer::Placement::automatic) run.strategy.placement = wafer::Placement::layer_pipelined;
  wafer::WaferInference t = wafer::plan_inference(run);
  if (!t.fits && sc.wafer_strategy()->placement == wafer::Placement::automatic && spec.memoryx) {
    run.strategy.placement = wafer::Placement::weight_streaming;
    t = wafer::plan_inference(run);
  }
  // The largest batch that fits, by doubling then bisection on the same placement.
  wafer::InferenceRun probe = run;
  std::int64_t lo = 0, hi = 1;
  auto fits = [&](std::int64_t b) {
    probe.batch = b;
    return wafer::plan_inference(probe).fits;
  };
  while (hi <= (std::int64_t{1} << 20) && fits(hi)) lo = hi, hi *= 2;
  while (hi - lo > 1) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    (fits(mid) ? lo : hi) = mid;
  }

  set_setting(sc, row);
  row.set(col::strategy, sc.wafer_strategy()->canonical());
  row.set(col::task, std::string("infer"));
  row.set(col::devices, sc.count);
  row.set(col::systems, sc.count);
  row.set(col::batch, w.batch);
  row.set(col::prompt_tokens, w.prompt_tokens);
  row.set(col::output_tokens, w.output_tokens);
  row.set(col::placement, std::string(wafer::to_string(t.placement)));
  row.set(col::compute_source, std::string("analytic"));
  const double pes = static_cast<double>(spec.program_pes());
  row.set(col::fits, static_cast<std::int64_t>(t.fits ? 1 : 0));
  row.set(col::fits_device, static_cast<std::int64_t>(t.fits ? 1 : 0));
  row.set(col::device_memory_bytes, t.sram.total() * pes);
  row.set(col::device_capacity_bytes, t.sram.budget * pes);
  row.set(col::mem_params_bytes, t.sram.weights * pes);
  row.set(col::mem_activations_bytes, t.sram.kv_cache * pes);
  row.set(col::mem_buffers_bytes, t.sram.buffers * pes);
  row.set(col::kv_cache_bytes, t.kv_cache_bytes);
  row.set(col::max_batch, lo);
  if (!t.fits) {
    result.notes.push_back(sc.id + ": " + t.why);
    return result;
  }
  row.set(col::ttft_s, t.ttft_s);
  row.set(col::decode_step_s, t.decode_step_s);
  row.set(col::tokens_per_s_per_user, t.tokens_per_s_per_user);
  row.set(col::tokens_per_s, t.tokens_per_s);
  row.set(col::decode_weights_s, t.weights_s);
  row.set(col::decode_kv_s, t.kv_s);
  row.set(col::decode_compute_s, t.compute_s);
  row.set(col::decode_comm_s, t.comm_s);
  return result;
}

}  // namespace

ScenarioResult WaferEvaluator::evaluate(const plan::Study& study, const plan::ScenarioSpec& sc, MPI_Comm) const {
  if (sc.workload.task == model::Task::infer) return evaluate_inference(sc);
  ScenarioResult result;
  col::Row& row = result.row;
  const model::TransformerConfig& m = *sc.model;
  const wafer::WaferSpec& spec = *sc.system->wafer();
  const wafer::WaferStrategy& strategy = *sc.wafer_strategy();
  const model::Workload& w = sc.workload;

  wafer::WaferRun run;
  run.model = &m;
  run.spec = &spec;
  run.systems = sc.count;
  run.seq = w.seq_len;
  run.global_batch = global_batch_of(sc);
  run.tokens = model::tokens_to_train(m, w);
  run.strategy = strategy;
  // The fabric simulator's cycle cache (study key fabric_cache) answers first, for the shapes it
  // holds; the analytic mapping answers the rest (compute_source says which did).
  std::optional<wafer::FabricCycleSource> fabric;
  std::vector<const wafer::CycleSource*> preferred;
  if (study.fabric_cache) preferred.push_back(&fabric.emplace(*study.fabric_cache, spec));
  const wafer::CycleModel cycles(spec, preferred);
  const wafer::WaferTraining t = wafer::plan_training(run, cycles);
  const wafer::WaferStep& st = t.step;

  set_setting(sc, row);
  row.set(col::strategy, strategy.canonical());
  row.set(col::task, std::string("train"));
  row.set(col::devices, sc.count);
  row.set(col::dp, sc.count);
  row.set(col::micro_batch, st.micro_batch);
  row.set(col::seq_len, w.seq_len);
  row.set(col::global_batch, run.global_batch);
  row.set(col::grad_accum, st.passes);

  // Memory: SRAM of one wafer (device) and MemoryX (host side of weight streaming).
  const double program_sram = static_cast<double>(spec.program_pes()) * spec.sram_per_pe_bytes;
  const double reserved = static_cast<double>(spec.program_pes()) * spec.mapping.sram_reserved_per_pe_bytes;
  const bool fits_sram = st.sram.total() <= st.sram_capacity;
  row.set(col::fits, static_cast<std::int64_t>(st.fits ? 1 : 0));
  row.set(col::fits_device, static_cast<std::int64_t>(fits_sram ? 1 : 0));
  row.set(col::fits_host, static_cast<std::int64_t>(st.memoryx_bytes <= st.memoryx_capacity || st.memoryx_bytes == 0 ? 1 : 0));
  if (!st.fits) {
    const std::string why = out_of_memory_reason("wafer SRAM", st.sram.total(), st.sram_capacity, "MemoryX",
                                                 st.memoryx_bytes, st.memoryx_bytes == 0 ? 0.0 : st.memoryx_capacity);
    row.set(col::fits_reason, why.empty() ? std::string("no placement fits the wafer") : why);
  }
  row.set(col::device_memory_bytes, st.sram.total() + reserved);
  row.set(col::device_capacity_bytes, program_sram);
  if (st.placement == wafer::Placement::weight_streaming) {
    row.set(col::host_memory_bytes, st.memoryx_bytes);
    row.set(col::host_capacity_bytes, st.memoryx_capacity);
  }
  row.set(col::model_states_bytes, st.sram.params + st.sram.grads + st.sram.optimizer);
  row.set(col::mem_params_bytes, st.sram.params);
  row.set(col::mem_grads_bytes, st.sram.grads);
  row.set(col::mem_optimizer_bytes, st.sram.optimizer);
  row.set(col::mem_activations_bytes, st.sram.activations);
  row.set(col::mem_buffers_bytes, st.sram.buffers);
  row.set(col::mem_framework_bytes, reserved);

  // Training FLOPs as the GPU rows count them (Chinchilla App. F), for the same tokens.
  const double per_token = model::train_flops_per_token(m, w.seq_len, model::FlopConvention::chinchilla);
  row.set(col::train_flops_per_token, per_token);
  if (run.tokens > 0) {
    row.set(col::train_tokens, run.tokens);
    row.set(col::train_flops, run.tokens * per_token);
    row.set(col::train_flops_6n, run.tokens * model::train_flops_per_token(m, w.seq_len, model::FlopConvention::six_n));
  }

  row.set(col::placement, std::string(wafer::to_string(st.placement)));
  row.set(col::sparsity, 1.0 - strategy.weight_density());
  row.set(col::systems, sc.count);
  row.set(col::compute_source, st.compute_source);
  if (st.fits) {
    row.set(col::bound, st.bound);
    row.set(col::step_time_s, st.step_s);
    row.set(col::step_compute_s, st.compute_s);
    row.set(col::step_exposed_comm_s, st.exposed_comm_s);
    row.set(col::step_cpu_optimizer_s, st.optimizer_s);
    row.set(col::step_pipeline_bubble_s, st.bubble_s);
    row.set(col::tokens_per_s, t.tokens_per_s);
    // The FLOPs the GPU rows count (model/training_run.hpp): executed ones, recomputation
    // included, per system; model ones over the systems' dense peak.
    const double sequences_per_s = t.tokens_per_s / static_cast<double>(w.seq_len);
    const double systems = static_cast<double>(sc.count);
    const bool recompute = st.recompute == model::Recompute::full;
    row.set(col::flops_per_device, model::matmul_flops_per_sequence(m, w.seq_len, recompute) * sequences_per_s / systems);
    row.set(col::mfu, model::mfu(model::matmul_flops_per_sequence(m, w.seq_len, false) * sequences_per_s, systems,
                                 spec.peak_fp16_dense_flops));
    row.set(col::hfu, model::mfu(model::hardware_flops_per_sequence(m, w.seq_len, st.recompute) * sequences_per_s, systems,
                                 spec.peak_fp16_dense_flops));
    row.set(col::scaling_efficiency, t.scaling_efficiency);
    if (run.tokens > 0) {  // a memory study may name no token count
      row.set(col::time_to_train_s, t.run.wall_s);
      row.set(col::goodput, t.run.goodput);
      row.set(col::idle_fraction, t.run.idle_fraction);
      row.set(col::system_seconds, t.system_seconds);
      row.set(col::device_seconds, t.system_seconds);
    }
  }

  namespace wl = schema::wafer_layers;
  io::Table layers = wl::table().empty();
  for (const auto& r : st.rows) {
    schema::put(layers, wl::scenario_index, sc.index);
    schema::put(layers, wl::scenario_id, sc.id);
    schema::put(layers, wl::layer, r.layer);
    schema::put(layers, wl::name, r.name);
    schema::put(layers, wl::kind, r.kind);
    schema::put(layers, wl::cycles, r.cycles);
    schema::put(layers, wl::time_s, r.time_s);
    schema::put(layers, wl::bound, r.bound);
    schema::put(layers, wl::source, r.source);
    schema::put(layers, wl::kernels, r.kernels);
    schema::put(layers, wl::compute_s, r.compute_s);
    schema::put(layers, wl::stream_s, r.stream_s);
  }
  result.tables.emplace(wl::table().group(), std::move(layers));
  return result;
}

std::vector<const schema::TableSpec*> WaferEvaluator::tables(const plan::Study& study) const {
  if (has_wafer_scenarios(study) && study.kind != plan::StudyKind::inference) return {&schema::wafer_layers::table()};
  return {};
}

}  // namespace wb::study::run
