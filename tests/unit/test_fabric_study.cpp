// Fabric studies without running the simulator: parsing and validation of cases and layer
// sweeps, the fabric model block, and the documented result schema.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "io/error.hpp"
#include "io/file_source.hpp"
#include "study/plan/study.hpp"
#include "wafer/fabric_program.hpp"
#include "test_catalog.hpp"

using namespace wb;

namespace {

using test::catalog;

study::plan::Study load(const std::string& text) { return test::plan_study(text, "f.yaml"); }

std::string error_of(const std::string& text) {
  try {
    load(text);
  } catch (const io::InputError& e) {
    return e.what();
  }
  return "";
}

const std::string kHead = "schema_version: 1\nkind: fabric\ntitle: t\n";

}  // namespace

TEST(FabricStudy, CaseFieldsAndDefaults) {
  const auto st = load(kHead + R"(cases:
  - {name: a, system: cs-3, mapping: allreduce, rows: 4, cols: 3, m: 24, n: 18, statistic: mean,
     published: {cycles: 100, tolerance: 20%, source: "s"}}
  - {name: b, system: cs-2, mapping: weight-streaming, rows: 4, cols: 3, m: 24, n: 18, batch: 9, sparsity: 75%,
     sampled_outputs: 4, heatmap: true, check: true}
)");
  ASSERT_EQ(st.kind, study::plan::StudyKind::fabric);
  ASSERT_EQ(st.fabric_cases.size(), 2u);
  const auto& a = st.fabric_cases[0];
  EXPECT_EQ(a.spec.mapping, wafer::FabricMapping::allreduce);
  EXPECT_EQ(a.spec.batch, 1);
  EXPECT_EQ(a.statistic, "mean");
  ASSERT_TRUE(a.published);
  EXPECT_DOUBLE_EQ(a.published->tolerance, 0.2);
  EXPECT_TRUE(a.published->fit);
  const auto& b = st.fabric_cases[1];
  EXPECT_DOUBLE_EQ(b.spec.sparsity, 0.75);
  EXPECT_EQ(b.spec.sampled_outputs, 4);
  EXPECT_TRUE(b.heatmap && b.spec.check);
  EXPECT_FALSE(b.published);
}

// Forward and backward-data shapes coincide (ffn_up backward is ffn_down forward, attn_out is
// square), so the sweep keeps 7 distinct shapes of the 111M model per sparsity and records every
// use of each in `origin`.
TEST(FabricStudy, LayerSweepKeepsDistinctShapes) {
  const auto st = load(kHead + R"(layer_sweeps:
  - name: s
    models: cerebras-gpt-111m
    systems: cs-2
    mapping: weight-streaming
    passes: [fwd, bwd-data]
    sparsity: [0, 0.5]
    tokens: 2048
    rectangle: whole
)");
  ASSERT_EQ(st.fabric_cases.size(), 14u);
  int merged = 0;
  for (const auto& c : st.fabric_cases) {
    EXPECT_EQ(c.spec.p_rows, std::min<std::int64_t>(994, c.spec.m));  // a row per row of W at most
    EXPECT_EQ(c.spec.p_cols, 750);
    EXPECT_TRUE(c.spec.whole_fabric);
    if (c.origin.find(", ") != std::string::npos) ++merged;
  }
  EXPECT_EQ(merged, 6);  // (768x768), (768x3072) and (3072x768) at two sparsities
  EXPECT_EQ(st.fabric_cases[0].name, "cs-2/weight-streaming/768x2304x2048/768x750/s0");
}

TEST(FabricStudy, RejectsImpossibleCases) {
  EXPECT_NE(error_of(kHead + "cases:\n  - {name: a, system: a100-40gb, mapping: chain, rows: 2, cols: 2, m: 4, n: 4}\n")
                .find("fabric cases need a wafer system"),
            std::string::npos);
  EXPECT_NE(error_of(kHead + "cases:\n  - {name: a, system: cs-2, mapping: chain, rows: 8, cols: 2, m: 4, n: 4}\n")
                .find("more PE rows than the inner dimension"),
            std::string::npos);
  EXPECT_NE(error_of(kHead + "cases:\n  - {name: a, system: cs-2, mapping: weight-streaming, rows: 2, cols: 8, m: 4, n: 4, batch: 4}\n")
                .find("batch must be >= p_cols"),
            std::string::npos);
  EXPECT_NE(error_of(kHead + "cases:\n  - {name: a, system: cs-2, mapping: chain, rows: 2, cols: 2, m: 4, n: 4, sampled_outputs: 1}\n")
                .find("sampled_outputs applies to weight-streaming only"),
            std::string::npos);
  EXPECT_NE(error_of(kHead + "cases:\n  - {name: a, system: cs-2, mapping: chain, rows: 2, cols: 2, m: 4, n: 4}\n"
                             "  - {name: a, system: cs-2, mapping: chain, rows: 2, cols: 2, m: 4, n: 4}\n")
                .find("appears twice"),
            std::string::npos);
  EXPECT_NE(error_of(kHead + "cases: []\n").find("at least one case"), std::string::npos);
  EXPECT_NE(error_of(kHead + "cases:\n  - {name: a, system: cs-2, mapping: chain, rows: 2, cols: 2, m: 4, n: 4, speed: 1}\n")
                .find("speed"),
            std::string::npos);
}

// The free parameters are fitted once (on WSE-3) and reused unchanged on every chip.
TEST(FabricStudy, FabricModelIsSharedByTheChips) {
  const auto& a = catalog().system("cs-2").wafer()->fabric;
  const auto& b = catalog().system("cs-3").wafer()->fabric;
  ASSERT_TRUE(a.present && b.present);
  EXPECT_EQ(a.queue_depth, b.queue_depth);
  EXPECT_EQ(a.pe_queue_depth, b.pe_queue_depth);
  EXPECT_EQ(a.task_overhead, b.task_overhead);
  EXPECT_EQ(a.read_cycles, b.read_cycles);
  // ...and by the analytic mapping of the wafer model: one task overhead for the same PE.
  for (const char* chip : {"cs-1", "cs-2", "cs-3"})
    EXPECT_EQ(catalog().system(chip).wafer()->mapping.task_overhead_cycles, static_cast<double>(b.task_overhead)) << chip;
}

// The sparsity pattern hits the requested fraction (it sets how many wavelets are streamed).
TEST(FabricStudy, SparsityPatternFraction) {
  for (double s : {0.5, 0.75, 0.9}) {
    const std::uint32_t t = wafer::zero_threshold_of(s);
    std::int64_t zeros = 0, total = 0;
    for (int r = 0; r < 300; ++r)
      for (int c = 0; c < 300; ++c, ++total) zeros += wafer::reference_weight(r, c, 7, t) == 0.0 ? 1 : 0;
    EXPECT_NEAR(static_cast<double>(zeros) / static_cast<double>(total), s, 0.01) << s;
  }
  EXPECT_EQ(wafer::zero_threshold_of(0.0), 0u);
}
