// The GPU-cluster simulator gives the same step, to the picosecond, however it is run:
//   * the full PDES over all ranks of MPI_COMM_WORLD (np 1, 2, 3 from CMake),
//   * the full PDES on this rank alone (MPI_COMM_SELF),
//   * the reduced serial fast path, wherever reduced_applicable() says it is exact.
// Also: a synthetic model on the bare engine (random delays, cross-rank traffic) processes the
// same events in the same order at any rank count.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gpu/cluster_sim.hpp"
#include "gpu/steady_state.hpp"
#include "gpu/time_model.hpp"
#include "io/file_source.hpp"
#include "sim/pdes.hpp"
#include "sim/random.hpp"
#include "study/plan/catalog.hpp"

namespace {

int g_rank = 0, g_ranks = 1;

wb::study::plan::Catalog& catalog() {
  static wb::io::LocalFiles files;
  static wb::study::plan::Catalog c(WB_TEST_INPUTS_DIR, files);
  return c;
}

struct Case {
  std::string model, system, strategy, framework;
  std::int64_t nodes;
  std::int64_t seq, global_batch;
  bool stragglers;
};

wb::gpu::StepSetup setup_of(const Case& c) {
  const auto& m = catalog().model(c.model);
  const auto& sys = catalog().system(c.system);
  const auto cluster = wb::gpu::make_node_cluster(*sys.node(), c.nodes);
  wb::model::Workload w;
  w.seq_len = c.seq;
  w.global_batch = c.global_batch;
  const auto s = wb::gpu::parse_strategy(c.strategy);
  const auto& f = catalog().framework(c.framework);
  const double cv = c.stragglers ? 0.03 : 0.0;  // larger than the inputs' to make stragglers matter
  return wb::gpu::make_step_setup(m, cluster, s, w, f, cv, 7);
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
  ASSERT_EQ(a.timeline.size(), b.timeline.size()) << what;
  for (std::size_t i = 0; i < a.timeline.size(); ++i) {
    EXPECT_EQ(a.timeline[i].device, b.timeline[i].device) << what << " row " << i;
    EXPECT_EQ(a.timeline[i].start, b.timeline[i].start) << what << " row " << i;
    EXPECT_EQ(a.timeline[i].end, b.timeline[i].end) << what << " row " << i;
    EXPECT_EQ(static_cast<int>(a.timeline[i].kind), static_cast<int>(b.timeline[i].kind)) << what << " row " << i;
  }
}

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {
      // Megatron: tensor x pipeline (1F1B), interleaved, gradient all-reduce after backward.
      {"megatron-1.7b", "dgx-a100-80gb", "zero0+tp2+pp2+mb2+recompute-full", "megatron-lm", 2, 2048, 32, false},
      {"megatron-1.7b", "dgx-a100-80gb", "zero0+tp2+pp4+vp2+mb1+recompute-full", "megatron-lm", 2, 2048, 16, false},
      {"megatron-1.7b", "dgx-a100-80gb", "zero1+tp4+pp2+mb2", "megatron-sc21", 2, 2048, 16, false},
      // Offload with pipeline stages that each fill whole nodes: host resources stay symmetric.
      {"megatron-1.7b", "dgx-a100-80gb", "zero1+offload+tp4+pp2+mb2", "megatron-lm", 4, 2048, 32, false},
      // Pipeline with stragglers: only the full simulation (checked across ranks).
      {"megatron-1.7b", "dgx-a100-80gb", "zero0+tp2+pp2+mb2+recompute-full", "megatron-sc21", 2, 2048, 16, true},
      // DeepSpeed data parallel with stragglers: the fast path uses the slowest device.
      {"cerebras-gpt-1.3b", "dgx-a100-40gb", "zero2+offload+mb1+recompute-full", "deepspeed", 1, 2048, 0, true},
      {"cerebras-gpt-1.3b", "dgx-a100-40gb", "zero2+offload+delayed-update+mb1", "deepspeed", 2, 2048, 0, true},
      {"cerebras-gpt-1.3b", "dgx-a100-40gb", "zero3+mb2+recompute-full", "deepspeed", 2, 2048, 0, true},
      {"cerebras-gpt-1.3b", "dgx-a100-40gb", "zero3+offload+param-offload+mb1", "deepspeed", 1, 2048, 0, false},
      {"cerebras-gpt-1.3b", "dgx-a100-40gb", "zero1+tp2+mb2", "deepspeed", 2, 2048, 64, true},
      // Offload with tensor parallelism and stragglers: host copies stop being simultaneous.
      {"cerebras-gpt-1.3b", "dgx-a100-40gb", "zero2+offload+tp2+mb1", "deepspeed", 1, 2048, 0, true},
  };
  return c;
}

}  // namespace

TEST(GpuSim, FullSimulationIsIdenticalOnAnyRankCount) {
  for (const Case& c : cases()) {
    const auto st = setup_of(c);
    const auto programs = wb::gpu::build_programs(st);
    const auto world = wb::gpu::simulate(st, programs, wb::gpu::SimMode::full, c.stragglers, true, MPI_COMM_WORLD);
    const auto self = wb::gpu::simulate(st, programs, wb::gpu::SimMode::full, c.stragglers, true, MPI_COMM_SELF);
    expect_same(world, self, c.model + "/" + c.strategy + " world vs one rank");
    EXPECT_EQ(world.events, self.events) << c.strategy;
    EXPECT_GT(world.step_time, 0);
    // The breakdown walks the critical path of the measured run: its parts sum to the step.
    EXPECT_EQ(world.breakdown.total(), world.step_time) << c.strategy;
    EXPECT_EQ(world.breakdown.phase[0] + world.breakdown.phase[1] + world.breakdown.phase[2], world.step_time) << c.strategy;
  }
}

TEST(GpuSim, FastPathEqualsFullSimulationWhereApplicable) {
  int checked = 0;
  for (const Case& c : cases()) {
    const auto st = setup_of(c);
    std::string why;
    if (!wb::gpu::reduced_applicable(st, c.stragglers, &why)) continue;
    const auto programs = wb::gpu::build_programs(st);
    const auto full = wb::gpu::simulate(st, programs, wb::gpu::SimMode::full, c.stragglers, true, MPI_COMM_WORLD);
    const auto reduced = wb::gpu::simulate(st, programs, wb::gpu::SimMode::reduced, c.stragglers, true, MPI_COMM_WORLD);
    const auto fast = wb::gpu::simulate(st, programs, wb::gpu::SimMode::fast, c.stragglers, true, MPI_COMM_WORLD);
    expect_same(full, reduced, c.model + "/" + c.strategy + " full vs reduced PDES");
    expect_same(full, fast, c.model + "/" + c.strategy + " full vs fast path");
    EXPECT_LT(reduced.events, full.events) << c.strategy;
    ++checked;
  }
  EXPECT_GE(checked, 8);
}

// The steady-state fast path (many micro-batches computed from a few) against the full PDES over
// every GPU on np ranks: 1F1B with 1,024 micro-batches, interleaved with 64.
TEST(GpuSim, SteadyStateEqualsFullSimulation) {
  for (const Case& c : {Case{"megatron-1.7b", "dgx-a100-80gb", "zero0+pp2+mb1", "megatron-lm", 2, 2048, 8 * 1024, false},
                        Case{"megatron-1.7b", "dgx-a100-80gb", "zero0+tp2+pp4+vp2+mb1", "megatron-lm", 2, 2048, 2 * 64, false}}) {
    const auto st = setup_of(c);
    ASSERT_TRUE(wb::gpu::reduced_applicable(st, false)) << c.strategy;
    wb::gpu::SimRun steady;
    std::string why;
    ASSERT_TRUE(wb::gpu::simulate_steady(st, false, steady, &why)) << c.strategy << ": " << why;
    EXPECT_LT(steady.micro_batches_walked, st.grad_accum);
    const auto programs = wb::gpu::build_programs(st);
    const auto full = wb::gpu::simulate(st, programs, wb::gpu::SimMode::full, false, false, MPI_COMM_WORLD);
    expect_same(full, steady, c.model + "/" + c.strategy + " full PDES vs steady state");
  }
}

TEST(GpuSim, StragglersSlowTheStepDown) {
  const Case c{"cerebras-gpt-1.3b", "dgx-a100-40gb", "zero3+mb2+recompute-full", "deepspeed", 2, 2048, 0, true};
  const auto st = setup_of(c);
  const auto programs = wb::gpu::build_programs(st);
  const auto nominal = wb::gpu::simulate(st, programs, wb::gpu::SimMode::full, false, false, MPI_COMM_WORLD);
  const auto slow = wb::gpu::simulate(st, programs, wb::gpu::SimMode::full, true, false, MPI_COMM_WORLD);
  double fmax = 1.0;
  for (std::int64_t d = 0; d < st.devices; ++d) fmax = std::max(fmax, wb::gpu::straggler_factor(st, d));
  EXPECT_GT(fmax, 1.0);
  EXPECT_GT(slow.step_time, nominal.step_time);
  // The step cannot be slower than if every kernel ran at the slowest device's speed.
  EXPECT_LE(static_cast<double>(slow.step_time), static_cast<double>(nominal.step_time) * fmax * 1.000001);
}

namespace {

// A synthetic model on the bare engine: each LP forwards tokens to pseudo-random LPs with
// pseudo-random delays (at least the cross-rank latency) and keeps a running hash of what it saw.
constexpr std::int32_t kToken = 1;
class HashLp final : public wb::sim::LogicalProcess {
 public:
  HashLp(std::int32_t lps, wb::sim::SimTime min_delay) : lps_(lps), min_delay_(min_delay) {}
  void handle(const wb::sim::Event& e, wb::sim::Context& ctx) override {
    hash_ = wb::sim::splitmix64(hash_ ^ static_cast<std::uint64_t>(e.time) ^ (static_cast<std::uint64_t>(e.src) << 40) ^
                                static_cast<std::uint64_t>(e.key));
    ++seen_;
    if (e.count <= 0) return;
    for (int k = 0; k < 2; ++k) {
      const std::uint64_t r = wb::sim::splitmix64(hash_ + static_cast<std::uint64_t>(k));
      wb::sim::Event out;
      out.type = kToken;
      out.count = e.count - 1;
      out.key = static_cast<std::int64_t>(r & 0xffff);
      // Half the tokens arrive at exactly the same time as another: ties must break alike.
      const wb::sim::SimTime delay = min_delay_ * static_cast<wb::sim::SimTime>(1 + (r >> 20) % 3);
      ctx.send(static_cast<std::int32_t>((r >> 8) % static_cast<std::uint64_t>(lps_)), delay, out);
    }
  }
  std::uint64_t hash() const { return hash_; }
  std::int64_t seen() const { return seen_; }

 private:
  std::int32_t lps_;
  wb::sim::SimTime min_delay_;
  std::uint64_t hash_ = 0;
  std::int64_t seen_ = 0;
};

std::vector<std::uint64_t> run_hash_model(MPI_Comm comm) {
  int ranks = 1, rank = 0;
  MPI_Comm_size(comm, &ranks);
  MPI_Comm_rank(comm, &rank);
  const std::int32_t lps = 24;
  std::vector<int> owner(lps);
  for (int i = 0; i < lps; ++i) owner[static_cast<std::size_t>(i)] = i * ranks / lps;
  wb::sim::Engine engine(comm, owner, 1000);
  std::vector<HashLp*> mine;
  for (std::int32_t i = 0; i < lps; ++i) {
    if (!engine.is_local(i)) continue;
    auto lp = std::make_unique<HashLp>(lps, 1000);
    mine.push_back(lp.get());
    engine.add(i, std::move(lp));
    if (i % 5 == 0) {
      wb::sim::Event e;
      e.type = kToken;
      e.count = 9;
      engine.schedule(i, 0, e);
    }
  }
  const auto stats = engine.run();
  std::vector<std::uint64_t> local(static_cast<std::size_t>(lps), 0), all(static_cast<std::size_t>(lps), 0);
  std::int32_t k = 0;
  for (std::int32_t i = 0; i < lps; ++i)
    if (engine.is_local(i)) local[static_cast<std::size_t>(i)] = mine[static_cast<std::size_t>(k++)]->hash();
  MPI_Allreduce(local.data(), all.data(), lps, MPI_UINT64_T, MPI_BOR, comm);
  all.push_back(static_cast<std::uint64_t>(stats.events_total));
  return all;
}

}  // namespace

TEST(Engine, SyntheticModelIsRankIndependent) {
  const auto world = run_hash_model(MPI_COMM_WORLD);
  const auto self = run_hash_model(MPI_COMM_SELF);
  EXPECT_EQ(world, self);
  EXPECT_GT(world.back(), 1000u);
}

TEST(Engine, RejectsEventsWithoutDelay) {
  // A zero delay would let an LP's order depend on how LPs are spread over ranks.
  class Bad final : public wb::sim::LogicalProcess {
   public:
    void handle(const wb::sim::Event&, wb::sim::Context& ctx) override { ctx.send(ctx.self(), 0, wb::sim::Event{}); }
  };
  wb::sim::Engine engine(MPI_COMM_SELF, {0}, wb::sim::kNever);
  engine.add(0, std::make_unique<Bad>());
  engine.schedule(0, 0, wb::sim::Event{});
  EXPECT_THROW(engine.run(), std::logic_error);
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_ranks);
  ::testing::InitGoogleTest(&argc, argv);
  if (g_rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int status = RUN_ALL_TESTS();
  int worst = 0;
  MPI_Allreduce(&status, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return worst;
}
