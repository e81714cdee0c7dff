// The fabric simulator at np 1, 2 and 3: exact cycle counts of hand-timed programs, functional
// results of every mapping against the reference product, loops and repeats, the effect of
// sparsity and of queue depth, deadlock and misrouting detection, and that neither skipping quiet
// blocks nor the halo depth changes anything.
#include <gtest/gtest.h>
#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "io/file_source.hpp"
#include "kernels/fabric_types.hpp"
#include "sim/mesh_engine.hpp"
#include "study/plan/catalog.hpp"
#include "wafer/fabric_run.hpp"

namespace {

namespace fk = wb::kernels::fabric;
using wb::wafer::FabricCaseSpec;
using wb::wafer::FabricMapping;

wb::wafer::WaferSpec chip(const char* name) {
  static wb::io::LocalFiles files;
  static wb::study::plan::Catalog catalog(WB_TEST_INPUTS_DIR, files);
  return *catalog.system(name).wafer();
}

wb::wafer::FabricModel model(int task, int read, int depth) {
  wb::wafer::FabricModel m;
  m.present = true;
  m.queue_depth = depth;
  m.pe_queue_depth = depth;
  m.task_overhead = task;
  m.read_cycles = read;
  return m;
}

FabricCaseSpec spec(FabricMapping mapping, std::int64_t rows, std::int64_t cols, std::int64_t m, std::int64_t n,
                    std::int64_t batch, double sparsity = 0, bool check = true) {
  FabricCaseSpec s;
  s.mapping = mapping;
  s.p_rows = rows;
  s.p_cols = cols;
  s.m = m;
  s.n = n;
  s.batch = batch;
  s.sparsity = sparsity;
  s.check = check;
  return s;
}

wb::wafer::FabricRunResult run(const FabricCaseSpec& s, const wb::wafer::FabricModel& m, const char* chip_name = "cs-3") {
  return wb::wafer::run_fabric_case(MPI_COMM_WORLD, s, chip(chip_name), m, true, 1000000);
}

// Two PEs in a column, one weight each: x goes to each PE through its own ramp, the FMAC costs
// one cycle, the top PE sends its partial sum south, the bottom one adds it. Timed by hand from
// the rules in docs/fabric-model.md: 6 cycles without task overhead; with 5 cycles of overhead per
// task, 21 (x data task, reduce task, receive task each pay it).
TEST(FabricEngine, HandTimedChain) {
  int ranks = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  if (ranks > 2) GTEST_SKIP() << "a 2-PE fabric splits over at most 2 ranks";
  const auto s = spec(FabricMapping::chain, 2, 1, 2, 1, 1);
  const auto r0 = run(s, model(0, 1, 4));
  EXPECT_EQ(r0.stats.cycles, 6);
  EXPECT_LT(r0.max_error, 1e-6);
  const auto r5 = run(s, model(5, 1, 4));
  EXPECT_EQ(r5.stats.cycles, 21);
  EXPECT_EQ(r5.stats.busy + r5.stats.stall_in + r5.stats.stall_out + r5.stats.idle, 21 * 2);
}

TEST(FabricEngine, EveryMappingComputesTheProduct) {
  const auto m = model(7, 2, 3);
  const FabricCaseSpec cases[] = {
      spec(FabricMapping::chain, 5, 4, 23, 17, 1),                 // uneven tiles
      spec(FabricMapping::chain, 6, 3, 18, 12, 3, 0.6),            // sparse GEMM
      spec(FabricMapping::allreduce, 7, 3, 21, 9, 2),              // odd column
      spec(FabricMapping::allreduce, 8, 2, 16, 5, 1),              // even column
      spec(FabricMapping::weight_streaming, 6, 5, 30, 11, 17),     // dense
      spec(FabricMapping::weight_streaming, 5, 4, 40, 9, 8, 0.75), // sparse
      spec(FabricMapping::meshgemv, 9, 7, 40, 30, 2, 0.5),         // K-tree, uneven groups, sparse
      spec(FabricMapping::meshgemv, 4, 3, 8, 9, 1),                // groups of 2
      spec(FabricMapping::cannon, 5, 5, 23, 17, 13),               // padded tiles
      spec(FabricMapping::meshgemm, 6, 6, 23, 17, 13),             // INTERLEAVE ring, even P
      spec(FabricMapping::meshgemm, 7, 7, 21, 28, 14),             // odd P
      spec(FabricMapping::summa, 5, 5, 23, 17, 13),
  };
  for (const auto& c : cases) {
    const auto r = run(c, m);
    EXPECT_TRUE(r.checked);
    EXPECT_LT(r.max_error, 1e-6) << wb::wafer::to_string(c.mapping) << " " << c.m << "x" << c.n << "x" << c.batch;
    EXPECT_GT(r.stats.cycles, 0);
  }
}

// A one-PE MeshGEMV, timed by hand: the kernel's task starts (task_overhead), then one vector FMAC
// per x element over the 16 weights of its row at 8 fp16 lanes (2 cycles each): 5 x 2 = 10 cycles.
TEST(FabricEngine, HandTimedLocalGemv) {
  int ranks = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  if (ranks > 1) GTEST_SKIP() << "a one-PE fabric runs on one rank";
  const auto s = spec(FabricMapping::meshgemv, 1, 1, 5, 16, 1);
  EXPECT_EQ(run(s, model(0, 1, 4)).stats.cycles, 10);
  EXPECT_EQ(run(s, model(7, 1, 4)).stats.cycles, 17);
}

// Loops keep a program's length independent of the grid: the longest op list of each shift GEMM
// is as long on 24 x 24 PEs as on 6 x 6.
TEST(FabricEngine, ProgramLengthIndependentOfGrid) {
  auto longest = [](const FabricCaseSpec& s) {
    const auto prog = wb::wafer::build_fabric_program(s, chip("cs-3"), model(1, 1, 4));
    std::size_t most = 0;
    for (const auto& ops : prog.mesh.programs) {
      std::size_t n = 0;
      while (n < ops.size() && ops[n].kind != fk::kEnd) ++n;
      most = std::max(most, n);
    }
    return most;
  };
  for (auto m : {FabricMapping::cannon, FabricMapping::meshgemm, FabricMapping::summa}) {
    const std::size_t small = longest(spec(m, 6, 6, 24, 24, 24, 0, false));
    EXPECT_GT(small, 4U) << wb::wafer::to_string(m);
    EXPECT_EQ(longest(spec(m, 24, 24, 96, 96, 96, 0, false)), small) << wb::wafer::to_string(m);
  }
}

// Shifts need no barrier between steps: each PE waits only for its own transfers, so the ring of
// tiles runs as a pipeline and Cannon's head-to-tail wrap costs its hops once, not every step; a
// step then costs the same on any grid for both kernels. MeshGEMM overlaps the shifts with the
// tile multiply, Cannon does one after the other (here 12 cycles of receiving 4 wavelets at 3 cycles
// each). Same 2 x 2 tiles on grids of 8 and 24: cycles per step (alignment and multiply-shift
// steps, 2 (P - 1) in all).
TEST(FabricEngine, ShiftGemmStepIndependentOfGrid) {
  const auto m = model(13, 3, 7);
  auto per_step = [&](FabricMapping mapping, std::int64_t p) {
    const auto r = run(spec(mapping, p, p, 2 * p, 2 * p, 2 * p, 0, false), m);
    return static_cast<double>(r.stats.cycles) / static_cast<double>(2 * (p - 1));
  };
  const double mesh8 = per_step(FabricMapping::meshgemm, 8), mesh24 = per_step(FabricMapping::meshgemm, 24);
  const double cannon8 = per_step(FabricMapping::cannon, 8), cannon24 = per_step(FabricMapping::cannon, 24);
  EXPECT_NEAR(mesh24 / mesh8, 1.0, 0.1);
  EXPECT_NEAR(cannon24 / cannon8, 1.0, 0.1);
  EXPECT_GT(cannon8 - mesh8, 0.5 * 12);
  EXPECT_GT(cannon24 - mesh24, 0.5 * 12);
}

// MeshGEMV's K-tree puts about g + P/g adding PEs on the critical path (g = round(sqrt(P))), the
// chain P: with the same 6 x 6 tile per PE, going from P = 16 to 64 adds far fewer cycles to the
// tree than to the chain (4x the PEs: the chain's increment is ~3x its 16-PE cost, the tree's
// adding PEs only double), and the tree is the faster kernel at both sizes.
TEST(FabricEngine, MeshGemvGrowsLikeItsTree) {
  const auto m = model(13, 3, 7);
  auto cycles = [&](FabricMapping mapping, std::int64_t p) {
    return run(spec(mapping, p, p, 6 * p, 6 * p, 1, 0, false), m).cycles_max;
  };
  const double tree16 = cycles(FabricMapping::meshgemv, 16), tree64 = cycles(FabricMapping::meshgemv, 64);
  const double chain16 = cycles(FabricMapping::chain, 16), chain64 = cycles(FabricMapping::chain, 64);
  EXPECT_LT(tree16, chain16);
  EXPECT_LT(tree64, chain64);
  EXPECT_GT(chain64 - chain16, 2.5 * chain16);
  EXPECT_LT(tree64 - tree16, 0.25 * (chain64 - chain16));
}

// The timer statistics are per timed repeat: back to back, a repeat costs about a single run (its
// accumulators cleared and a loop branch more, no barrier), not four, and the first timed start
// follows the warm-up.
TEST(FabricEngine, TimerStatisticsArePerRepeat) {
  const auto m = model(13, 3, 7);
  auto s = spec(FabricMapping::meshgemv, 8, 6, 48, 36, 1, 0, false);
  const auto once = run(s, m);
  s.warmup = 1;
  s.repeats = 4;
  const auto many = run(s, m);
  EXPECT_GT(many.stats.start_min, 0);
  EXPECT_LT(many.cycles_max, 1.1 * once.cycles_max);
  EXPECT_GT(many.cycles_max, 0.5 * once.cycles_max);
  EXPECT_LE(many.cycles_mean, many.cycles_max);
  EXPECT_DOUBLE_EQ(many.launch_cycles, once.launch_cycles);  // the host's part is outside the timers
}

// Repeats run the kernel back to back from its accumulators cleared: the values stay exact, and
// the PE timers measure every repeat.
TEST(FabricEngine, RepeatsClearAndTimeEveryRun) {
  const auto m = model(13, 3, 7);
  for (auto mapping : {FabricMapping::chain, FabricMapping::allreduce, FabricMapping::meshgemv}) {
    auto s = spec(mapping, 6, 4, 24, 16, 1);
    const auto once = run(s, m);
    s.repeats = 3;
    const auto thrice = run(s, m);
    EXPECT_LT(thrice.max_error, 1e-6) << wb::wafer::to_string(mapping);
    EXPECT_GT(thrice.stats.span_sum, 2 * once.stats.span_sum) << wb::wafer::to_string(mapping);
    s.warmup = 1;
    s.repeats = 1;
    const auto warm = run(s, m);
    EXPECT_LT(warm.max_error, 1e-6) << wb::wafer::to_string(mapping);
    EXPECT_GT(warm.stats.start_min, 0) << wb::wafer::to_string(mapping);
  }
}

// Zero weights are never sent and their work never issued: streaming time and busy PE-cycles fall
// with sparsity, and the results stay exact.
TEST(FabricEngine, SparsitySkipsZeros) {
  const auto m = model(5, 1, 4);
  std::int64_t last_cycles = 0, last_busy = 0;
  for (double sp : {0.0, 0.5, 0.9}) {
    const auto r = run(spec(FabricMapping::weight_streaming, 4, 4, 64, 16, 32, sp), m, "cs-2");
    EXPECT_LT(r.max_error, 1e-6);
    if (last_cycles) {
      EXPECT_LT(r.stats.cycles, last_cycles) << sp;
      EXPECT_LT(r.stats.busy, last_busy) << sp;
    }
    last_cycles = r.stats.cycles;
    last_busy = r.stats.busy;
  }
}

// Back-pressure: one-slot queues make producers wait on credits (stall_out) and slow the layer
// down, without losing or reordering a wavelet.
TEST(FabricEngine, ShallowQueuesBackPressure) {
  const auto s = spec(FabricMapping::weight_streaming, 6, 6, 48, 12, 48);
  const auto deep = run(s, model(3, 1, 16));
  const auto shallow = run(s, model(3, 1, 1));
  EXPECT_LT(deep.max_error, 1e-6);
  EXPECT_LT(shallow.max_error, 1e-6);
  EXPECT_GT(shallow.stats.stall_out, 0);
  EXPECT_GT(shallow.stats.cycles, deep.stats.cycles);
}

// Skipping quiet blocks is an optimisation only: cycles, counters and the busy map are the same
// as when every PE is stepped every cycle.
TEST(FabricEngine, SkippingQuietBlocksChangesNothing) {
  auto s = spec(FabricMapping::chain, 40, 20, 80, 60, 1, 0.3, false);
  const auto m = model(9, 2, 4);
  const auto skip = run(s, m);
  s.skip_quiet = false;
  const auto all = run(s, m);
  EXPECT_EQ(skip.stats.cycles, all.stats.cycles);
  EXPECT_EQ(skip.stats.busy, all.stats.busy);
  EXPECT_EQ(skip.stats.stall_in, all.stats.stall_in);
  EXPECT_EQ(skip.stats.stall_out, all.stats.stall_out);
  EXPECT_EQ(skip.stats.span_sum, all.stats.span_sum);
  EXPECT_EQ(skip.busy, all.busy);
  EXPECT_LT(skip.stats.block_steps, all.stats.block_steps);
}

// The halo depth (cycles between exchanges of the ghost PEs) and the cycles per wavefront change
// nothing either: cycles, counters, the busy map and the values are the same for depths from 1 to
// 64 and wavefronts of 1, 3 and 8 cycles (several per epoch, a last one shorter), on a case whose
// waves cross the rank boundaries in both directions.
TEST(FabricEngine, HaloDepthAndWavefrontChangeNothing) {
  auto s = spec(FabricMapping::allreduce, 24, 36, 72, 108, 1, 0.2, true);
  const auto m = model(5, 1, 2);
  s.halo_depth = 1;
  const auto ref = run(s, m);
  EXPECT_EQ(ref.stats.halo_depth, 1);
  for (const auto& [depth, levels] : std::vector<std::pair<int, int>>{{2, 0}, {8, 0}, {64, 0}, {8, 1}, {8, 3}, {64, 8}}) {
    s.halo_depth = depth;
    s.wave_levels = levels;
    const auto r = run(s, m);
    const std::string where = std::to_string(depth) + "/" + std::to_string(levels);
    EXPECT_EQ(r.stats.cycles, ref.stats.cycles) << where;
    EXPECT_EQ(r.stats.simulated_cycles, ref.stats.simulated_cycles) << where;
    EXPECT_EQ(r.stats.busy, ref.stats.busy) << where;
    EXPECT_EQ(r.stats.stall_in, ref.stats.stall_in) << where;
    EXPECT_EQ(r.stats.stall_out, ref.stats.stall_out) << where;
    EXPECT_EQ(r.stats.span_sum, ref.stats.span_sum) << where;
    EXPECT_EQ(r.stats.edge_out, ref.stats.edge_out) << where;
    EXPECT_EQ(r.busy, ref.busy) << where;
    EXPECT_EQ(r.max_error, ref.max_error) << where;
  }
}

wb::sim::MeshProgram one_pe_program(int width) {
  wb::sim::MeshProgram p;
  p.width = width;
  p.height = 1;
  p.config.colours = 1;
  p.routes.resize(2);
  p.programs.resize(2);
  return p;
}

TEST(FabricEngine, DetectsDeadlock) {
  auto p = one_pe_program(4);
  p.routes[1][0] = fk::Route{fk::kWest, fk::port_bit(fk::kRamp)};
  p.programs[1][0].kind = fk::kRecv;
  p.programs[1][0].cin = 0;
  p.programs[1][0].n = 1;
  p.setup = [](int gx, int, wb::sim::PeSetup& pe) {
    pe.route_id = gx == 0 ? 1 : 0;
    pe.prog_id = gx == 0 ? 1 : 0;
  };
  wb::sim::MeshEngine engine(MPI_COMM_WORLD, p);
  EXPECT_THROW(engine.run(10000), std::runtime_error);
}

TEST(FabricEngine, DetectsMisrouting) {
  auto p = one_pe_program(4);
  // PE 0 sends east on colour 0, but its neighbour's route for colour 0 receives from the north.
  p.routes[1][0] = fk::Route{fk::kRamp, fk::port_bit(fk::kEast)};
  p.routes.push_back({});
  p.routes[2][0] = fk::Route{fk::kNorth, fk::port_bit(fk::kRamp)};
  p.programs[1][0].kind = fk::kSend;
  p.programs[1][0].cout = 0;
  p.programs[1][0].n = 1;
  p.setup = [](int gx, int, wb::sim::PeSetup& pe) {
    pe.route_id = gx == 0 ? 1 : (gx == 1 ? 2 : 0);
    pe.prog_id = gx == 0 ? 1 : 0;
  };
  wb::sim::MeshEngine engine(MPI_COMM_WORLD, p);
  EXPECT_THROW(engine.run(10000), std::runtime_error);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int status = 0;
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank != 0) {
      auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
      delete listeners.Release(listeners.default_result_printer());
    }
    status = RUN_ALL_TESTS();
    int worst = 0;
    MPI_Allreduce(&status, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    status = worst;
  }
  MPI_Finalize();
  return status;
}
