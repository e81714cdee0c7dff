#pragma once
// A scenario as planned: Model x System x Layout x Workload with its id, before anything is
// computed. The layout is what the system's kind runs: a GPU strategy (as written, or one a
// `search: all` sweep found to fit), a request for the strategy search (`search: best`, run when
// the scenario is evaluated), or a wafer strategy. The evaluator of the system's kind
// (run/evaluator.hpp) checks a spec at plan time and computes it when it is dealt.
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "gpu/framework.hpp"
#include "gpu/hardware.hpp"
#include "gpu/strategy.hpp"
#include "io/yaml_reader.hpp"
#include "model/transformer.hpp"
#include "model/workload.hpp"
#include "study/plan/catalog.hpp"
#include "wafer/wafer_strategy.hpp"

namespace wb::study::plan {

// `search: best` (or best-<tag>): one scenario "<model>@<system>x<count>/<tag>" whose layout is
// the fastest the strategy search (gpu/search.hpp) finds when the scenario is evaluated.
struct SearchRequest {
  std::string tag = "best";
};

using Layout = std::variant<gpu::Strategy, SearchRequest, wafer::WaferStrategy>;

// Where a spec was written, so that a check made after expansion fails at the right line.
struct SpecSource {
  io::YamlValue count;
  io::YamlValue layout;    // the strategy; for a search, the count
  io::YamlValue workload;
};
enum class SpecPart { count, layout, workload };

struct ScenarioSpec {
  std::int64_t index = 0;  // position in the expanded study: its row in /scenarios
  std::string id;          // "<model>@<system>x<count>/<strategy>"
  std::string sweep;
  const model::TransformerConfig* model = nullptr;
  const System* system = nullptr;
  std::int64_t count = 1;
  const System* host = nullptr;  // node type hosting bare GPUs (may be null)
  model::Workload workload;
  const gpu::FrameworkSpec* framework = nullptr;
  Layout layout;
  std::shared_ptr<const SpecSource> source;

  const gpu::Strategy* gpu_strategy() const { return std::get_if<gpu::Strategy>(&layout); }
  const SearchRequest* search() const { return std::get_if<SearchRequest>(&layout); }
  const wafer::WaferStrategy* wafer_strategy() const { return std::get_if<wafer::WaferStrategy>(&layout); }

  // An InputError at the YAML value of that part of the spec.
  [[noreturn]] void fail(SpecPart part, const std::string& what) const;
};

std::string scenario_id(const std::string& model, const std::string& system, std::int64_t count,
                        const std::string& strategy);

// The GPU cluster a count of a GPU or node system makes: count GPUs (in nodes of the host type
// when one is named) or count nodes.
gpu::ClusterSpec cluster_of(const System& system, std::int64_t count, const System* host);
gpu::ClusterSpec cluster_of(const ScenarioSpec& spec);

}  // namespace wb::study::plan
