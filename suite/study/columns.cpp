#include "study/columns.hpp"

#include <limits>
#include <stdexcept>

namespace wb::study {

using io::ColumnType;
using io::Dim;

const std::vector<ColumnSpec>& scenario_columns() {
  static const std::vector<ColumnSpec> cols = {
      {"id", ColumnType::str, "", Dim::count, "scenario id: <model>@<system>x<count>/<strategy>"},
      {"sweep", ColumnType::str, "", Dim::count, "name of the sweep block in the study that produced the scenario"},
      {"model", ColumnType::str, "", Dim::count, "model name (inputs/models file stem)"},
      {"system", ColumnType::str, "", Dim::count, "system name (inputs/systems file stem)"},
      {"system_count", ColumnType::i64, "1", Dim::count, "number of systems (GPUs or nodes) in the scenario"},
      {"host", ColumnType::str, "", Dim::count, "node type hosting bare GPUs, when named"},
      {"strategy", ColumnType::str, "", Dim::count, "canonical strategy string"},
      {"task", ColumnType::str, "", Dim::count, "train or infer"},
      {"framework", ColumnType::str, "", Dim::count, "memory accounting framework (inputs/frameworks stem)"},
      {"params", ColumnType::i64, "1", Dim::count, "exact parameter count of the model"},
      {"devices", ColumnType::i64, "1", Dim::count, "GPUs in the scenario"},
      {"dp", ColumnType::i64, "1", Dim::count, "data-parallel degree"},
      {"tp", ColumnType::i64, "1", Dim::count, "tensor-parallel degree"},
      {"pp", ColumnType::i64, "1", Dim::count, "pipeline-parallel degree"},
      {"zero_stage", ColumnType::i64, "1", Dim::count, "ZeRO stage 0-3"},
      {"micro_batch", ColumnType::i64, "1", Dim::count, "micro-batch size per GPU (training)"},
      {"seq_len", ColumnType::i64, "tokens", Dim::count, "training sequence length"},
      {"batch", ColumnType::i64, "1", Dim::count, "inference batch (sequences)"},
      {"prompt_tokens", ColumnType::i64, "tokens", Dim::count, "inference prompt length"},
      {"output_tokens", ColumnType::i64, "tokens", Dim::count, "inference tokens generated"},
      {"fits", ColumnType::i64, "1", Dim::count, "1 when device and host memory suffice, else 0"},
      {"fits_device", ColumnType::i64, "1", Dim::count, "1 when the most loaded GPU's memory suffices"},
      {"fits_host", ColumnType::i64, "1", Dim::count, "1 when host memory suffices (1 when no host is named)"},
      {"device_memory_bytes", ColumnType::f64, "bytes", Dim::bytes, "peak memory of the most loaded GPU"},
      {"device_capacity_bytes", ColumnType::f64, "bytes", Dim::bytes, "memory of one GPU"},
      {"host_memory_bytes", ColumnType::f64, "bytes", Dim::bytes, "peak host memory per node (max of steady state and start-up)"},
      {"host_capacity_bytes", ColumnType::f64, "bytes", Dim::bytes, "host memory per node (NaN when no host is named)"},
      {"model_states_bytes", ColumnType::f64, "bytes", Dim::bytes, "device parameters + gradients + optimizer states"},
      {"mem_params_bytes", ColumnType::f64, "bytes", Dim::bytes, "device: weights"},
      {"mem_grads_bytes", ColumnType::f64, "bytes", Dim::bytes, "device: gradients"},
      {"mem_optimizer_bytes", ColumnType::f64, "bytes", Dim::bytes, "device: fp32 master weights, Adam moments, fp32 gradients"},
      {"mem_activations_bytes", ColumnType::f64, "bytes", Dim::bytes, "device: saved activations (training) or KV cache (inference)"},
      {"mem_buffers_bytes", ColumnType::f64, "bytes", Dim::bytes, "device: communication buckets, working buffers, logits"},
      {"mem_framework_bytes", ColumnType::f64, "bytes", Dim::bytes, "device: CUDA context and workspaces"},
      {"host_params_bytes", ColumnType::f64, "bytes", Dim::bytes, "host per node: offloaded weights"},
      {"host_grads_bytes", ColumnType::f64, "bytes", Dim::bytes, "host per node: offloaded fp32 gradients"},
      {"host_optimizer_bytes", ColumnType::f64, "bytes", Dim::bytes, "host per node: offloaded optimizer states"},
      {"host_buffers_bytes", ColumnType::f64, "bytes", Dim::bytes, "host per node: pinned staging buffers"},
      {"host_processes_bytes", ColumnType::f64, "bytes", Dim::bytes, "host per node: one process per GPU"},
      {"host_init_peak_bytes", ColumnType::f64, "bytes", Dim::bytes, "host per node: start-up materialisation of weights"},
      {"critical_stage", ColumnType::i64, "1", Dim::count, "pipeline stage with the largest device footprint"},
      {"train_flops_per_token", ColumnType::f64, "FLOP", Dim::flops, "training FLOPs per token (Chinchilla App. F counting)"},
      {"train_tokens", ColumnType::f64, "tokens", Dim::count, "tokens to train on (workload, else the published run)"},
      {"train_flops", ColumnType::f64, "FLOP", Dim::flops, "training FLOPs for train_tokens (Chinchilla App. F counting)"},
      {"train_flops_6n", ColumnType::f64, "FLOP", Dim::flops, "training FLOPs for train_tokens, 6N per token (Kaplan et al.)"},
      // Time (kinds training and inference): GPU clusters, docs/gpu-time-model.md (issue 3); wafer-scale
      // systems, docs/wafer-model.md (issue 4).
      {"global_batch", ColumnType::i64, "1", Dim::count, "sequences per optimizer step"},
      {"grad_accum", ColumnType::i64, "1", Dim::count, "micro-batches per optimizer step and data-parallel rank"},
      {"step_time_s", ColumnType::f64, "s", Dim::seconds, "time of one optimizer step (GPU: simulated, stragglers included; wafer: failure-free)"},
      {"tokens_per_s", ColumnType::f64, "tokens/s", Dim::count, "training tokens processed per second by the whole cluster"},
      {"tflops_per_device", ColumnType::f64, "TFLOP/s", Dim::count, "FLOPs executed per second per device: GPU counts recomputation as executed (Narayanan et al. SC'21 eq. 3); wafer counts train_flops_per_token x tokens_per_s / systems"},
      {"mfu", ColumnType::f64, "1", Dim::count, "model FLOPs utilisation: model FLOPs without recomputation per second / dense FP16 peak; the dense model's FLOPs, so above 1 when weight sparsity skips work"},
      {"time_to_train_s", ColumnType::f64, "s", Dim::seconds, "expected wall time to train on train_tokens, with checkpoints, failures and restarts"},
      {"goodput", ColumnType::f64, "1", Dim::count, "failure-free training time / expected wall time"},
      {"idle_fraction", ColumnType::f64, "1", Dim::count, "1 - goodput: time spent on checkpoints, lost work and restarts"},
      {"device_hours", ColumnType::f64, "h", Dim::count, "time_to_train_s x devices (GPUs or wafer systems), in hours"},
      {"step_compute_s", ColumnType::f64, "s", Dim::seconds, "step part: computation (wafer: every layer's compute; the slowest stage when layer-pipelined)"},
      {"step_exposed_comm_s", ColumnType::f64, "s", Dim::seconds, "step part: communication not hidden behind computation (wafer: weight/gradient streaming, SwarmX)"},
      {"step_offload_transfer_s", ColumnType::f64, "s", Dim::seconds, "step critical path: device<->host copies"},
      {"step_cpu_optimizer_s", ColumnType::f64, "s", Dim::seconds, "step part: optimizer on the host CPU (wafer: the MemoryX update) not hidden"},
      {"step_pipeline_bubble_s", ColumnType::f64, "s", Dim::seconds, "step part: waiting for other pipeline stages (wafer: layer-pipelined fill and drain)"},
      {"step_straggler_wait_s", ColumnType::f64, "s", Dim::seconds, "step time added by per-device slowdowns (the step waits for the slowest)"},
      {"step_forward_s", ColumnType::f64, "s", Dim::seconds, "step critical path in the forward phase (a framework's forward timer)"},
      {"step_backward_s", ColumnType::f64, "s", Dim::seconds, "step critical path in the backward phase, gradient reduction included"},
      {"step_optimizer_s", ColumnType::f64, "s", Dim::seconds, "step critical path in the optimizer phase"},
      {"generate_time_s", ColumnType::f64, "s", Dim::seconds, "inference: load + prefill + decode"},
      {"load_time_s", ColumnType::f64, "s", Dim::seconds, "inference: checkpoint read from storage + host-to-GPU copy"},
      {"prefill_time_s", ColumnType::f64, "s", Dim::seconds, "inference: forward pass over the prompt"},
      {"decode_time_s", ColumnType::f64, "s", Dim::seconds, "inference: token-by-token generation"},
      {"sim_events", ColumnType::i64, "1", Dim::count, "events the simulator processed for this scenario (all ranks)"},
      {"sim_wall_s", ColumnType::f64, "s", Dim::seconds, "wall time the simulator took for this scenario (varies run to run)"},
      // Wafer-scale systems only (issue 4).
      {"placement", ColumnType::str, "", Dim::count, "wafer: weight-streaming or layer-pipelined (chosen when the strategy says auto)"},
      {"bound", ColumnType::str, "", Dim::count, "wafer: compute, streaming or io, whichever holds the largest share of the step"},
      {"sparsity", ColumnType::f64, "1", Dim::count, "fraction of the decoder layers' weights that are zero: wafer and GPU sparse<P> (unstructured), GPU sparse2:4 (0.5)"},
      {"systems", ColumnType::i64, "1", Dim::count, "wafer: systems trained on together (data parallel through SwarmX)"},
      {"compute_source", ColumnType::str, "", Dim::count, "wafer: where layer cycles come from: analytic, fabric or fabric+analytic"},
      {"scaling_efficiency", ColumnType::f64, "1", Dim::count, "wafer: step time on one system / (systems x step time), same global batch"},
      {"system_hours", ColumnType::f64, "h", Dim::count, "wafer: systems x time_to_train_s in hours"},
  };
  return cols;
}

const ColumnSpec* find_column(const std::string& name) {
  for (const auto& c : scenario_columns())
    if (name == c.name) return &c;
  return nullptr;
}

ScenarioRow::ScenarioRow() {
  for (const auto& c : scenario_columns()) {
    switch (c.type) {
      case ColumnType::f64: f64.push_back(std::numeric_limits<double>::quiet_NaN()); break;
      case ColumnType::i64: i64.push_back(-1); break;
      case ColumnType::str: str.emplace_back(); break;
    }
  }
}

std::size_t ScenarioRow::index(const std::string& column, ColumnType type) const {
  std::size_t i = 0;
  for (const auto& c : scenario_columns()) {
    if (c.type == type) {
      if (column == c.name) return i;
      ++i;
    }
  }
  throw std::logic_error("no scenario column '" + column + "' of that type");
}

void ScenarioRow::set(const std::string& column, double value) { f64[index(column, ColumnType::f64)] = value; }
void ScenarioRow::set(const std::string& column, std::int64_t value) { i64[index(column, ColumnType::i64)] = value; }
void ScenarioRow::set(const std::string& column, const std::string& value) {
  str[index(column, ColumnType::str)] = value;
}

double ScenarioRow::number(const std::string& column) const {
  const ColumnSpec* c = find_column(column);
  if (!c) throw std::logic_error("no scenario column '" + column + "'");
  if (c->type == ColumnType::f64) return f64[index(column, ColumnType::f64)];
  if (c->type == ColumnType::i64) return static_cast<double>(i64[index(column, ColumnType::i64)]);
  throw std::logic_error("scenario column '" + column + "' is text");
}

std::string ScenarioRow::text(const std::string& column) const { return str[index(column, ColumnType::str)]; }

io::Table make_scenario_table(const std::vector<ScenarioRow>& rows) {
  io::Table t;
  std::size_t fi = 0, ii = 0, si = 0;
  for (const auto& spec : scenario_columns()) {
    io::Column& c = t.add(spec.name, spec.type, spec.units, spec.description);
    for (const auto& r : rows) {
      switch (spec.type) {
        case ColumnType::f64: c.f64.push_back(r.f64[fi]); break;
        case ColumnType::i64: c.i64.push_back(r.i64[ii]); break;
        case ColumnType::str: c.str.push_back(r.str[si]); break;
      }
    }
    if (spec.type == ColumnType::f64) ++fi;
    else if (spec.type == ColumnType::i64) ++ii;
    else ++si;
  }
  return t;
}

}  // namespace wb::study
