// MPI measurements at np 2: the node layout adds up, the ping-pong and all-reduce sweeps give
// positive latency and bandwidth with time growing with message size, and the host kernels
// report every rank. Sanity only: speed is never asserted.
#include <gtest/gtest.h>
#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cmath>

#include "measure/comm_bench.hpp"
#include "measure/host_bench.hpp"
#include "measure/node_layout.hpp"

namespace {

int g_rank = 0;
int g_ranks = 1;

wb::measure::CommEffort small_effort() {
  wb::measure::CommEffort e;
  e.min_bytes = 8;
  e.max_bytes = 1 << 20;
  e.size_factor = 4;
  e.blocks = 5;
  e.block_bytes = 256 << 10;
  e.max_messages_per_block = 20;
  return e;
}

// Positive, finite times that grow with size: allowing noise between neighbouring sizes, but
// the largest message (2^17 times the smallest) must take clearly longer than the smallest.
void expect_sane(const wb::measure::CommSweep& s) {
  const auto sizes = wb::measure::message_sizes(small_effort());
  ASSERT_EQ(s.points.size(), sizes.size());
  for (std::size_t i = 0; i < s.points.size(); ++i) {
    const auto& p = s.points[i];
    EXPECT_EQ(p.bytes, static_cast<double>(sizes[i]));
    EXPECT_GT(p.min_s, 0);
    EXPECT_LE(p.min_s, p.median_s);
    EXPECT_LE(p.median_s, p.max_s);
    EXPECT_TRUE(std::isfinite(p.max_s));
    if (i > 0) EXPECT_GE(p.median_s, 0.5 * s.points[i - 1].median_s) << "time fell sharply at " << p.bytes << " B";
    // No timing bug that would make a message faster than 10 TB/s.
    EXPECT_GT(p.median_s, p.bytes / 1e13);
  }
  EXPECT_GT(s.points.back().median_s, 4 * s.points.front().median_s);
  EXPECT_GT(s.fit.alpha_s, 0) << "latency";
  EXPECT_GT(s.fit.beta_bytes_per_s, 0) << "bandwidth";
  EXPECT_TRUE(std::isfinite(s.fit.rms_relative_residual));
  EXPECT_EQ(s.fit.points, static_cast<int>(sizes.size()));
}

}  // namespace

TEST(NodeLayout, RanksAndNodesAddUp) {
  const wb::measure::NodeLayout layout(MPI_COMM_WORLD);
  EXPECT_GE(layout.nodes(), 1);
  ASSERT_EQ(layout.hostnames().size(), static_cast<std::size_t>(layout.nodes()));
  int total = 0;
  for (int r : layout.ranks_per_node()) total += r;
  EXPECT_EQ(total, g_ranks);
  int leaders = layout.leader() ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &leaders, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_EQ(leaders, layout.nodes());
  if (g_rank == 0) {
    EXPECT_EQ(layout.node_index(), 0);
    EXPECT_TRUE(layout.leader());
  }
  EXPECT_EQ(layout.leaders() != MPI_COMM_NULL, layout.leader());
}

// One rank per "node": the leaders' communicator spans the job and the names stay distinct.
TEST(NodeLayout, EmulatedNodesSplitTheJob) {
  const wb::measure::NodeLayout layout(MPI_COMM_WORLD, 1);
  EXPECT_TRUE(layout.emulated());
  EXPECT_EQ(layout.nodes(), g_ranks);
  EXPECT_EQ(layout.node_size(), 1);
  EXPECT_EQ(layout.node_index(), g_rank);
  ASSERT_NE(layout.leaders(), MPI_COMM_NULL);
  int leaders = 0;
  MPI_Comm_size(layout.leaders(), &leaders);
  EXPECT_EQ(leaders, g_ranks);
  EXPECT_NE(layout.hostnames().front(), layout.hostnames().back());
}

TEST(CommSweeps, PingPongIsSane) {
  ASSERT_GE(g_ranks, 2);
  const auto s = wb::measure::ping_pong(MPI_COMM_WORLD, 0, 1, small_effort());
  EXPECT_EQ(s.ranks, 2);
  expect_sane(s);
}

TEST(CommSweeps, AllreduceIsSane) {
  const auto s = wb::measure::allreduce_sweep(MPI_COMM_WORLD, small_effort());
  EXPECT_EQ(s.ranks, g_ranks);
  expect_sane(s);
}

TEST(HostKernels, EveryRankReportsAndTheNodeFigureIsConsistent) {
  const wb::measure::NodeLayout layout(MPI_COMM_WORLD);
  wb::measure::HostEffort e;
  e.stream_bytes_per_node = 24e6;
  e.adam_bytes_per_node = 18e6;
  e.gemm_n = 64;
  e.repetitions = 2;
  const auto r = wb::measure::measure_host(layout, e);
  if (g_rank != 0) return;
  for (const auto* k : {&r.stream_bytes_per_s, &r.adam_params_per_s, &r.gemm_flops_per_s}) {
    ASSERT_EQ(k->per_rank.size(), static_cast<std::size_t>(g_ranks));
    ASSERT_EQ(k->per_node.size(), static_cast<std::size_t>(layout.nodes()));
    double sum = 0;
    for (double v : k->per_rank) {
      EXPECT_GT(v, 0);
      sum += v;
    }
    // A node's rate is its total work over its slowest rank's time: never above the sum of its
    // ranks' own rates in that repetition.
    if (layout.nodes() == 1) EXPECT_LE(k->per_node[0], sum * (1 + 1e-9));
    EXPECT_GT(k->per_node[0], 0);
  }
  ASSERT_EQ(r.threads_per_node.size(), static_cast<std::size_t>(layout.nodes()));
  EXPECT_EQ(r.threads_per_node[0], layout.ranks_per_node()[0] * r.kokkos_threads_per_rank);
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_ranks);
  int failed = 0;
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    if (g_rank != 0) {
      auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
      delete listeners.Release(listeners.default_result_printer());
    }
    failed = RUN_ALL_TESTS();
  }
  int any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return any;
}
