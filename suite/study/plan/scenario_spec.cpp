#include "study/plan/scenario_spec.hpp"

#include <optional>

namespace wb::study::plan {

void ScenarioSpec::fail(SpecPart part, const std::string& what) const {
  if (!source) throw io::InputError(id + ": " + what);
  switch (part) {
    case SpecPart::count: source->count.fail(what);
    case SpecPart::layout: source->layout.fail(what);
    case SpecPart::workload: source->workload.fail(what);
  }
  throw io::InputError(what);
}

std::string scenario_id(const std::string& model, const std::string& system, std::int64_t count,
                        const std::string& strategy) {
  return model + "@" + system + "x" + std::to_string(count) + "/" + strategy;
}

gpu::ClusterSpec cluster_of(const System& system, std::int64_t count, const System* host) {
  if (system.kind == SystemKind::node) return gpu::make_node_cluster(*system.node(), count);
  std::optional<gpu::NodeSpec> h;
  if (host) h = *host->node();
  return gpu::make_gpu_cluster(*system.gpu(), count, h);
}

gpu::ClusterSpec cluster_of(const ScenarioSpec& spec) { return cluster_of(*spec.system, spec.count, spec.host); }

}  // namespace wb::study::plan
