#include "study/run/gpu_search.hpp"

#include <stdexcept>

#include "gpu/search.hpp"
#include "model/training_run.hpp"

namespace wb::study::run {

namespace {

std::string thousands(std::int64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

SearchOutcome search_layout(const plan::Study& study, const plan::ScenarioSpec& spec) {
  const model::TransformerConfig& m = *spec.model;
  const model::Workload& w = spec.workload;
  const gpu::ClusterSpec cluster = plan::cluster_of(spec);
  const std::string what = "search (sweep " + spec.sweep + "): " + m.name + " on " + std::to_string(spec.count) + " x " +
                           spec.system->name + " (" + thousands(cluster.total_gpus()) + " GPUs)";
  gpu::BestStrategy b;
  try {
    b = gpu::search_best(m, cluster, w, *spec.framework, model::tokens_to_train(m, w), study.time);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(spec.id + ": search: " + e.what());
  }
  SearchOutcome out;
  out.note = what + ": " + thousands(b.stats.enumerated) + " layouts, " + thousands(b.stats.fitting) +
             " fit in memory, " + thousands(b.stats.timed) + " timed (the others bounded out); ";
  if (b.found) {
    out.strategy = b.best.strategy;
    out.note += "fastest " + b.best.strategy.canonical() + " (ranked on the straggler-free step)";
  } else if (b.any_layout) {
    out.strategy = b.smallest;
    out.note += "none fits; the row shows the smallest footprint, " + b.smallest.canonical();
  } else {
    out.no_layout = "no layout: tensor parallelism within a node dividing the heads, pipeline stages dividing the " +
               std::to_string(m.layers) + " layers" +
               (w.global_batch > 0 ? ", and data parallel x micro-batch dividing the global batch of " +
                                         std::to_string(w.global_batch) + " sequences"
                                   : std::string()) +
               " cannot use all " + thousands(cluster.total_gpus()) + " GPUs";
    out.note = what + ": " + out.no_layout;
  }
  return out;
}

}  // namespace wb::study::run
