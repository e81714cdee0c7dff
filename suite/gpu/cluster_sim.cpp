#include "gpu/cluster_sim.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>

#include "gpu/cluster_lps.hpp"
#include "gpu/critical_path.hpp"
#include "gpu/fast_path.hpp"
#include "gpu/program_builder.hpp"
#include "sim/random.hpp"

namespace wb::gpu {

namespace {

constexpr std::uint64_t kStragglerStream = 0x53545241474cULL;  // "STRAGL"

}  // namespace

double straggler_factor(const StepSetup& st, std::int64_t device) {
  if (st.straggler_cv <= 0) return 1.0;
  const double z = sim::standard_normal(st.seed, kStragglerStream, static_cast<std::uint64_t>(device));
  return std::max(0.5, 1.0 + st.straggler_cv * z);
}

bool reduced_applicable(const StepSetup& st, bool stragglers, std::string* why) {
  // Host resources (CPU, PCIe) are shared by the GPUs of a node: symmetric only when every node
  // holds GPUs of one stage.
  if (st.pp > 1 && st.offload && (st.dp * st.tp) % st.gpus_per_node != 0) {
    if (why) *why = "offload with pipeline stages sharing a host";
    return false;
  }
  if (stragglers && st.straggler_cv > 0 && st.pp > 1) {
    if (why) *why = "stragglers with pipeline parallelism";
    return false;
  }
  if (stragglers && st.straggler_cv > 0 && st.offload && st.tp > 1) {
    if (why) *why = "stragglers with offload and tensor parallelism (host copies no longer simultaneous)";
    return false;
  }
  // Collectives are costed on the representative's groups; every group must look alike.
  for (std::int64_t d = 0; d < st.devices; ++d) {
    if (st.tp_rank_of(d) == 0 && !(st.group_shape(GroupKind::tp, d) == st.tp_shape)) {
      if (why) *why = "tensor-parallel groups placed unevenly across nodes";
      return false;
    }
    if (st.dp_rank_of(d) == 0 && !(st.group_shape(GroupKind::dp, d) == st.dp_shape)) {
      if (why) *why = "data-parallel groups placed unevenly across nodes";
      return false;
    }
    if (st.pp > 1 && st.stage_of(d) == 0 && !(st.group_shape(GroupKind::embed, d) == st.embed_shape)) {
      if (why) *why = "embedding groups placed unevenly across nodes";
      return false;
    }
  }
  // Pipeline transfers are costed once per stage pair; the full simulation agrees only when
  // every replica's stage pair is placed alike.
  if (st.pp > 1) {
    for (std::int64_t s = 0; s + 1 < st.pp; ++s) {
      const bool same0 = st.node_of(st.device_of(s, 0, 0)) == st.node_of(st.device_of(s + 1, 0, 0));
      for (std::int64_t d = 0; d < st.dp; ++d)
        for (std::int64_t r = 0; r < st.tp; ++r)
          if ((st.node_of(st.device_of(s, d, r)) == st.node_of(st.device_of(s + 1, d, r))) != same0) {
            if (why) *why = "pipeline stages placed unevenly across nodes";
            return false;
          }
    }
  }
  return true;
}

std::vector<Program> build_programs(const StepSetup& st) {
  std::vector<Program> out;
  out.reserve(static_cast<std::size_t>(st.pp));
  for (std::int64_t s = 0; s < st.pp; ++s) out.push_back(build_program(st, s));
  return out;
}

// The engine driver: LPs dealt to ranks by node, the lookahead from the programs, the run, and
// the step's time, critical device, breakdown and timeline gathered from every rank.
SimRun simulate(const StepSetup& st, const std::vector<Program>& programs, SimMode mode, bool stragglers,
                bool timeline, MPI_Comm comm) {
  if (mode == SimMode::fast) return simulate_fast(st, programs, stragglers, timeline);
  const View view = make_view(st, mode);
  int ranks = 1, rank = 0;
  MPI_Comm run_comm = mode == SimMode::full ? comm : MPI_COMM_SELF;
  if (run_comm != MPI_COMM_SELF) {  // a serial run makes no MPI call
    MPI_Comm_size(run_comm, &ranks);
    MPI_Comm_rank(run_comm, &rank);
  }
  auto allreduce = [&](void* in, void* out, int n, MPI_Datatype type, MPI_Op op) {
    if (ranks > 1) {
      MPI_Allreduce(in, out, n, type, op, run_comm);
    } else {
      int size = 0;
      if (type == MPI_LONG_LONG) size = static_cast<int>(sizeof(long long));
      else size = static_cast<int>(sizeof(double));
      std::memcpy(out, in, static_cast<std::size_t>(n * size));
    }
  };

  // Deal LPs to ranks by node (a node's GPUs and its four LPs together), choosing between two
  // dealings the one whose fastest link between ranks is slowest (the lookahead, hence how far
  // each synchronisation round reaches): contiguous blocks of nodes, or whole data-parallel
  // replicas (a pipeline's transfers then stay inside a rank and only the gradient collectives
  // cross). Any dealing gives the same results.
  const std::int64_t node_count = static_cast<std::int64_t>(view.nodes.size());
  auto block_of = [&](std::int64_t node) { return mode == SimMode::full ? node : static_cast<std::int64_t>(view.node_block.at(node)); };
  auto by_blocks = [&](std::int64_t node) {
    return static_cast<int>(block_of(node) * ranks / std::max<std::int64_t>(1, node_count));
  };
  auto by_replicas = [&](std::int64_t node) {
    return static_cast<int>(st.dp_rank_of(node * st.gpus_per_node) * ranks / st.dp);
  };
  // What each stage's program can send between nodes: the cheapest collective per group kind
  // (as programmed, and the smallest buffer per collective for groups placed unlike the
  // representative's), and whether it has pipeline sends.
  struct Links {
    SimTime cost[kGroupKinds];
    double work[kGroupKinds][3];
    bool sends = false;
  };
  std::vector<Links> links(programs.size());
  if (node_count > 1 && ranks > 1) {
    for (std::size_t p = 0; p < programs.size(); ++p) {
      Links& l = links[p];
      std::fill(std::begin(l.cost), std::end(l.cost), sim::kNever);
      for (auto& w : l.work) std::fill(std::begin(w), std::end(w), -1.0);
      for (const Task& t : programs[p].tasks) {
        if (t.resource == Resource::send) l.sends = true;
        if (t.resource != Resource::collective) continue;
        const int g = static_cast<int>(t.group), k = static_cast<int>(t.coll);
        l.cost[g] = std::min(l.cost[g], t.duration);
        if (l.work[g][k] < 0 || t.work < l.work[g][k]) l.work[g][k] = t.work;
      }
    }
  }
  // Lookahead of a dealing: the shortest delay an event of this rank's GPUs can take to
  // another rank (half a collective's cost for the notices of one spanning ranks, a pipeline
  // transfer to a peer on another rank).
  auto lookahead = [&](const auto& rank_of_node) {
    SimTime cross = sim::kNever;
    if (node_count <= 1 || ranks <= 1) return cross;
    // Per group (kind, index; for the embedding group also which end, as the two ends run
    // different programs): the bound its members on this rank give, once found (-1: not yet).
    // Walking the group for each of its members was quadratic in its size (4 M steps per
    // dealing on each of two ranks for a 4,096-member group).
    std::vector<SimTime> group_bound[kGroupKinds];
    for (GroupKind g : {GroupKind::tp, GroupKind::dp, GroupKind::embed}) {
      const std::int64_t groups = g == GroupKind::tp ? st.pp * st.dp : g == GroupKind::dp ? st.pp * st.tp : 2 * st.dp * st.tp;
      group_bound[static_cast<int>(g)].assign(static_cast<std::size_t>(groups), -1);
    }
    for (std::size_t i = 0; i < view.devices.size(); ++i) {
      const std::int64_t d = view.devices[i];
      if (rank_of_node(st.node_of(d)) != rank) continue;
      const std::int64_t stage = st.stage_of(d), dr = st.dp_rank_of(d), tr = st.tp_rank_of(d);
      const Links& l = links[static_cast<std::size_t>(stage)];
      if (l.sends)
        for (std::int64_t peer : {stage - 1, stage + 1, std::int64_t{0}, st.pp - 1})
          if (peer >= 0 && peer < st.pp && peer != stage && view.lp_of_device(st.device_of(peer, dr, tr)) >= 0 &&
              rank_of_node(st.node_of(st.device_of(peer, dr, tr))) != rank)
            cross = std::min(cross, st.p2p_handshake > 0 ? std::min(st.p2p_cross_node, st.p2p_handshake) : st.p2p_cross_node);
      for (GroupKind g : {GroupKind::tp, GroupKind::dp, GroupKind::embed}) {
        const int k = static_cast<int>(g);
        if (l.cost[k] == sim::kNever) continue;
        const std::int64_t index = g == GroupKind::tp ? stage * st.dp + dr : g == GroupKind::dp ? stage * st.tp + tr : dr * st.tp + tr;
        const std::int64_t slot = g == GroupKind::embed ? 2 * index + (stage == 0 ? 0 : 1) : index;
        SimTime& bound = group_bound[k][static_cast<std::size_t>(slot)];
        if (bound >= 0) {
          cross = std::min(cross, bound);
          continue;
        }
        bound = sim::kNever;
        // Does the group span ranks? Its members, as the view holds them.
        bool spans = false;
        const std::int64_t n = view.members(g);
        for (std::int64_t j = 0; j < n && !spans; ++j) {
          std::int64_t m = d;
          if (g == GroupKind::tp) m = st.device_of(stage, dr, j);
          if (g == GroupKind::dp) m = st.device_of(stage, j, tr);
          if (g == GroupKind::embed) m = st.device_of(j == 0 ? 0 : st.pp - 1, dr, tr);
          spans = rank_of_node(st.node_of(m)) != rank;
        }
        if (!spans) continue;
        const GroupShape sh = view.shape(g, index, d);
        SimTime c = l.cost[k];
        if (!(sh == st.representative_shape(g)))
          for (int coll = 0; coll < 3; ++coll)
            if (l.work[k][coll] >= 0)
              c = std::min(c, duration_ps(collective_time(static_cast<Collective>(coll), l.work[k][coll], sh, st.fabric)));
        bound = (c - 2) / 2;
        cross = std::min(cross, bound);
      }
    }
    return std::max<SimTime>(1, cross);
  };
  SimTime cross = lookahead(by_blocks);
  bool replicas = false;
  if (mode == SimMode::full && node_count > 1 && ranks > 1 && st.dp >= ranks) {
    long long mine[2] = {static_cast<long long>(cross), static_cast<long long>(lookahead(by_replicas))}, all[2];
    allreduce(mine, all, 2, MPI_LONG_LONG, MPI_MIN);
    replicas = all[1] > all[0];
    cross = replicas ? static_cast<SimTime>(mine[1]) : cross;
  }
  std::vector<int> lp_rank(static_cast<std::size_t>(view.lp_count()));
  auto rank_of_node = [&](std::int64_t node) { return replicas ? by_replicas(node) : by_blocks(node); };
  for (std::size_t i = 0; i < view.devices.size(); ++i) lp_rank[i] = rank_of_node(st.node_of(view.devices[i]));
  for (std::int64_t b = 0; b < node_count; ++b)
    for (int k = 0; k < 4; ++k)
      lp_rank[view.devices.size() + static_cast<std::size_t>(4 * b + k)] = rank_of_node(view.nodes[static_cast<std::size_t>(b)]);
  // Straggler factors: the full simulation draws one per device; the reduced one gives every
  // representative the slowest device's factor (exact when the step waits for the slowest) and
  // reports it as that device. Outputs (timeline, critical path) follow, per stage, the slowest
  // device (the lowest-numbered one without stragglers), so both modes report the same GPU.
  const bool strag = stragglers && st.straggler_cv > 0;
  std::vector<double> factor;
  std::vector<std::int64_t> stage_rep(static_cast<std::size_t>(st.pp));
  for (std::int64_t s = 0; s < st.pp; ++s) stage_rep[static_cast<std::size_t>(s)] = st.device_of(s, 0, 0);
  if (strag) {
    factor.resize(static_cast<std::size_t>(st.devices));
    std::vector<double> best(static_cast<std::size_t>(st.pp), 0.0);
    for (std::int64_t d = 0; d < st.devices; ++d) {
      const double f = straggler_factor(st, d);
      factor[static_cast<std::size_t>(d)] = f;
      const std::size_t s = static_cast<std::size_t>(st.stage_of(d));
      if (f > best[s]) {
        best[s] = f;
        stage_rep[s] = d;
      }
    }
  }
  const double fmax = factor.empty() ? 1.0 : *std::max_element(factor.begin(), factor.end());

  // The engine over the LPs. Per-task times are kept only by the GPUs that can be reported: each
  // stage's slowest (the critical device almost always is one) and `also`; thousands of GPUs'
  // times would not fit in cache (the 1T model on 3,072 GPUs: 1.2 GB).
  std::unique_ptr<sim::Engine> engine;
  std::vector<GpuLp*> local_gpus;
  std::vector<StagePending> pending;
  auto run_engine = [&](std::int64_t also) {
    local_gpus.clear();
    engine = std::make_unique<sim::Engine>(run_comm, lp_rank, cross);
    // The stages' pending counts, one column per local GPU in device order.
    std::vector<std::size_t> column(view.devices.size()), stage_gpus(programs.size(), 0);
    for (std::size_t i = 0; i < view.devices.size(); ++i)
      if (engine->is_local(static_cast<LpId>(i))) column[i] = stage_gpus[static_cast<std::size_t>(st.stage_of(view.devices[i]))]++;
    pending.clear();
    for (std::size_t p = 0; p < programs.size(); ++p) pending.emplace_back(programs[p], stage_gpus[p]);
    for (std::size_t i = 0; i < view.devices.size(); ++i) {
      const LpId id = static_cast<LpId>(i);
      if (!engine->is_local(id)) continue;
      const std::int64_t d = view.devices[i];
      const std::size_t stage = static_cast<std::size_t>(st.stage_of(d));
      double f = 1.0;
      std::int64_t label = d;
      if (strag && mode == SimMode::reduced) {
        f = fmax;
        label = stage_rep[stage];
      } else if (strag) {
        f = factor[static_cast<std::size_t>(d)];
      }
      const bool rep = label == stage_rep[stage];
      const bool record = mode != SimMode::full || rep || d == also;
      auto lp = std::make_unique<GpuLp>(st, programs[stage], view, d, f, rep && timeline, label, record,
                                        pending[stage].column(column[i]), pending[stage].stride());
      local_gpus.push_back(lp.get());
      engine->add(id, std::move(lp));
      Event kick;
      kick.type = kStart;
      engine->schedule(id, 0, kick);
    }
    const std::size_t switches = static_cast<std::size_t>((st.gpus_per_node + st.gpus_per_switch - 1) / st.gpus_per_switch);
    for (std::int64_t b = 0; b < node_count; ++b) {
      const LpId base = static_cast<LpId>(view.devices.size() + static_cast<std::size_t>(4 * b));
      if (!engine->is_local(base)) continue;
      engine->add(base + 0, std::make_unique<HostLp>(1, st.cpu_params_per_s));
      engine->add(base + 1, std::make_unique<HostLp>(2 * switches, st.pcie_bandwidth));
      engine->add(base + 2, std::make_unique<CoordinatorLp>());
      engine->add(base + 3, std::make_unique<NicLp>());
    }
    const sim::EngineStats out = engine->run();
    for (const GpuLp* g : local_gpus)
      if (!g->complete()) throw std::logic_error("simulation ended with unfinished tasks on GPU " + std::to_string(g->device()));
    return out;
  };
  sim::EngineStats stats = run_engine(-1);

  SimRun run;
  run.events = stats.events_total;
  run.rounds = stats.rounds;
  run.lps = view.lp_count();
  run.wall_s = stats.wall_s;
  run.micro_batches_walked = st.grad_accum;
  run.max_queue = stats.max_queue;
  run.remote_events = stats.remote_events_total;
  run.exchanges = stats.exchanges;
  run.handle_cpu_s = stats.handle_cpu_s_max;
  run.critical_handle_cpu_s = stats.critical_handle_cpu_s;

  // Step boundaries: the latest end of each step's tasks over all GPUs.
  const std::size_t steps = static_cast<std::size_t>(st.steps);
  std::vector<long long> ends(steps, 0), ends_all(steps, 0);
  for (const GpuLp* g : local_gpus)
    for (std::size_t k = 0; k < steps; ++k) ends[k] = std::max<long long>(ends[k], g->step_end(static_cast<std::uint8_t>(k)));
  allreduce(ends.data(), ends_all.data(), static_cast<int>(steps), MPI_LONG_LONG, MPI_MAX);
  const SimTime last_end = ends_all[steps - 1];
  const SimTime window_start = steps > 1 ? ends_all[steps - 2] : 0;
  run.step_time = last_end - window_start;

  // The critical device: of the GPUs whose last step ends last, the slowest, then the
  // lowest-numbered.
  double fbest = 0, fbest_all = 0;
  for (const GpuLp* g : local_gpus)
    if (g->step_end(static_cast<std::uint8_t>(steps - 1)) == last_end) fbest = std::max(fbest, g->factor());
  allreduce(&fbest, &fbest_all, 1, MPI_DOUBLE, MPI_MAX);
  long long mine = std::numeric_limits<long long>::max(), critical = 0;
  for (const GpuLp* g : local_gpus)
    if (g->step_end(static_cast<std::uint8_t>(steps - 1)) == last_end && g->factor() == fbest_all)
      mine = std::min<long long>(mine, g->label());
  allreduce(&mine, &critical, 1, MPI_LONG_LONG, MPI_MIN);
  run.critical_device = critical;
  // The critical GPU's per-task times: simulated again (identically) when it did not keep them.
  auto is_critical = [&](const GpuLp* g) {
    return g->label() == critical && g->step_end(static_cast<std::uint8_t>(steps - 1)) == last_end && g->factor() == fbest_all;
  };
  long long missing = 0, missing_any = 0;
  for (const GpuLp* g : local_gpus)
    if (is_critical(g) && !g->records()) missing = 1;
  allreduce(&missing, &missing_any, 1, MPI_LONG_LONG, MPI_MAX);
  if (missing_any) {
    const sim::EngineStats again = run_engine(critical);
    run.events += again.events_total;
    run.rounds += again.rounds;
    run.wall_s += again.wall_s;
    run.remote_events += again.remote_events_total;
    run.exchanges += again.exchanges;
    run.handle_cpu_s += again.handle_cpu_s_max;
    run.critical_handle_cpu_s += again.critical_handle_cpu_s;
  }
  long long parts[8] = {0, 0, 0, 0, 0, 0, 0, 0}, parts_all[8];
  for (const GpuLp* g : local_gpus)
    if (is_critical(g)) {
      const StepBreakdown b = critical_path_breakdown(programs[static_cast<std::size_t>(st.stage_of(critical))], g->starts(), g->ends(),
                                        static_cast<std::uint8_t>(steps - 1), window_start);
      parts[0] = b.compute;
      parts[1] = b.comm;
      parts[2] = b.offload;
      parts[3] = b.cpu;
      parts[4] = b.bubble;
      for (int k = 0; k < 3; ++k) parts[5 + k] = b.phase[k];
    }
  allreduce(parts, parts_all, 8, MPI_LONG_LONG, MPI_SUM);
  run.breakdown.compute = parts_all[0];
  run.breakdown.comm = parts_all[1];
  run.breakdown.offload = parts_all[2];
  run.breakdown.cpu = parts_all[3];
  run.breakdown.bubble = parts_all[4];
  for (int k = 0; k < 3; ++k) run.breakdown.phase[k] = parts_all[5 + k];

  if (timeline) {
    std::vector<TimelineRow> rows;
    for (const GpuLp* g : local_gpus) {
      if (!g->keeps_timeline()) continue;
      const Program& prog = programs[static_cast<std::size_t>(st.stage_of(g->device()))];
      for (std::size_t i = 0; i < prog.tasks.size(); ++i) {
        const Task& t = prog.tasks[i];
        if (g->ends()[i] <= g->starts()[i]) continue;  // instants and joins
        rows.push_back({g->label(), t.stream, t.kind, g->starts()[i], g->ends()[i]});
      }
    }
    // Everyone gets every row, in device order (blocks of nodes are in device order).
    if (ranks == 1) {
      run.timeline = std::move(rows);
      std::stable_sort(run.timeline.begin(), run.timeline.end(),
                       [](const TimelineRow& a, const TimelineRow& b) { return a.device < b.device; });
      return run;
    }
    int bytes = static_cast<int>(rows.size() * sizeof(TimelineRow));
    std::vector<int> counts(static_cast<std::size_t>(ranks)), displs(static_cast<std::size_t>(ranks));
    MPI_Allgather(&bytes, 1, MPI_INT, counts.data(), 1, MPI_INT, run_comm);
    int total = 0;
    for (int r = 0; r < ranks; ++r) {
      displs[static_cast<std::size_t>(r)] = total;
      total += counts[static_cast<std::size_t>(r)];
    }
    run.timeline.resize(static_cast<std::size_t>(total) / sizeof(TimelineRow));
    MPI_Allgatherv(rows.data(), bytes, MPI_BYTE, run.timeline.data(), counts.data(), displs.data(), MPI_BYTE, run_comm);
    std::stable_sort(run.timeline.begin(), run.timeline.end(),
                     [](const TimelineRow& a, const TimelineRow& b) { return a.device < b.device; });
  }
  return run;
}

}  // namespace wb::gpu
