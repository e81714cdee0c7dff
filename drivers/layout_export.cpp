#include "layout_export.hpp"

#include <cmath>
#include <limits>
#include <optional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "gpu/strategy.hpp"
#include "io/error.hpp"
#include "io/hdf5_file.hpp"
#include "study/schema/scenarios.hpp"

namespace wb::driver {

namespace {

namespace col = study::schema::scenarios;
using study::schema::get;

// One /scenarios row, as the export reads it.
struct Row {
  std::string id;
  gpu::Strategy strategy;
  std::int64_t dp = 0, tp = 0, pp = 0, zero_stage = 0, micro_batch = 0, grad_accum = 0, global_batch = 0, seq_len = 0;
};

bool is_gpu_training(const io::Table& sc, std::size_t i) {
  const io::Column* placement = study::schema::find(sc, col::placement);
  return get(sc, col::task).str[i] == "train" && (!placement || placement->str[i].empty());
}

Row row_at(const io::Table& sc, std::size_t i, const std::string& path) {
  Row r;
  r.id = get(sc, col::id).str[i];
  try {
    r.strategy = gpu::parse_strategy(get(sc, col::strategy).str[i]);
  } catch (const std::invalid_argument& e) {
    throw io::IoError(path + ": scenario " + r.id + ": strategy '" + get(sc, col::strategy).str[i] + "': " + e.what());
  }
  const auto count = [&](const study::schema::ColumnSpec& c) { return get(sc, c).i64[i]; };
  r.dp = count(col::dp);
  r.tp = count(col::tp);
  r.pp = count(col::pp);
  r.zero_stage = count(col::zero_stage);
  r.micro_batch = count(col::micro_batch);
  r.grad_accum = count(col::grad_accum);
  r.global_batch = count(col::global_batch);
  r.seq_len = count(col::seq_len);
  return r;
}

// Why Megatron-LM cannot run a layout ("" when it can).
std::string megatron_refuses(const Row& r) {
  if (r.zero_stage < 2 && !r.strategy.offload_optimizer && !r.strategy.offload_params) return "";
  return r.id + " uses ZeRO-" + std::to_string(r.zero_stage) +
         (r.strategy.offload_optimizer || r.strategy.offload_params ? " with offload" : "") +
         ", which Megatron-LM does not run; export it with --export deepspeed";
}

// The scenario named, else the fitting GPU training scenario the framework can run that trains
// fastest (time to train, else step time).
Row choose(const std::string& path, const std::string& framework, const std::string& wanted) {
  const io::Table sc = io::read_table(path, col::table().path());
  const auto& ids = get(sc, col::id).str;
  const study::schema::ColumnSpec& metric =
      study::schema::find(sc, col::time_to_train_s) ? col::time_to_train_s : col::step_time_s;
  std::optional<Row> best;
  double best_s = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (!wanted.empty() && ids[i] != wanted) continue;
    if (!wanted.empty() && !is_gpu_training(sc, i)) throw io::InputError("--scenario " + wanted + ": not a GPU training scenario");
    if (!wanted.empty() && get(sc, col::fits).i64[i] != 1)
      throw io::InputError("--scenario " + wanted + ": does not fit; there is no layout to export");
    if (!is_gpu_training(sc, i) || get(sc, col::fits).i64[i] != 1) continue;
    Row r = row_at(sc, i, path);
    if (framework == "megatron" && !megatron_refuses(r).empty()) {
      if (!wanted.empty()) throw io::InputError("--export megatron: " + megatron_refuses(r));
      continue;
    }
    const double t = study::schema::find(sc, metric) ? get(sc, metric).f64[i] : std::nan("");
    if (!best || (std::isfinite(t) && t < best_s)) {
      best = r;
      best_s = std::isfinite(t) ? t : best_s;
    }
  }
  if (!best && !wanted.empty()) throw io::InputError("--scenario " + wanted + ": no such scenario in " + path);
  if (!best) throw io::InputError(path + ": no fitting GPU training scenario that " + framework + " can run; nothing to export");
  if (best->global_batch <= 0 || best->grad_accum <= 0)
    throw io::InputError(path + ": scenario " + best->id + " has no global batch (a memory study); export a training study's");
  return *best;
}

// DeepSpeed's configuration JSON (deepspeed.ai/docs/config-json): batch, ZeRO stage, offload and
// 16-bit mixed precision (the memory model's 2 + 2 + 12 bytes per parameter).
LayoutExport deepspeed(const Row& r) {
  using Json = nlohmann::ordered_json;
  LayoutExport out;
  Json zero = {{"stage", r.zero_stage}};
  if (r.strategy.offload_optimizer) zero["offload_optimizer"] = {{"device", "cpu"}, {"pin_memory", true}};
  if (r.strategy.offload_params) zero["offload_param"] = {{"device", "cpu"}, {"pin_memory", true}};
  Json config = {{"train_batch_size", r.global_batch},
                 {"train_micro_batch_size_per_gpu", r.micro_batch},
                 {"gradient_accumulation_steps", r.grad_accum},
                 {"fp16", {{"enabled", true}}},
                 {"zero_optimization", zero}};
  out.text = config.dump(2) + "\n";
  if (r.strategy.recompute != model::Recompute::none)
    out.notes.push_back(std::string("recompute-") + model::to_string(r.strategy.recompute) +
                        ": enable activation checkpointing in the model code (Hugging Face: "
                        "model.gradient_checkpointing_enable(); Megatron-DeepSpeed: --checkpoint-activations)");
  if (r.tp > 1 || r.pp > 1)
    out.notes.push_back("tp " + std::to_string(r.tp) + " x pp " + std::to_string(r.pp) +
                        ": model parallelism comes from the training code (Megatron-DeepSpeed "
                        "--tensor-model-parallel-size / --pipeline-model-parallel-size), not from ds_config");
  if (r.strategy.delayed_update)
    out.notes.push_back("delayed-update (ZeRO-Offload's one-step delayed parameter update) has no ds_config key");
  out.notes.push_back("train_batch_size = " + std::to_string(r.micro_batch) + " x " + std::to_string(r.grad_accum) +
                      " x data-parallel " + std::to_string(r.dp) + ", on " + std::to_string(r.dp * r.tp * r.pp) + " GPUs");
  return out;
}

// Megatron-LM's arguments (megatron/training/arguments.py) for the parallel layout and batch.
LayoutExport megatron(const Row& r) {
  LayoutExport out;
  std::ostringstream os;
  os << "--tensor-model-parallel-size " << r.tp << " --pipeline-model-parallel-size " << r.pp;
  if (r.strategy.virtual_stages > 1) os << " --num-virtual-stages-per-pipeline-rank " << r.strategy.virtual_stages;
  os << " --micro-batch-size " << r.micro_batch << " --global-batch-size " << r.global_batch << " --seq-length "
     << r.seq_len;
  if (r.strategy.recompute == model::Recompute::full)
    os << " --recompute-granularity full --recompute-method uniform --recompute-num-layers 1";
  else if (r.strategy.recompute == model::Recompute::selective)
    os << " --recompute-granularity selective";
  // ZeRO-1 is Megatron's distributed optimizer: optimizer states sharded over data parallelism.
  if (r.zero_stage == 1) os << " --use-distributed-optimizer";
  os << " --fp16";
  out.text = os.str() + "\n";
  out.notes.push_back("on " + std::to_string(r.dp * r.tp * r.pp) + " GPUs: data-parallel " + std::to_string(r.dp) +
                      ", " + std::to_string(r.grad_accum) + " micro-batches per step; add the model's own "
                      "--num-layers, --hidden-size, --num-attention-heads");
  return out;
}

}  // namespace

LayoutExport export_layout(const std::string& result_path, const std::string& framework, const std::string& scenario) {
  const Row row = choose(result_path, framework, scenario);
  LayoutExport out = framework == "megatron" ? megatron(row) : deepspeed(row);
  out.scenario = row.id;
  return out;
}

}  // namespace wb::driver
