#include "study/run/gpu_evaluator.hpp"

#include <stdexcept>

#include "gpu/layer_times.hpp"
#include "gpu/memory_plan.hpp"
#include "gpu/serving_time.hpp"
#include "gpu/step_program.hpp"
#include "gpu/time_model.hpp"
#include "model/training_run.hpp"
#include "study/run/gpu_search.hpp"
#include "study/schema/layer_times.hpp"
#include "study/schema/timeline.hpp"

namespace wb::study::run {

namespace {

namespace col = schema::scenarios;
using plan::SpecPart;
using plan::StudyKind;

// What the layout fixes of the workload, checked the way the time model will use it: training
// builds the step setup (impossible batches, missing performance blocks) and takes its global
// batch; inference checks the host and storage figures. Throws std::invalid_argument.
void complete_for_time(const plan::Study& study, plan::ScenarioSpec& spec, const gpu::Strategy& s,
                       const gpu::ClusterSpec& cluster) {
  if (study.kind == StudyKind::training) {
    if (spec.workload.task != model::Task::train) throw std::invalid_argument("a training study needs workload.task: train");
    spec.workload.global_batch =
        gpu::make_step_setup(*spec.model, cluster, s, spec.workload, *spec.framework, 0.0, 1).global_batch;
  } else if (study.kind == StudyKind::inference) {
    if (spec.workload.task != model::Task::infer) throw std::invalid_argument("an inference study needs workload.task: infer");
    gpu::inference_time(*spec.model, cluster, s, spec.workload, *spec.framework, study.time);
  }
}

// The row of a `search: best` spec for which no layout exists: the setting, fits = 0, nothing else.
void fill_no_layout_row(const plan::ScenarioSpec& sc, const std::string& why, col::Row& row) {
  const gpu::ClusterSpec cluster = plan::cluster_of(sc);
  set_setting(sc, row);
  row.set(col::task, std::string("train"));
  row.set(col::framework, sc.framework->name);
  row.set(col::devices, cluster.total_gpus());
  row.set(col::seq_len, sc.workload.seq_len);
  if (sc.workload.global_batch > 0) row.set(col::global_batch, sc.workload.global_batch);
  row.set(col::fits, std::int64_t{0});
  row.set(col::fits_device, std::int64_t{0});
  row.set(col::fits_host, std::int64_t{0});
  row.set(col::fits_reason, why);
  row.set(col::device_capacity_bytes, cluster.gpu.memory_bytes);
  const double tokens = model::tokens_to_train(*sc.model, sc.workload);
  if (tokens > 0) row.set(col::train_tokens, tokens);
}

void fill_memory_row(const plan::ScenarioSpec& sc, const gpu::Strategy& s, const gpu::ClusterSpec& cluster,
                     col::Row& row) {
  const model::TransformerConfig& m = *sc.model;
  const model::Workload& w = sc.workload;
  set_setting(sc, row);
  row.set(col::strategy, s.canonical());
  row.set(col::task, std::string(w.task == model::Task::train ? "train" : "infer"));
  row.set(col::framework, sc.framework->name);
  row.set(col::devices, cluster.total_gpus());
  row.set(col::tp, s.tp);
  row.set(col::pp, s.pp);
  row.set(col::zero_stage, static_cast<std::int64_t>(s.zero_stage));
  if (s.sparse_percent > 0 || s.sparse_2to4) row.set(col::sparsity, s.weight_sparsity());  // gpu/strategy.hpp
  if (w.task == model::Task::train) {
    row.set(col::micro_batch, s.micro_batch);
    row.set(col::seq_len, w.seq_len);
  } else {
    row.set(col::batch, w.batch);
    row.set(col::prompt_tokens, w.prompt_tokens);
    row.set(col::output_tokens, w.output_tokens);
  }

  const gpu::MemoryPlan plan = gpu::plan_memory(m, cluster, s, w, *sc.framework);
  row.set(col::dp, plan.dp);
  row.set(col::fits, static_cast<std::int64_t>(plan.fits() ? 1 : 0));
  row.set(col::fits_device, static_cast<std::int64_t>(plan.fits_device ? 1 : 0));
  row.set(col::fits_host, static_cast<std::int64_t>(plan.fits_host ? 1 : 0));
  row.set(col::fits_reason, out_of_memory_reason("GPU memory", plan.device.total(), plan.device_capacity, "host memory",
                                                 plan.host.total(), plan.host_capacity));
  row.set(col::device_memory_bytes, plan.device.total());
  row.set(col::device_capacity_bytes, plan.device_capacity);
  row.set(col::host_memory_bytes, plan.host.total());
  row.set(col::host_capacity_bytes, plan.host_capacity);
  row.set(col::model_states_bytes, plan.device.model_states());
  row.set(col::mem_params_bytes, plan.device.params);
  row.set(col::mem_grads_bytes, plan.device.grads);
  row.set(col::mem_optimizer_bytes, plan.device.optimizer);
  row.set(col::mem_activations_bytes, plan.device.activations);
  row.set(col::mem_buffers_bytes, plan.device.buffers);
  row.set(col::mem_framework_bytes, plan.device.framework);
  row.set(col::host_params_bytes, plan.host.params);
  row.set(col::host_grads_bytes, plan.host.grads);
  row.set(col::host_optimizer_bytes, plan.host.optimizer);
  row.set(col::host_buffers_bytes, plan.host.buffers);
  row.set(col::host_processes_bytes, plan.host.processes);
  row.set(col::host_init_peak_bytes, plan.host.init_peak);
  row.set(col::critical_stage, plan.critical_stage);

  const std::int64_t seq = w.task == model::Task::train ? w.seq_len : (m.train_seq_len > 0 ? m.train_seq_len : m.max_positions);
  const double per_token = model::train_flops_per_token(m, seq, model::FlopConvention::chinchilla);
  row.set(col::train_flops_per_token, per_token);
  const double tokens = model::tokens_to_train(m, w);
  if (tokens > 0) {
    row.set(col::train_tokens, tokens);
    // The published run's FLOPs at its own sequence length.
    const std::int64_t flop_seq = w.tokens > 0 ? seq : (m.train_seq_len > 0 ? m.train_seq_len : seq);
    row.set(col::train_flops, tokens * model::train_flops_per_token(m, flop_seq, model::FlopConvention::chinchilla));
    row.set(col::train_flops_6n, tokens * model::train_flops_per_token(m, flop_seq, model::FlopConvention::six_n));
  }
}

void fill_inference_time(const plan::Study& study, const plan::ScenarioSpec& sc, const gpu::Strategy& s,
                         const gpu::ClusterSpec& cluster, col::Row& row) {
  const gpu::InferenceTime t = gpu::inference_time(*sc.model, cluster, s, sc.workload, *sc.framework, study.time);
  row.set(col::generate_time_s, t.generate_s);
  row.set(col::load_time_s, t.load_s);
  row.set(col::prefill_time_s, t.prefill_s);
  row.set(col::decode_time_s, t.decode_s);
  // Serving in steady state (gpu/serving_time.hpp), for weights resident on the GPUs (ZeRO-3
  // sharding and parameter offload, ZeRO-Inference, stream them instead): unset when the batch's
  // KV cache does not fit.
  if (s.zero_stage != 0 || s.offload_params) return;
  const gpu::ServingTime v = gpu::serving_time(*sc.model, cluster, s, sc.workload, *sc.framework);
  row.set(col::kv_cache_bytes, v.kv_cache_bytes);
  row.set(col::max_batch, v.max_batch);
  // A serving engine holds the weights and the KV cache, not Hugging Face's fp32 logits over the
  // prompt: whether the device memory suffices is its check.
  const bool fits = sc.workload.batch <= v.max_batch;
  row.set(col::fits_device, static_cast<std::int64_t>(fits ? 1 : 0));
  row.set(col::fits, static_cast<std::int64_t>(fits && row.number(col::fits_host) > 0 ? 1 : 0));
  if (!fits) return;
  row.set(col::ttft_s, v.ttft_s);
  row.set(col::decode_step_s, v.decode_step_s);
  row.set(col::tokens_per_s_per_user, v.tokens_per_s_per_user);
  row.set(col::tokens_per_s, v.tokens_per_s);
  row.set(col::decode_weights_s, v.weights_read_s);
  row.set(col::decode_kv_s, v.kv_read_s);
  row.set(col::decode_compute_s, v.compute_s + v.launch_s);
  row.set(col::decode_comm_s, v.comm_s);
}

void fill_training_time(const plan::Study& study, const plan::ScenarioSpec& sc, const gpu::Strategy& s,
                        const gpu::ClusterSpec& cluster, MPI_Comm comm, ScenarioResult& result) {
  col::Row& row = result.row;
  const gpu::TrainingTime t =
      gpu::training_time(*sc.model, cluster, s, sc.workload, *sc.framework, model::tokens_to_train(*sc.model, sc.workload),
                         study.time, study.time.distributed ? comm : MPI_COMM_SELF);
  row.set(col::global_batch, t.global_batch);
  row.set(col::grad_accum, t.grad_accum);
  row.set(col::step_time_s, t.step_time_s);
  row.set(col::tokens_per_s, t.tokens_per_s);
  row.set(col::flops_per_device, t.flops_per_device);
  row.set(col::mfu, t.mfu);
  row.set(col::hfu, t.hfu);
  row.set(col::time_to_train_s, t.time_to_train_s);
  row.set(col::goodput, t.goodput);
  row.set(col::idle_fraction, t.idle_fraction);
  row.set(col::device_seconds, t.device_seconds);
  row.set(col::step_compute_s, t.compute_s);
  row.set(col::step_exposed_comm_s, t.exposed_comm_s);
  row.set(col::step_offload_transfer_s, t.offload_s);
  row.set(col::step_cpu_optimizer_s, t.cpu_s);
  row.set(col::step_pipeline_bubble_s, t.bubble_s);
  row.set(col::step_straggler_wait_s, t.straggler_s);
  row.set(col::step_forward_s, t.forward_s);
  row.set(col::step_backward_s, t.backward_s);
  row.set(col::step_optimizer_s, t.optimizer_s);
  row.set(col::sim_events, t.events);
  row.set(col::sim_wall_s, t.wall_s);
  namespace lt = schema::layer_times;
  io::Table layers = lt::table().empty();
  const gpu::StepSetup st = gpu::make_step_setup(*sc.model, cluster, s, sc.workload, *sc.framework, 0.0, 1);
  for (const gpu::LayerTime& l : gpu::layer_times(st)) {
    schema::put(layers, lt::scenario_index, sc.index);
    schema::put(layers, lt::scenario_id, sc.id);
    schema::put(layers, lt::layer, l.layer);
    schema::put(layers, lt::name, l.name);
    schema::put(layers, lt::stage, l.stage);
    schema::put(layers, lt::forward_s, l.forward_s);
    schema::put(layers, lt::backward_s, l.backward_s);
    schema::put(layers, lt::tp_comm_s, l.tp_comm_s);
    schema::put(layers, lt::gather_s, l.gather_s);
    schema::put(layers, lt::contended_s, l.contended_s);
  }
  result.tables[lt::table().group()] = std::move(layers);
  if (!study.time.timeline) return;
  namespace tl = schema::timeline;
  io::Table table = tl::table().empty();
  for (const gpu::TimelineRow& r : t.timeline) {
    schema::put(table, tl::scenario_index, sc.index);
    schema::put(table, tl::scenario_id, sc.id);
    schema::put(table, tl::device, r.device);
    schema::put(table, tl::stream, std::string(gpu::timeline_stream(r.stream)));
    schema::put(table, tl::kind, std::string(gpu::to_string(r.kind)));
    schema::put(table, tl::start_s, sim::to_seconds(r.start));
    schema::put(table, tl::end_s, sim::to_seconds(r.end));
  }
  result.tables[tl::table().group()] = std::move(table);
}

// A spec with a strategy: memory, FLOPs, and the time of its study's kind.
ScenarioResult evaluate_layout(const plan::Study& study, const plan::ScenarioSpec& sc, const gpu::Strategy& s,
                               MPI_Comm comm) {
  ScenarioResult result;
  const gpu::ClusterSpec cluster = plan::cluster_of(sc);
  fill_memory_row(sc, s, cluster, result.row);
  if (study.kind == StudyKind::training) fill_training_time(study, sc, s, cluster, comm, result);
  else if (study.kind == StudyKind::inference) fill_inference_time(study, sc, s, cluster, result.row);
  return result;
}

}  // namespace

void GpuEvaluator::validate(const plan::Study& study, plan::ScenarioSpec& spec) const {
  if (const gpu::Strategy* s = spec.gpu_strategy()) {
    if (s->inference != (spec.workload.task == model::Task::infer))
      spec.fail(SpecPart::layout, s->inference ? "an infer-* strategy needs workload.task: infer"
                                               : "workload.task is infer; the strategy needs infer-fp32 or infer-fp16");
    // Layouts that cannot exist fail now, on every rank alike, rather than mid-run.
    try {
      const gpu::ClusterSpec cluster = plan::cluster_of(spec);
      complete_for_time(study, spec, *s, cluster);
      gpu::plan_memory(*spec.model, cluster, *s, spec.workload, *spec.framework);
    } catch (const std::invalid_argument& e) {
      spec.fail(SpecPart::layout, spec.id + ": " + e.what());
    }
    return;
  }
  // A search: whatever layout it picks, the time model must be able to set up a step of this
  // model on this cluster (performance blocks, a decoder-only model). The plain data-parallel
  // layout with no fixed batch checks exactly that.
  try {
    model::Workload w = spec.workload;
    w.global_batch = 0;
    gpu::make_step_setup(*spec.model, plan::cluster_of(spec), gpu::Strategy{}, w, *spec.framework, 0.0, 1);
  } catch (const std::invalid_argument& e) {
    spec.fail(SpecPart::layout, spec.id + ": " + e.what());
  }
}

ScenarioResult GpuEvaluator::evaluate(const plan::Study& study, const plan::ScenarioSpec& spec, MPI_Comm comm) const {
  if (const gpu::Strategy* s = spec.gpu_strategy()) return evaluate_layout(study, spec, *s, comm);
  const SearchOutcome found = search_layout(study, spec);
  ScenarioResult result;
  if (found.strategy) {
    plan::ScenarioSpec chosen = spec;
    chosen.layout = *found.strategy;
    try {
      complete_for_time(study, chosen, *found.strategy, plan::cluster_of(chosen));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(spec.id + " (" + found.strategy->canonical() + "): " + e.what());
    }
    result = evaluate_layout(study, chosen, *found.strategy, comm);
  } else {
    fill_no_layout_row(spec, found.no_layout, result.row);
  }
  result.notes.push_back(found.note);
  return result;
}

std::vector<const schema::TableSpec*> GpuEvaluator::tables(const plan::Study& study) const {
  if (study.kind != StudyKind::training) return {};
  bool gpu = false;
  for (const auto& sc : study.scenarios) gpu = gpu || sc.system->kind != plan::SystemKind::wafer;
  if (!gpu) return {};
  if (study.time.timeline) return {&schema::layer_times::table(), &schema::timeline::table()};
  return {&schema::layer_times::table()};
}

}  // namespace wb::study::run
