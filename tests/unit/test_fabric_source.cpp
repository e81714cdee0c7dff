// The fabric cache as a cycle source of the wafer model (wafer/fabric_cycle_source.hpp): it
// answers exactly the shapes it holds (forward and data gradient, whole fabric for weight
// streaming), the analytic mapping answers the rest, and a training study that names a cache
// reports which source its layer cycles came from and times the step with the cached cycles.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "io/error.hpp"
#include "io/file_source.hpp"
#include "study/plan/catalog.hpp"
#include "study/plan/study.hpp"
#include "wafer/cycle_model.hpp"
#include "wafer/fabric_cycle_source.hpp"
#include "wafer/fabric_program.hpp"
#include "wafer/wafer_training.hpp"
#include "test_catalog.hpp"

using namespace wb;

namespace {

using test::catalog;

const wafer::WaferSpec& cs2() { return *catalog().system(std::string("cs-2")).wafer(); }
const model::TransformerConfig& gpt111m() { return catalog().model(std::string("cerebras-gpt-111m")); }

constexpr std::int64_t kSeq = 2048;

// A cache holding the forward and data-gradient product of every weight GEMM of a 111M block
// at one sequence per pass, at `factor` times the analytic cycles.
wafer::FabricCache block_cache(double factor, double sparsity = 0.0) {
  const wafer::WaferSpec& chip = cs2();
  const wafer::ModelWork w = wafer::decompose(gpt111m(), kSeq, 1, 1.0 - sparsity);
  const wafer::CycleModel analytic(chip);
  const wafer::Rect whole{chip.fabric_height, chip.fabric_width};
  std::vector<wafer::FabricCacheEntry> rows;
  for (const wafer::Gemm& g : w.block.gemms) {
    if (!g.weights) continue;
    for (const wafer::Phase ph : {wafer::Phase::fwd, wafer::Phase::dgrad}) {
      wafer::FabricCacheEntry e;
      e.key.chip = chip.name;
      e.key.mapping = "weight-streaming";
      e.key.m = ph == wafer::Phase::fwd ? g.k : g.n;
      e.key.n = ph == wafer::Phase::fwd ? g.n : g.k;
      e.key.batch = kSeq;
      const auto [r, c] = wafer::whole_fabric_rectangle(chip, wafer::FabricMapping::weight_streaming, e.key.m,
                                                         e.key.n, e.key.batch);
      e.key.p_rows = r;
      e.key.p_cols = c;
      e.key.sparsity = sparsity;
      e.case_name = g.name + "." + wafer::to_string(ph);
      e.cycles = factor * analytic.gemm(g, ph, wafer::Dataflow::streamed, whole).cycles;
      rows.push_back(e);
    }
  }
  return wafer::FabricCache(std::move(rows), "test");
}

TEST(FabricCycleSource, AnswersTheShapesItHoldsAndLeavesTheRestToTheAnalyticMapping) {
  const wafer::WaferSpec& chip = cs2();
  const wafer::FabricCache cache = block_cache(0.5);
  const wafer::FabricCycleSource fabric(cache, chip);
  const wafer::CycleModel analytic(chip);
  const wafer::CycleModel cm(chip, {&fabric});
  const wafer::Rect whole{chip.fabric_height, chip.fabric_width};
  const wafer::ModelWork one = wafer::decompose(gpt111m(), kSeq, 1, 1.0);
  int hits = 0;
  for (const wafer::Gemm& g : one.block.gemms) {
    for (const wafer::Phase ph : {wafer::Phase::fwd, wafer::Phase::dgrad, wafer::Phase::wgrad}) {
      const wafer::GemmCycles a = analytic.gemm(g, ph, wafer::Dataflow::streamed, whole);
      const wafer::GemmCycles f = cm.gemm(g, ph, wafer::Dataflow::streamed, whole);
      if (g.weights && ph != wafer::Phase::wgrad) {
        EXPECT_EQ(f.source, "fabric") << g.name;
        EXPECT_DOUBLE_EQ(f.cycles, 0.5 * a.cycles) << g.name;
        ++hits;
      } else {
        EXPECT_EQ(f.source, "analytic") << g.name;
        EXPECT_DOUBLE_EQ(f.cycles, a.cycles) << g.name;
      }
    }
  }
  EXPECT_EQ(hits, 8);  // qkv, proj, mlp_in, mlp_out: forward and data gradient

  // Two sequences per pass, a sparse layer, a sub-rectangle or the stationary dataflow: not held.
  const wafer::ModelWork two = wafer::decompose(gpt111m(), kSeq, 2, 1.0);
  const wafer::ModelWork sparse = wafer::decompose(gpt111m(), kSeq, 1, 0.5);
  const wafer::Gemm& qkv = one.block.gemms.front();
  ASSERT_TRUE(qkv.weights);
  EXPECT_EQ(cm.gemm(two.block.gemms.front(), wafer::Phase::fwd, wafer::Dataflow::streamed, whole).source, "analytic");
  EXPECT_EQ(cm.gemm(sparse.block.gemms.front(), wafer::Phase::fwd, wafer::Dataflow::streamed, whole).source, "analytic");
  EXPECT_EQ(cm.gemm(qkv, wafer::Phase::fwd, wafer::Dataflow::streamed, {whole.rows / 2, whole.cols}).source, "analytic");
  EXPECT_EQ(cm.gemm(qkv, wafer::Phase::fwd, wafer::Dataflow::stationary, whole).source, "analytic");
}

TEST(FabricCycleSource, CachedCyclesTimeTheWaferStep) {
  const wafer::WaferSpec& chip = cs2();
  wafer::WaferRun run;
  run.model = &gpt111m();
  run.spec = &chip;
  run.systems = 1;
  run.seq = kSeq;
  run.global_batch = 120;
  run.tokens = 1e9;
  run.strategy = wafer::parse_wafer_strategy("weight-streaming+mb1");
  const wafer::CycleModel analytic(chip);
  const wafer::WaferTraining base = wafer::plan_training(run, analytic);
  EXPECT_EQ(base.step.compute_source, "analytic");

  double block_fwd_analytic = -1, block_fwd_cached = -1;
  for (const double factor : {1.0, 2.0}) {
    const wafer::FabricCache cache = block_cache(factor);
    const wafer::FabricCycleSource fabric(cache, chip);
    const wafer::CycleModel cm(chip, {&fabric});
    const wafer::WaferTraining t = wafer::plan_training(run, cm);
    EXPECT_EQ(t.step.compute_source, "fabric+analytic");
    for (const auto& r : t.step.rows)
      if (r.name == "layer0" && r.kind == "fwd") (factor == 1.0 ? block_fwd_analytic : block_fwd_cached) = r.cycles;
    if (factor == 1.0) EXPECT_NEAR(t.step.step_s, base.step.step_s, 1e-12 * base.step.step_s);
    else EXPECT_GT(t.step.step_s, base.step.step_s);
  }
  // The block's forward cycles are its weight products (doubled) plus attention and vector work.
  ASSERT_GT(block_fwd_analytic, 0);
  EXPECT_GT(block_fwd_cached, block_fwd_analytic);
  EXPECT_LT(block_fwd_cached, 2.0 * block_fwd_analytic);
}

TEST(FabricCycleSource, StudyKeyNamesTheCacheFileAndBadFilesAreRejected) {
  const std::string text = R"(schema_version: 1
kind: training
title: t
fabric_cache: /nonexistent/cache.h5
sweeps:
  - name: a
    models: cerebras-gpt-111m
    systems: cs-2
    counts: 1
    strategies: weight-streaming+mb1
    workload: {task: train, seq_len: 2048, global_batch: 120, tokens: 1e9}
)";
  try {
    test::plan_study(text, "s.yaml");
    FAIL() << "a missing cache file was accepted";
  } catch (const io::InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("s.yaml:4:"), std::string::npos) << what;
    EXPECT_NE(what.find("fabric_cache"), std::string::npos) << what;
  }
}

}  // namespace

// A resident kernel's cached cycles are looked up under its mapping name on the largest square of
// the rectangle; the wafer model takes them when they make that kernel the fastest.
TEST(FabricCycleSource, ResidentKernelsAreLookedUpByMappingName) {
  const wafer::WaferSpec& chip = cs2();
  const wafer::Gemm g{"mlp_in", 2048, 768, 3072, 1, true, 1.0, 1.0};
  const wafer::Rect rect{300, 200};
  wafer::FabricCacheEntry e;
  e.key = {chip.name, "meshgemm", 768, 3072, 2048, 200, 200, 0.0};
  e.cycles = 1000;  // far below any analytic kernel: the cached one must win
  const wafer::FabricCache cache({e});
  const wafer::FabricCycleSource source(cache, chip);
  const wafer::CycleModel chained(chip, {&source});
  const auto c = chained.gemm(g, wafer::Phase::fwd, wafer::Dataflow::stationary, rect);
  EXPECT_EQ(c.kernel, wafer::Kernel::meshgemm);
  EXPECT_EQ(c.source, "fabric");
  EXPECT_DOUBLE_EQ(c.cycles, 1000.0);
  // The data gradient (m and n swapped) is not in the cache: the analytic mapping answers it.
  EXPECT_EQ(chained.gemm(g, wafer::Phase::dgrad, wafer::Dataflow::stationary, rect).source, "analytic");
}
