// The analytic costs of the resident wafer kernels (suite/wafer/resident_kernels.*) and the wafer
// model's choice among kernels per product (CycleModel): growth with the grid as the algorithms
// say, the SRAM budget, and that the chosen kernel is the fastest that fits.
#include <gtest/gtest.h>

#include <cmath>

#include "wafer/cycle_model.hpp"
#include "wafer/resident_kernels.hpp"
#include "test_catalog.hpp"

using namespace wb;

namespace {

const wafer::WaferSpec& cs3() { return *test::catalog().system(std::string("cs-3")).wafer(); }

wafer::ResidentGemm square(double rows, double inner, double cols, std::int64_t p) {
  return {rows, inner, cols, 1.0, p, p};
}

}  // namespace

TEST(ResidentKernels, SramBudgetIsThePeLessItsReservedPart) {
  EXPECT_DOUBLE_EQ(wafer::kernel_sram_budget(cs3()), 48.0 * 1024 - 8.0 * 1024);
}

// MeshGEMV's K-tree: with a fixed tile per PE the PEs that receive, add and send grow like
// g + P/g ~ 2 sqrt(P); only the router hops (a cycle each) grow like P. From P = 120 to 600 (5x)
// the growing part must grow clearly less than 5x (a chain's would grow 5x).
TEST(ResidentKernels, MeshGemvGrowsLikeTheKTree) {
  auto cost = [](std::int64_t p) { return wafer::meshgemv_cost({1, 6.0 * p, 6.0 * p, 1.0, p, p}, cs3()).cycles; };
  const double c120 = cost(120), c600 = cost(600), c1 = cost(1);
  EXPECT_GT(c600, c120);
  EXPECT_LT((c600 - c1) / (c120 - c1), 0.75 * 5.0);
  EXPECT_EQ(wafer::ktree_group(600), 24);
}

TEST(ResidentKernels, MeshGemmOverlapsWhatCannonSerialises) {
  const auto g = square(2048, 2048, 2048, 64);
  const auto cannon = wafer::shift_gemm_cost(wafer::ShiftKind::cannon, g, cs3());
  const auto mesh = wafer::shift_gemm_cost(wafer::ShiftKind::meshgemm, g, cs3());
  const auto summa = wafer::shift_gemm_cost(wafer::ShiftKind::summa, g, cs3());
  ASSERT_TRUE(cannon.applies && mesh.applies && summa.applies);
  EXPECT_LT(mesh.cycles, cannon.cycles);
  EXPECT_LT(mesh.cycles, summa.cycles);
  // SUMMA's broadcast crosses the whole line every step: on a finer grid it falls further behind.
  const auto fine = square(2048, 2048, 2048, 256);
  EXPECT_GT(wafer::shift_gemm_cost(wafer::ShiftKind::summa, fine, cs3()).cycles /
                wafer::shift_gemm_cost(wafer::ShiftKind::meshgemm, fine, cs3()).cycles,
            summa.cycles / mesh.cycles);
  // 32 x 32 tiles: two fp16 buffers of A and B, one fp32 C.
  EXPECT_DOUBLE_EQ(mesh.sram_bytes, 4.0 * 32 * 32 + 4.0 * 32 * 32 + 4.0 * 32 * 32);
}

TEST(ResidentKernels, ShiftGemmsTakeTheLargestSquareThatFits) {
  EXPECT_FALSE(wafer::shift_gemm_cost(wafer::ShiftKind::meshgemm, square(1, 4096, 4096, 600), cs3()).applies);
  const auto narrow = wafer::shift_gemm_cost(wafer::ShiftKind::meshgemm, {16, 4096, 4096, 1.0, 600, 400}, cs3());
  ASSERT_TRUE(narrow.applies);
  // 16 x 16 grid: tiles 1 x 256 (A), 256 x 256 (B) -- far beyond 40 KB per PE.
  EXPECT_GT(narrow.sram_bytes, wafer::kernel_sram_budget(cs3()));
}

// The wafer model keeps the fastest kernel among those that fit; a layer-pipelined product may
// use a resident kernel, a streamed weight product only weight streaming.
TEST(ResidentKernels, CycleModelPicksTheFastestThatFits) {
  const wafer::CycleModel cm(cs3());
  const wafer::AnalyticCycles an(cs3());
  const wafer::Rect rect{512, 512};
  const wafer::Gemm g{"mlp_in", 2048, 2048, 8192, 1, true, 1.0, 1.0};
  const auto streamed = cm.gemm(g, wafer::Phase::fwd, wafer::Dataflow::streamed, rect);
  EXPECT_EQ(streamed.kernel, wafer::Kernel::weight_streaming);
  const auto pipelined = cm.gemm(g, wafer::Phase::fwd, wafer::Dataflow::stationary, rect);
  for (const auto k : {wafer::Kernel::chain, wafer::Kernel::meshgemv, wafer::Kernel::cannon, wafer::Kernel::meshgemm,
                       wafer::Kernel::summa}) {
    const wafer::CycleQuery q{&g, wafer::Phase::fwd, wafer::Dataflow::stationary, rect, k};
    if (k != wafer::Kernel::chain && !an.resident(q).applies) continue;
    EXPECT_LE(pipelined.cycles, *an.cycles(q)) << wafer::to_string(k);
  }
  EXPECT_NE(pipelined.kernel, wafer::Kernel::weight_streaming);
  // With 2048 tokens resident per PE row, MeshGEMV's x tile (2048 x 4 fp16) and partial sums
  // (2048 x 16 fp32) exceed the budget on this rectangle: it must not be chosen.
  const wafer::CycleQuery gemv{&g, wafer::Phase::fwd, wafer::Dataflow::stationary, rect, wafer::Kernel::meshgemv};
  EXPECT_FALSE(an.resident(gemv).applies);
  EXPECT_NE(pipelined.kernel, wafer::Kernel::meshgemv);
}
