// The steady-state fast path (gpu/steady_state.hpp) gives the step that walking every
// micro-batch gives, to the picosecond (step, breakdown by category and phase, critical device),
// and so does the reduced event simulation: 1F1B, interleaved and data-parallel layouts at
// m = 1, 2, pp, 4 pp and 1,024 micro-batches, and random layouts. Where the schedule repeats
// with many micro-batches it is actually used, with fewer micro-batches walked than the step has.
// The fused chains the fast path walks (ChainTasks::fused) give every task's start and end that
// the separate tasks give, on the same layouts and micro-batch counts and on random layouts.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "gpu/cluster_sim.hpp"
#include "gpu/fast_path.hpp"
#include "gpu/program_builder.hpp"
#include "gpu/steady_state.hpp"
#include "gpu/time_model.hpp"
#include "test_catalog.hpp"

namespace {

using wb::test::catalog;

struct Layout {
  std::string model, system, strategy, framework;
  std::int64_t nodes;
  bool stragglers;
};

wb::gpu::StepSetup setup_of(const Layout& l, std::int64_t micro_batches) {
  const auto cluster = wb::gpu::make_node_cluster(*catalog().system(l.system).node(), l.nodes);
  wb::model::Workload w;
  w.seq_len = 2048;
  const auto s = wb::gpu::parse_strategy(l.strategy + "+ga" + std::to_string(micro_batches));
  return wb::gpu::make_step_setup(catalog().model(l.model), cluster, s, w, catalog().framework(l.framework),
                                  l.stragglers ? 0.03 : 0.0, 11);
}

void expect_same(const wb::gpu::SimRun& a, const wb::gpu::SimRun& b, const std::string& what) {
  EXPECT_EQ(a.step_time, b.step_time) << what;
  EXPECT_EQ(a.breakdown.compute, b.breakdown.compute) << what;
  EXPECT_EQ(a.breakdown.comm, b.breakdown.comm) << what;
  EXPECT_EQ(a.breakdown.offload, b.breakdown.offload) << what;
  EXPECT_EQ(a.breakdown.cpu, b.breakdown.cpu) << what;
  EXPECT_EQ(a.breakdown.bubble, b.breakdown.bubble) << what;
  for (int k = 0; k < 3; ++k) EXPECT_EQ(a.breakdown.phase[k], b.breakdown.phase[k]) << what;
  EXPECT_EQ(a.critical_device, b.critical_device) << what;
}

// Compares the steady state (when it applies) with the walk and, when asked, the reduced PDES.
// Returns whether the steady state was used.
bool check(const wb::gpu::StepSetup& st, bool stragglers, bool pdes, const std::string& what) {
  const auto programs = wb::gpu::build_programs(st);
  const auto walk = wb::gpu::simulate(st, programs, wb::gpu::SimMode::fast, stragglers, false, MPI_COMM_SELF);
  EXPECT_FALSE(walk.steady_state);
  EXPECT_EQ(walk.micro_batches_walked, st.grad_accum);
  if (pdes) expect_same(wb::gpu::simulate(st, programs, wb::gpu::SimMode::reduced, stragglers, false, MPI_COMM_SELF), walk,
                        what + " reduced PDES vs walk");
  wb::gpu::SimRun steady;
  std::string why;
  if (!wb::gpu::simulate_steady(st, stragglers, steady, &why)) {
    EXPECT_FALSE(why.empty()) << what;
    return false;
  }
  EXPECT_TRUE(steady.steady_state);
  EXPECT_LT(steady.micro_batches_walked, st.grad_accum) << what;
  EXPECT_LT(steady.events, walk.events) << what;
  expect_same(steady, walk, what + " steady state vs walk");
  EXPECT_EQ(steady.breakdown.total(), steady.step_time) << what;
  return true;
}

const std::vector<Layout>& layouts() {
  static const std::vector<Layout> l = {
      // Megatron 1F1B and interleaved, gradients all-reduced after the pipeline.
      {"megatron-1.7b", "dgx-a100-80gb", "zero0+tp2+pp2+mb1+recompute-full", "megatron-lm", 2, false},
      {"megatron-1.7b", "dgx-a100-80gb", "zero0+tp2+pp4+vp2+mb1+recompute-full", "megatron-lm", 2, false},
      {"megatron-1.7b", "dgx-a100-80gb", "zero1+tp4+pp2+mb2", "megatron-sc21", 2, false},
      {"megatron-1.7b", "dgx-a100-80gb", "zero0+pp8+mb1+recompute-selective", "megatron-lm", 1, false},
      // Offload with whole nodes per stage; ZeRO-1 reducing the last micro-batch.
      {"megatron-1.7b", "dgx-a100-80gb", "zero1+offload+tp4+pp2+mb2", "megatron-lm", 4, false},
      // DeepSpeed data parallel: buckets reduced every micro-batch, ZeRO-3 gathers, stragglers.
      {"cerebras-gpt-1.3b", "dgx-a100-40gb", "zero2+offload+mb1+recompute-full", "deepspeed", 1, true},
      {"cerebras-gpt-1.3b", "dgx-a100-40gb", "zero3+mb2+recompute-full", "deepspeed", 2, true},
      {"cerebras-gpt-1.3b", "dgx-a100-40gb", "zero1+tp2+mb2", "deepspeed", 2, false},
      {"cerebras-gpt-1.3b", "dgx-a100-40gb", "zero0+mb1", "deepspeed", 2, false},
      // DeepSpeed's pipeline engine: the compute stream waits for each send.
      {"cerebras-gpt-1.3b", "dgx-a100-40gb", "zero1+tp2+pp2+mb1", "deepspeed", 2, false},
      // Sequence parallelism beside overlapped DDP buckets that contend for SMs; FP8 on H100.
      {"megatron-1.7b", "dgx-a100-80gb", "zero0+tp2+sp+pp2+mb1+recompute-selective", "megatron-sc21", 2, false},
      {"megatron-1.7b", "dgx-h100", "zero1+tp2+sp+pp2+mb1+fp8", "megatron-lm", 2, false},
      // FSDP: every unit gathered and reduce-scattered in every micro-batch, under contention.
      {"cerebras-gpt-1.3b", "dgx-a100-40gb", "zero3+mb2", "fsdp", 2, false},
  };
  return l;
}

// A random layout (model, nodes, tp among the first tp_choices powers of two, pp, vp, ZeRO and
// offload, recomputation, framework; stragglers one time in four when asked) with up to
// `micro_max` micro-batches (a quarter as many groups of pp when interleaved) and its setup;
// false when the layout cannot run or is not symmetric.
struct RandomCase {
  Layout layout;
  std::int64_t m = 1;
  wb::gpu::StepSetup setup;
  std::string what;
};
bool random_case(std::mt19937_64& rng, std::int64_t tp_choices, std::int64_t micro_max, bool stragglers, RandomCase& c) {
  const char* models[] = {"cerebras-gpt-111m", "cerebras-gpt-1.3b", "megatron-1.7b"};
  const char* frameworks[] = {"megatron-lm", "megatron-sc21", "deepspeed", "fsdp"};
  const char* zeros[] = {"zero0", "zero1", "zero1+offload", "zero2", "zero2+offload", "zero3", "zero3+offload+param-offload"};
  const char* recomputes[] = {"", "+recompute-selective", "+recompute-full"};
  auto pick = [&](std::int64_t n) { return static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(n)); };
  Layout& l = c.layout;
  l.model = models[pick(3)];
  l.system = "dgx-a100-80gb";
  l.framework = frameworks[pick(4)];
  l.nodes = 1 + pick(4);
  l.stragglers = stragglers && pick(4) == 0;
  const std::int64_t tp = std::int64_t{1} << pick(tp_choices), pp = std::int64_t{1} << pick(4),
                     vp = pp > 1 && pick(3) == 0 ? 2 : 1;
  std::string s = zeros[pick(7)];
  if (tp > 1) s += "+tp" + std::to_string(tp) + (pick(2) == 0 ? "+sp" : "");
  if (pp > 1) s += "+pp" + std::to_string(pp);
  if (vp > 1) s += "+vp" + std::to_string(vp);
  s += "+mb" + std::to_string(std::int64_t{1} << pick(3));
  s += recomputes[pick(3)];
  l.strategy = s;
  c.m = (vp > 1 ? pp : 1) * (1 + pick(vp > 1 ? micro_max / 4 : micro_max));
  c.what = l.model + "@" + std::to_string(l.nodes) + "/" + s + " m=" + std::to_string(c.m);
  try {
    c.setup = setup_of(l, c.m);
  } catch (const std::invalid_argument&) {
    return false;
  }
  return wb::gpu::reduced_applicable(c.setup, l.stragglers);
}

// f(layout, setup, pp, m, what) for each fixed layout at m = 1, 2, pp, 4 pp and 1,024
// micro-batches (those the layout can split: interleaving needs a multiple of pp).
template <class F>
void each_micro_count(F&& f) {
  for (const Layout& l : layouts()) {
    const std::int64_t pp = wb::gpu::parse_strategy(l.strategy).pp;
    for (std::int64_t m : {std::int64_t{1}, std::int64_t{2}, pp, 4 * pp, std::int64_t{1024}}) {
      wb::gpu::StepSetup st;
      try {
        st = setup_of(l, m);
      } catch (const std::invalid_argument&) {
        continue;
      }
      f(l, st, pp, m, l.model + "/" + l.strategy + " m=" + std::to_string(m));
    }
  }
}

}  // namespace

TEST(SteadyState, EqualsTheWalkAtAnyMicroBatchCount) {
  each_micro_count([](const Layout& l, const wb::gpu::StepSetup& st, std::int64_t pp, std::int64_t m, const std::string& what) {
    const bool used = check(st, l.stragglers, m <= 4 * pp || pp <= 2, what);
    // A schedule that repeats over 1,024 micro-batches is not walked.
    if (m == 1024) EXPECT_TRUE(used) << what;
  });
}

// The side-by-side problem's deepest pipeline (GPT-3 13B shape, tp8 pp8 on 64 A100): 1,024
// micro-batches computed from a few.
TEST(SteadyState, ThirteenBillionOnSixtyFourGpus) {
  const Layout l{"cerebras-gpt-13b", "dgx-a100-80gb", "zero0+tp8+pp8+mb1", "megatron-lm", 8, false};
  EXPECT_TRUE(check(setup_of(l, 1024), false, false, "13B tp8 pp8 m=1024"));
  const Layout v{"cerebras-gpt-13b", "dgx-a100-80gb", "zero1+tp8+pp4+vp2+mb1", "megatron-lm", 8, false};
  EXPECT_TRUE(check(setup_of(v, 512), false, false, "13B tp8 pp4 vp2 m=512"));
}

// Random layouts (model, nodes, tp, pp, vp, ZeRO and offload, recomputation, framework,
// micro-batches): wherever the steady state is used it matches the walk.
TEST(SteadyState, RandomLayouts) {
  std::mt19937_64 rng(20240516);
  int compared = 0, used = 0;
  for (int i = 0; i < 60; ++i) {
    RandomCase c;
    if (!random_case(rng, 3, 96, true, c)) continue;
    ++compared;
    if (check(c.setup, c.layout.stragglers, false, c.what)) ++used;
  }
  EXPECT_GE(compared, 20);
  EXPECT_GE(used, 10);
}

namespace {

// Fused chains (program_builder.hpp, ChainTasks::fused) against the separate tasks, walking
// every micro-batch: each fused task starts with its chain's first task and ends with its last,
// every other task keeps its times, and the step, breakdown, critical device and task count are
// the same. Returns how many tasks fusion saved.
std::int64_t check_fused(const wb::gpu::StepSetup& st, const std::string& what) {
  std::vector<wb::gpu::Program> separate, fused(static_cast<std::size_t>(st.pp));
  separate = wb::gpu::build_programs(st);
  for (std::int64_t s = 0; s < st.pp; ++s)
    wb::gpu::build_program(st, s, fused[static_cast<std::size_t>(s)], wb::gpu::ChainTasks::fused);
  const auto ws = wb::gpu::walk_fast(st, separate, false);
  const auto wf = wb::gpu::walk_fast(st, fused, false);
  std::int64_t saved = 0;
  for (std::size_t s = 0; s < separate.size(); ++s) {
    const auto& f = fused[s];
    EXPECT_TRUE(f.fused()) << what;
    std::size_t cur = 0;
    bool mapped = true;
    for (std::size_t i = 0; i < f.tasks.size() && mapped; ++i) {
      const std::size_t n = f.chain_tasks[i];
      mapped = cur + n <= separate[s].tasks.size();
      if (!mapped) break;
      EXPECT_EQ(wf.start[s][i], ws.start[s][cur]) << what << " stage " << s << " task " << i;
      EXPECT_EQ(wf.end[s][i], ws.end[s][cur + n - 1]) << what << " stage " << s << " task " << i;
      EXPECT_EQ(f.tasks[i].kind, separate[s].tasks[cur].kind) << what;
      if (n == 1) EXPECT_EQ(f.tasks[i].duration, separate[s].tasks[cur].duration) << what;
      saved += static_cast<std::int64_t>(n) - 1;
      cur += n;
    }
    EXPECT_TRUE(mapped && cur == separate[s].tasks.size()) << what << " stage " << s;
  }
  const auto a = wb::gpu::simulate(st, separate, wb::gpu::SimMode::fast, false, false, MPI_COMM_SELF);
  const auto b = wb::gpu::simulate(st, fused, wb::gpu::SimMode::fast, false, false, MPI_COMM_SELF);
  expect_same(b, a, what + " fused vs separate");
  EXPECT_EQ(b.events, a.events) << what;
  return saved;
}

}  // namespace

TEST(FusedChains, EqualTheSeparateTasks) {
  std::int64_t saved = 0;
  each_micro_count([&](const Layout&, const wb::gpu::StepSetup& st, std::int64_t, std::int64_t, const std::string& what) {
    saved += check_fused(st, what);
  });
  EXPECT_GT(saved, 0);
}

TEST(FusedChains, RandomLayouts) {
  std::mt19937_64 rng(20261207);
  int compared = 0;
  for (int i = 0; i < 80; ++i) {
    RandomCase c;
    if (!random_case(rng, 4, 32, false, c)) continue;
    ++compared;
    check_fused(c.setup, c.what);
  }
  EXPECT_GE(compared, 25);
}

// A fused chain stands for kernels that a straggler slows one by one: walking it with
// stragglers is refused, and the steady state keeps the tasks separate then.
TEST(FusedChains, NotWalkedWithStragglers) {
  const Layout l{"cerebras-gpt-1.3b", "dgx-a100-40gb", "zero1+tp2+mb2", "deepspeed", 2, true};
  const auto st = setup_of(l, 8);
  std::vector<wb::gpu::Program> progs(1);
  wb::gpu::build_program(st, 0, progs[0], wb::gpu::ChainTasks::fused);
  EXPECT_THROW(wb::gpu::walk_fast(st, progs, true), std::logic_error);
  EXPECT_THROW(wb::gpu::simulate(st, progs, wb::gpu::SimMode::fast, false, true, MPI_COMM_SELF), std::logic_error);
}

// training_time reports which path it took.
TEST(SteadyState, TrainingTimeSaysWhichPath) {
  const Layout l{"megatron-1.7b", "dgx-a100-80gb", "zero0+tp2+pp2+mb1", "megatron-lm", 2, false};
  const auto cluster = wb::gpu::make_node_cluster(*catalog().system(l.system).node(), l.nodes);
  wb::model::Workload w;
  w.seq_len = 2048;
  wb::gpu::TimeOptions opt;
  opt.stragglers = false;
  const auto& m = catalog().model(l.model);
  const auto& f = catalog().framework(l.framework);
  const auto many = wb::gpu::training_time(m, cluster, wb::gpu::parse_strategy(l.strategy + "+ga512"), w, f, 0, opt, MPI_COMM_SELF);
  EXPECT_TRUE(many.steady_state);
  EXPECT_LT(many.micro_batches_walked, 512);
  EXPECT_TRUE(many.steady_state_why.empty());
  const auto few = wb::gpu::training_time(m, cluster, wb::gpu::parse_strategy(l.strategy + "+ga2"), w, f, 0, opt, MPI_COMM_SELF);
  EXPECT_FALSE(few.steady_state);
  EXPECT_EQ(few.micro_batches_walked, 2);
  EXPECT_FALSE(few.steady_state_why.empty());
  opt.timeline = true;
  const auto traced = wb::gpu::training_time(m, cluster, wb::gpu::parse_strategy(l.strategy + "+ga512"), w, f, 0, opt, MPI_COMM_SELF);
  EXPECT_FALSE(traced.steady_state);
  EXPECT_EQ(traced.step_time_s, many.step_time_s);
}
