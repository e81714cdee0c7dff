#pragma once
// The /scenarios table: one row per scenario, every column a study can produce, with its unit
// and meaning. Every study writes every column (NaN, -1 or "" where a column does not apply), so
// the table is the same for every file this version writes; later versions add columns, never
// remove them. Writers set values through these declarations (Row::set), readers find columns
// through them (schema::get); a reference's metric names one of them (find()).
#include <cstdint>
#include <string>
#include <vector>

#include "study/schema/column.hpp"

namespace wb::study::schema::scenarios {

inline constexpr ColumnSpec id{"id", io::ColumnType::str, Unit::label,
    "scenario id: <model>@<system>x<count>/<strategy>"};
inline constexpr ColumnSpec sweep{"sweep", io::ColumnType::str, Unit::label,
    "name of the sweep block in the study that produced the scenario"};
inline constexpr ColumnSpec model{"model", io::ColumnType::str, Unit::label,
    "model name (inputs/models file stem)"};
inline constexpr ColumnSpec system{"system", io::ColumnType::str, Unit::label,
    "system name (inputs/systems file stem)"};
inline constexpr ColumnSpec system_count{"system_count", io::ColumnType::i64, Unit::one,
    "number of systems (GPUs or nodes) in the scenario"};
inline constexpr ColumnSpec host{"host", io::ColumnType::str, Unit::label,
    "node type hosting bare GPUs, when named"};
inline constexpr ColumnSpec strategy{"strategy", io::ColumnType::str, Unit::label,
    "canonical strategy string"};
inline constexpr ColumnSpec task{"task", io::ColumnType::str, Unit::label,
    "train or infer"};
inline constexpr ColumnSpec framework{"framework", io::ColumnType::str, Unit::label,
    "memory accounting framework (inputs/frameworks stem)"};
inline constexpr ColumnSpec params{"params", io::ColumnType::i64, Unit::one,
    "exact parameter count of the model"};
inline constexpr ColumnSpec devices{"devices", io::ColumnType::i64, Unit::one,
    "GPUs in the scenario"};
inline constexpr ColumnSpec dp{"dp", io::ColumnType::i64, Unit::one,
    "data-parallel degree"};
inline constexpr ColumnSpec tp{"tp", io::ColumnType::i64, Unit::one,
    "tensor-parallel degree"};
inline constexpr ColumnSpec pp{"pp", io::ColumnType::i64, Unit::one,
    "pipeline-parallel degree"};
inline constexpr ColumnSpec zero_stage{"zero_stage", io::ColumnType::i64, Unit::one,
    "ZeRO stage 0-3"};
inline constexpr ColumnSpec micro_batch{"micro_batch", io::ColumnType::i64, Unit::one,
    "micro-batch size per GPU (training)"};
inline constexpr ColumnSpec seq_len{"seq_len", io::ColumnType::i64, Unit::tokens,
    "training sequence length"};
inline constexpr ColumnSpec batch{"batch", io::ColumnType::i64, Unit::one,
    "inference batch: sequences decoding together on one model instance"};
inline constexpr ColumnSpec prompt_tokens{"prompt_tokens", io::ColumnType::i64, Unit::tokens,
    "inference prompt length"};
inline constexpr ColumnSpec output_tokens{"output_tokens", io::ColumnType::i64, Unit::tokens,
    "inference tokens generated"};
inline constexpr ColumnSpec fits{"fits", io::ColumnType::i64, Unit::one,
    "1 when device and host memory suffice, else 0"};
inline constexpr ColumnSpec fits_device{"fits_device", io::ColumnType::i64, Unit::one,
    "1 when the most loaded GPU's memory suffices"};
inline constexpr ColumnSpec fits_host{"fits_host", io::ColumnType::i64, Unit::one,
    "1 when host memory suffices (1 when no host is named)"};
inline constexpr ColumnSpec fits_reason{"fits_reason", io::ColumnType::str, Unit::one,
    "why fits = 0: the memory that overflows (used of capacity), or why no layout uses all the GPUs; empty when it fits"};
inline constexpr ColumnSpec device_memory_bytes{"device_memory_bytes", io::ColumnType::f64, Unit::bytes,
    "peak memory of the most loaded GPU"};
inline constexpr ColumnSpec device_capacity_bytes{"device_capacity_bytes", io::ColumnType::f64, Unit::bytes,
    "memory of one GPU"};
inline constexpr ColumnSpec host_memory_bytes{"host_memory_bytes", io::ColumnType::f64, Unit::bytes,
    "peak host memory per node (max of steady state and start-up)"};
inline constexpr ColumnSpec host_capacity_bytes{"host_capacity_bytes", io::ColumnType::f64, Unit::bytes,
    "host memory per node (NaN when no host is named)"};
inline constexpr ColumnSpec model_states_bytes{"model_states_bytes", io::ColumnType::f64, Unit::bytes,
    "device parameters + gradients + optimizer states"};
inline constexpr ColumnSpec mem_params_bytes{"mem_params_bytes", io::ColumnType::f64, Unit::bytes,
    "device: weights"};
inline constexpr ColumnSpec mem_grads_bytes{"mem_grads_bytes", io::ColumnType::f64, Unit::bytes,
    "device: gradients"};
inline constexpr ColumnSpec mem_optimizer_bytes{"mem_optimizer_bytes", io::ColumnType::f64, Unit::bytes,
    "device: fp32 master weights, Adam moments, fp32 gradients"};
inline constexpr ColumnSpec mem_activations_bytes{"mem_activations_bytes", io::ColumnType::f64, Unit::bytes,
    "device: saved activations (training) or KV cache (inference)"};
inline constexpr ColumnSpec mem_buffers_bytes{"mem_buffers_bytes", io::ColumnType::f64, Unit::bytes,
    "device: communication buckets, working buffers, logits"};
inline constexpr ColumnSpec mem_framework_bytes{"mem_framework_bytes", io::ColumnType::f64, Unit::bytes,
    "device: CUDA context and workspaces"};
inline constexpr ColumnSpec host_params_bytes{"host_params_bytes", io::ColumnType::f64, Unit::bytes,
    "host per node: offloaded weights"};
inline constexpr ColumnSpec host_grads_bytes{"host_grads_bytes", io::ColumnType::f64, Unit::bytes,
    "host per node: offloaded fp32 gradients"};
inline constexpr ColumnSpec host_optimizer_bytes{"host_optimizer_bytes", io::ColumnType::f64, Unit::bytes,
    "host per node: offloaded optimizer states"};
inline constexpr ColumnSpec host_buffers_bytes{"host_buffers_bytes", io::ColumnType::f64, Unit::bytes,
    "host per node: pinned staging buffers"};
inline constexpr ColumnSpec host_processes_bytes{"host_processes_bytes", io::ColumnType::f64, Unit::bytes,
    "host per node: one process per GPU"};
inline constexpr ColumnSpec host_init_peak_bytes{"host_init_peak_bytes", io::ColumnType::f64, Unit::bytes,
    "host per node: start-up materialisation of weights"};
inline constexpr ColumnSpec critical_stage{"critical_stage", io::ColumnType::i64, Unit::one,
    "pipeline stage with the largest device footprint"};
inline constexpr ColumnSpec train_flops_per_token{"train_flops_per_token", io::ColumnType::f64, Unit::flop,
    "training FLOPs per token (Chinchilla App. F counting)"};
inline constexpr ColumnSpec train_tokens{"train_tokens", io::ColumnType::f64, Unit::tokens,
    "tokens to train on: the workload's, else the published run's (steps x batch x sequence where the model card gives them)"};
inline constexpr ColumnSpec train_flops{"train_flops", io::ColumnType::f64, Unit::flop,
    "training FLOPs for train_tokens (Chinchilla App. F counting)"};
inline constexpr ColumnSpec train_flops_6n{"train_flops_6n", io::ColumnType::f64, Unit::flop,
    "training FLOPs for train_tokens, 6N per token (Kaplan et al.)"};
// Time (kinds training and inference): GPU clusters, docs/gpu-time-model.md; wafer-scale systems,
// docs/wafer-model.md.
inline constexpr ColumnSpec global_batch{"global_batch", io::ColumnType::i64, Unit::one,
    "sequences per optimizer step"};
inline constexpr ColumnSpec grad_accum{"grad_accum", io::ColumnType::i64, Unit::one,
    "micro-batches per optimizer step and data-parallel rank"};
inline constexpr ColumnSpec step_time_s{"step_time_s", io::ColumnType::f64, Unit::seconds,
    "time of one optimizer step (GPU: simulated, stragglers included; wafer: failure-free)"};
inline constexpr ColumnSpec tokens_per_s{"tokens_per_s", io::ColumnType::f64, Unit::tokens_per_s,
    "tokens per second of the whole cluster: training tokens, or generated tokens of every sequence and replica (inference)"};
inline constexpr ColumnSpec flops_per_device{"flops_per_device", io::ColumnType::f64, Unit::flop_per_s,
    "matrix-product FLOPs executed per second per device (GPU or wafer system), full recomputation counted as executed (Narayanan et al. SC'21 eq. 3)"};
inline constexpr ColumnSpec mfu{"mfu", io::ColumnType::f64, Unit::one,
    "model FLOPs utilisation (PaLM App. B): matrix-product FLOPs without recomputation per second / dense FP16 peak, counted alike for GPUs and wafers; the dense model's FLOPs, so above 1 when weight sparsity skips work"};
inline constexpr ColumnSpec hfu{"hfu", io::ColumnType::f64, Unit::one,
    "hardware FLOPs utilisation (Korthikanti et al. MLSys'23 Sec. 6): as mfu, with the products recomputation runs again counted (the attention core twice under selective, the whole forward under full recomputation)"};
inline constexpr ColumnSpec time_to_train_s{"time_to_train_s", io::ColumnType::f64, Unit::seconds,
    "expected wall time to train on train_tokens, with checkpoints, failures and restarts"};
inline constexpr ColumnSpec goodput{"goodput", io::ColumnType::f64, Unit::one,
    "failure-free training time / expected wall time"};
inline constexpr ColumnSpec idle_fraction{"idle_fraction", io::ColumnType::f64, Unit::one,
    "1 - goodput: time spent on checkpoints, lost work and restarts"};
inline constexpr ColumnSpec device_seconds{"device_seconds", io::ColumnType::f64, Unit::seconds,
    "time_to_train_s x devices (GPUs or wafer systems): GPU-seconds, or system-seconds of a wafer (/ 3600 for GPU-hours)"};
inline constexpr ColumnSpec step_compute_s{"step_compute_s", io::ColumnType::f64, Unit::seconds,
    "step part: computation (wafer: every layer's compute; the slowest stage when layer-pipelined)"};
inline constexpr ColumnSpec step_exposed_comm_s{"step_exposed_comm_s", io::ColumnType::f64, Unit::seconds,
    "step part: communication not hidden behind computation (wafer: weight/gradient streaming, SwarmX)"};
inline constexpr ColumnSpec step_offload_transfer_s{"step_offload_transfer_s", io::ColumnType::f64, Unit::seconds,
    "step critical path: device<->host copies"};
inline constexpr ColumnSpec step_cpu_optimizer_s{"step_cpu_optimizer_s", io::ColumnType::f64, Unit::seconds,
    "step part: optimizer on the host CPU (wafer: the MemoryX update) not hidden"};
inline constexpr ColumnSpec step_pipeline_bubble_s{"step_pipeline_bubble_s", io::ColumnType::f64, Unit::seconds,
    "step part: waiting for other pipeline stages (wafer: layer-pipelined fill and drain)"};
inline constexpr ColumnSpec step_straggler_wait_s{"step_straggler_wait_s", io::ColumnType::f64, Unit::seconds,
    "step time added by per-device slowdowns (the step waits for the slowest)"};
inline constexpr ColumnSpec step_forward_s{"step_forward_s", io::ColumnType::f64, Unit::seconds,
    "step critical path in the forward phase (a framework's forward timer)"};
inline constexpr ColumnSpec step_backward_s{"step_backward_s", io::ColumnType::f64, Unit::seconds,
    "step critical path in the backward phase, gradient reduction included"};
inline constexpr ColumnSpec step_optimizer_s{"step_optimizer_s", io::ColumnType::f64, Unit::seconds,
    "step critical path in the optimizer phase"};
inline constexpr ColumnSpec generate_time_s{"generate_time_s", io::ColumnType::f64, Unit::seconds,
    "inference: load + prefill + decode"};
inline constexpr ColumnSpec load_time_s{"load_time_s", io::ColumnType::f64, Unit::seconds,
    "inference: checkpoint read from storage + host-to-GPU copy"};
inline constexpr ColumnSpec prefill_time_s{"prefill_time_s", io::ColumnType::f64, Unit::seconds,
    "inference: forward pass over the prompt"};
inline constexpr ColumnSpec decode_time_s{"decode_time_s", io::ColumnType::f64, Unit::seconds,
    "inference: token-by-token generation"};
inline constexpr ColumnSpec sim_events{"sim_events", io::ColumnType::i64, Unit::one,
    "events the simulator processed for this scenario (all ranks)"};
inline constexpr ColumnSpec sim_wall_s{"sim_wall_s", io::ColumnType::f64, Unit::seconds,
    "wall time the simulator took for this scenario (varies run to run)", true};
// Wafer-scale systems (and sparsity, on both).
inline constexpr ColumnSpec placement{"placement", io::ColumnType::str, Unit::label,
    "wafer: weight-streaming or layer-pipelined (chosen when the strategy says auto)"};
inline constexpr ColumnSpec bound{"bound", io::ColumnType::str, Unit::label,
    "wafer: compute, streaming or io, whichever holds the largest share of the step"};
inline constexpr ColumnSpec sparsity{"sparsity", io::ColumnType::f64, Unit::one,
    "fraction of the decoder layers' weights that are zero: wafer and GPU sparse<P> (unstructured), GPU sparse2:4 (0.5)"};
inline constexpr ColumnSpec systems{"systems", io::ColumnType::i64, Unit::one,
    "wafer: systems trained on together (data parallel through SwarmX)"};
inline constexpr ColumnSpec compute_source{"compute_source", io::ColumnType::str, Unit::label,
    "wafer: where layer cycles come from: analytic, fabric or fabric+analytic"};
inline constexpr ColumnSpec scaling_efficiency{"scaling_efficiency", io::ColumnType::f64, Unit::one,
    "wafer: step time on one system / (systems x step time), same global batch"};
inline constexpr ColumnSpec system_seconds{"system_seconds", io::ColumnType::f64, Unit::seconds,
    "wafer: systems x time_to_train_s (/ 3600 for system-hours)"};
// Serving (kind inference): continuous batching in steady state, docs/gpu-time-model.md and
// docs/wafer-model.md, "Inference".
inline constexpr ColumnSpec ttft_s{"ttft_s", io::ColumnType::f64, Unit::seconds,
    "inference: time to first token of one new request (prefill of its prompt), model already loaded"};
inline constexpr ColumnSpec tokens_per_s_per_user{"tokens_per_s_per_user", io::ColumnType::f64, Unit::tokens_per_s,
    "inference: tokens each sequence receives per second while batch sequences decode together (1 / decode_step_s)"};
inline constexpr ColumnSpec decode_step_s{"decode_step_s", io::ColumnType::f64, Unit::seconds,
    "inference: one decode step, a token for every sequence of the batch, KV cache at the mean context prompt + output/2"};
inline constexpr ColumnSpec kv_cache_bytes{"kv_cache_bytes", io::ColumnType::f64, Unit::bytes,
    "inference: KV cache of the batch at prompt + output tokens, one model instance (all its GPUs or systems)"};
inline constexpr ColumnSpec decode_weights_s{"decode_weights_s", io::ColumnType::f64, Unit::seconds,
    "decode step part: reading the weights (GPU: HBM time when memory bound; wafer: the weight-resident products, or the MemoryX stream)"};
inline constexpr ColumnSpec decode_kv_s{"decode_kv_s", io::ColumnType::f64, Unit::seconds,
    "decode step part: reading the KV cache (GPU: HBM time when memory bound; wafer: attention over the KV cache in SRAM)"};
inline constexpr ColumnSpec decode_compute_s{"decode_compute_s", io::ColumnType::f64, Unit::seconds,
    "decode step part: arithmetic not hidden by memory (GPU: FLOPs when compute bound, and inter-kernel gaps; wafer: softmax)"};
inline constexpr ColumnSpec decode_comm_s{"decode_comm_s", io::ColumnType::f64, Unit::seconds,
    "decode step part: communication (GPU: tensor-parallel all-reduces, pipeline hops; wafer: region-to-region and system-to-system hops)"};
inline constexpr ColumnSpec max_batch{"max_batch", io::ColumnType::i64, Unit::one,
    "inference: the largest batch whose KV cache at prompt + output tokens fits beside the weights (GPU memory plan; wafer SRAM budget)"};

// The table, columns in the order above.
const TableSpec& table();
// A column by name (a reference's metric); null when there is none.
const ColumnSpec* find(const std::string& name);

// One scenario's values, in the table's columns. Unset numbers are NaN, unset integers -1, unset
// strings "". The values of each type are kept in column order (checkpoints store them so).
class Row {
 public:
  Row();
  void set(const ColumnSpec& column, double value);
  void set(const ColumnSpec& column, std::int64_t value);
  void set(const ColumnSpec& column, const std::string& value);
  // A numeric column's value as a double (integers converted).
  double number(const ColumnSpec& column) const;
  const std::string& text(const ColumnSpec& column) const;

  std::vector<double> f64;
  std::vector<std::int64_t> i64;
  std::vector<std::string> str;

 private:
  std::size_t slot(const ColumnSpec& column, io::ColumnType type) const;
};

// The rows as a table with every column.
io::Table make_table(const std::vector<Row>& rows);

}  // namespace wb::study::schema::scenarios
