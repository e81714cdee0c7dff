#include "gpu/search.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "gpu/memory_plan.hpp"
#include "gpu/step_program.hpp"

namespace wb::gpu {

namespace {

std::vector<std::int64_t> divisors(std::int64_t n) {
  std::vector<std::int64_t> out;
  for (std::int64_t d = 1; d <= n; ++d)
    if (n % d == 0) out.push_back(d);
  return out;
}

}  // namespace

bool allows(const SearchConstraints& c, const Strategy& s) {
  if (!c.zero_stages.empty() && std::find(c.zero_stages.begin(), c.zero_stages.end(), s.zero_stage) == c.zero_stages.end())
    return false;
  if (c.tp_max > 0 && s.tp > c.tp_max) return false;
  if (c.pp_max > 0 && s.pp > c.pp_max) return false;
  if (!c.offload && (s.offload_optimizer || s.offload_params)) return false;
  return true;
}

std::vector<Strategy> enumerate_strategies(const model::TransformerConfig& m, const ClusterSpec& cluster,
                                           const model::Workload& w, const FrameworkSpec* f,
                                           const SearchConstraints& c) {
  std::vector<Strategy> out;
  const std::int64_t gpus = cluster.total_gpus();
  const std::int64_t node = cluster.gpus_per_node;
  struct ZeroChoice {
    int stage;
    bool offload, params;
  };
  const ZeroChoice zeros[] = {{0, false, false}, {1, false, false}, {1, true, false}, {2, false, false},
                              {2, true, false},  {3, false, false}, {3, true, false}, {3, true, true}};
  const model::Recompute recomputes[] = {model::Recompute::none, model::Recompute::selective, model::Recompute::full};
  for (std::int64_t tp : divisors(std::min(node, m.heads))) {
    if (m.heads % tp != 0 || gpus % tp != 0) continue;
    for (std::int64_t pp : divisors(m.layers)) {
      if (gpus % (tp * pp) != 0) continue;
      const std::int64_t dp = gpus / (tp * pp);
      for (const ZeroChoice& z : zeros) {
        if (pp > 1 && z.stage > 1) continue;  // DeepSpeed's pipeline engine: ZeRO-1 at most
        if (dp == 1 && z.stage > 0 && !z.offload) continue;  // nothing to partition
        for (std::int64_t mb = 1; mb <= 64; mb *= 2) {
          if (w.global_batch > 0 && (w.global_batch % (dp * mb) != 0)) continue;
          const std::int64_t micro_batches = w.global_batch > 0 ? w.global_batch / (dp * mb) : 1;
          for (std::int64_t vp : divisors(m.layers / pp)) {
            // Interleaving: model chunks of whole layers, micro-batches in groups of pp (Megatron-LM).
            if (vp > 1 && (pp == 1 || micro_batches % pp != 0)) continue;
            for (model::Recompute rc : recomputes) {
              Strategy s;
              s.zero_stage = z.stage;
              s.offload_optimizer = z.offload;
              s.offload_params = z.params;
              s.tp = tp;
              s.pp = pp;
              s.virtual_stages = vp;
              s.micro_batch = mb;
              s.recompute = rc;
              if (f && !unsupported(*f, s).empty()) continue;
              if (!allows(c, s)) continue;
              out.push_back(s);
            }
          }
        }
      }
    }
  }
  return out;
}

std::vector<SearchResult> search_strategies(const model::TransformerConfig& m, const ClusterSpec& cluster,
                                            const model::Workload& w, const FrameworkSpec& f, double train_tokens,
                                            const TimeOptions& opt, SearchStats* stats,
                                            const SearchConstraints& allowed) {
  std::vector<SearchResult> out;
  TimeOptions o = opt;
  o.timeline = false;
  o.distributed = false;
  SearchStats local;
  for (const Strategy& s : enumerate_strategies(m, cluster, w, &f, allowed)) {
    ++local.enumerated;
    MemoryPlan plan;
    try {
      model::Workload wl = w;
      plan = plan_memory(m, cluster, s, wl, f);
    } catch (const std::invalid_argument&) {
      continue;
    }
    if (!plan.fits()) continue;
    TrainingTime t;
    try {
      t = training_time(m, cluster, s, w, f, train_tokens, o, MPI_COMM_SELF);
    } catch (const std::invalid_argument&) {
      continue;  // e.g. a global batch the layout cannot split
    }
    ++local.fitting;
    ++local.timed;
    out.push_back({s, t.time_to_train_s, t.tokens_per_s});
  }
  std::sort(out.begin(), out.end(), [](const SearchResult& a, const SearchResult& b) {
    if (a.tokens_per_s != b.tokens_per_s) return a.tokens_per_s > b.tokens_per_s;
    return a.strategy.canonical() < b.strategy.canonical();
  });
  if (stats) *stats = local;
  return out;
}

BestStrategy search_best(const model::TransformerConfig& m, const ClusterSpec& cluster, const model::Workload& w,
                         const FrameworkSpec& f, double train_tokens, const TimeOptions& opt,
                         const SearchConstraints& allowed) {
  BestStrategy r;
  TimeOptions o = opt;
  o.timeline = false;
  o.distributed = false;
  o.stragglers = false;
  if (o.engine == EngineChoice::pdes) o.engine = EngineChoice::automatic;  // same numbers, fast where exact
  struct Candidate {
    Strategy strategy;
    double bound_tokens_per_s;  // tokens per step / lower bound of the step
    std::string canonical;
  };
  std::vector<Candidate> candidates;
  double smallest_bytes = 0;
  for (const Strategy& s : enumerate_strategies(m, cluster, w, &f, allowed)) {
    ++r.stats.enumerated;
    MemoryPlan plan;
    try {
      model::Workload wl = w;
      plan = plan_memory(m, cluster, s, wl, f);
    } catch (const std::invalid_argument&) {
      continue;
    }
    const double footprint = plan.device.total();
    if (!r.any_layout || footprint < smallest_bytes ||
        (footprint == smallest_bytes && s.canonical() < r.smallest.canonical())) {
      r.smallest = s;
      smallest_bytes = footprint;
    }
    r.any_layout = true;
    if (!plan.fits()) continue;
    StepSetup setup;
    try {
      setup = make_step_setup(m, cluster, s, w, f, 0.0, o.seed);
    } catch (const std::invalid_argument&) {
      continue;  // e.g. a global batch the layout cannot split
    }
    ++r.stats.fitting;
    const double tokens_per_step = static_cast<double>(setup.global_batch * setup.seq);
    candidates.push_back({s, tokens_per_step / sim::to_seconds(step_time_lower_bound(setup)), s.canonical()});
  }
  // Most promising first; equal bounds in the ranking's tie-break order.
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.bound_tokens_per_s != b.bound_tokens_per_s) return a.bound_tokens_per_s > b.bound_tokens_per_s;
    return a.canonical < b.canonical;
  });
  for (const Candidate& c : candidates) {
    // The step is at least its bound (in whole picoseconds), so no later candidate can be faster.
    if (r.found && c.bound_tokens_per_s < r.best.tokens_per_s) break;
    TrainingTime t;
    try {
      t = training_time(m, cluster, c.strategy, w, f, train_tokens, o, MPI_COMM_SELF);
    } catch (const std::invalid_argument&) {
      continue;
    }
    ++r.stats.timed;
    const bool better = !r.found || t.tokens_per_s > r.best.tokens_per_s ||
                        (t.tokens_per_s == r.best.tokens_per_s && c.canonical < r.best.strategy.canonical());
    if (better) {
      r.best = {c.strategy, t.time_to_train_s, t.tokens_per_s};
      r.found = true;
    }
  }
  return r;
}

}  // namespace wb::gpu
