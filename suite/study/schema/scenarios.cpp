#include "study/schema/scenarios.hpp"

#include <limits>
#include <stdexcept>

namespace wb::study::schema::scenarios {

const TableSpec& table() {
  static const TableSpec t("scenarios", {
      &id, &sweep, &model, &system, &system_count, &host, &strategy, &task, &framework, &params, &devices, &dp, &tp,
      &pp, &zero_stage, &micro_batch, &seq_len, &batch, &prompt_tokens, &output_tokens, &fits, &fits_device,
      &fits_host, &fits_reason, &device_memory_bytes, &device_capacity_bytes, &host_memory_bytes, &host_capacity_bytes,
      &model_states_bytes, &mem_params_bytes, &mem_grads_bytes, &mem_optimizer_bytes, &mem_activations_bytes,
      &mem_buffers_bytes, &mem_framework_bytes, &host_params_bytes, &host_grads_bytes, &host_optimizer_bytes,
      &host_buffers_bytes, &host_processes_bytes, &host_init_peak_bytes, &critical_stage, &train_flops_per_token,
      &train_tokens, &train_flops, &train_flops_6n, &global_batch, &grad_accum, &step_time_s, &tokens_per_s,
      &flops_per_device, &mfu, &hfu, &time_to_train_s, &goodput, &idle_fraction, &device_seconds, &step_compute_s,
      &step_exposed_comm_s, &step_offload_transfer_s, &step_cpu_optimizer_s, &step_pipeline_bubble_s,
      &step_straggler_wait_s, &step_forward_s, &step_backward_s, &step_optimizer_s, &generate_time_s, &load_time_s,
      &prefill_time_s, &decode_time_s, &sim_events, &sim_wall_s, &placement, &bound, &sparsity, &systems,
      &compute_source, &scaling_efficiency, &system_seconds, &ttft_s, &tokens_per_s_per_user, &decode_step_s,
      &kv_cache_bytes, &decode_weights_s, &decode_kv_s, &decode_compute_s, &decode_comm_s, &max_batch
  });
  return t;
}

const ColumnSpec* find(const std::string& name) { return table().find(name); }

Row::Row() {
  for (const ColumnSpec* c : table().columns()) {
    switch (c->type) {
      case io::ColumnType::f64: f64.push_back(std::numeric_limits<double>::quiet_NaN()); break;
      case io::ColumnType::i64: i64.push_back(io::kMissingInteger); break;
      case io::ColumnType::str: str.emplace_back(); break;
    }
  }
}

std::size_t Row::slot(const ColumnSpec& column, io::ColumnType type) const {
  std::size_t i = 0;
  for (const ColumnSpec* c : table().columns()) {
    if (c->type != type) continue;
    if (c == &column) return i;
    ++i;
  }
  throw std::logic_error(std::string("'") + column.name + "' is not a /scenarios column of that type");
}

void Row::set(const ColumnSpec& column, double value) { f64[slot(column, io::ColumnType::f64)] = value; }
void Row::set(const ColumnSpec& column, std::int64_t value) { i64[slot(column, io::ColumnType::i64)] = value; }
void Row::set(const ColumnSpec& column, const std::string& value) { str[slot(column, io::ColumnType::str)] = value; }

double Row::number(const ColumnSpec& column) const {
  if (column.type == io::ColumnType::f64) return f64[slot(column, io::ColumnType::f64)];
  if (column.type == io::ColumnType::i64) return static_cast<double>(i64[slot(column, io::ColumnType::i64)]);
  throw std::logic_error(std::string("/scenarios column '") + column.name + "' is text");
}

const std::string& Row::text(const ColumnSpec& column) const { return str[slot(column, io::ColumnType::str)]; }

io::Table make_table(const std::vector<Row>& rows) {
  io::Table t = table().empty();
  std::size_t fi = 0, ii = 0, si = 0;
  for (std::size_t c = 0; c < t.columns.size(); ++c) {
    io::Column& col = t.columns[c];
    for (const Row& r : rows) {
      switch (col.type) {
        case io::ColumnType::f64: col.f64.push_back(r.f64[fi]); break;
        case io::ColumnType::i64: col.i64.push_back(r.i64[ii]); break;
        case io::ColumnType::str: col.str.push_back(r.str[si]); break;
      }
    }
    if (col.type == io::ColumnType::f64) ++fi;
    else if (col.type == io::ColumnType::i64) ++ii;
    else ++si;
  }
  return t;
}

}  // namespace wb::study::schema::scenarios
