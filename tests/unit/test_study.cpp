#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "io/error.hpp"
#include "io/file_source.hpp"
#include "study/plan/study.hpp"
#include "study/run/dealing.hpp"
#include "study/schema/reference.hpp"
#include "study/schema/fabric.hpp"
#include "study/schema/scenarios.hpp"
#include "study/schema/timeline.hpp"
#include "study/schema/wafer_layers.hpp"
#include "test_catalog.hpp"

using namespace wb;

namespace {

using test::catalog;

std::string error_of(const std::string& text) {
  try {
    test::plan_study(text, "s.yaml");
  } catch (const io::InputError& e) {
    return e.what();
  }
  return "";
}

const char* kStudy = R"(schema_version: 1
kind: memory
title: t
sweeps:
  - name: a
    models: [cerebras-gpt-111m, cerebras-gpt-256m]
    systems: dgx-a100-40gb
    counts: [1, 2]
    strategies: [zero1+mb1, zero3+mb2]
    workload: {task: train, seq_len: 2048}
references:
  - {scenario: cerebras-gpt-256m@dgx-a100-40gbx2/zero3+mb2, metric: fits, published: 1, tolerance: 0, source: x}
  - {scenario: cerebras-gpt-111m@dgx-a100-40gbx1/zero1+mb1, metric: params, published: 111050496, tolerance: 0, source: y}
)";

}  // namespace

TEST(Study, ExpandsTheCartesianProductInOrder) {
  const auto st = test::plan_study(kStudy, "inputs/studies/demo.yaml");
  EXPECT_EQ(st.name, "demo");
  ASSERT_EQ(st.scenarios.size(), 8u);
  EXPECT_EQ(st.scenarios[0].id, "cerebras-gpt-111m@dgx-a100-40gbx1/zero1+mb1");
  EXPECT_EQ(st.scenarios[1].id, "cerebras-gpt-111m@dgx-a100-40gbx1/zero3+mb2");
  EXPECT_EQ(st.scenarios[2].id, "cerebras-gpt-111m@dgx-a100-40gbx2/zero1+mb1");
  EXPECT_EQ(st.scenarios[7].id, "cerebras-gpt-256m@dgx-a100-40gbx2/zero3+mb2");
  // References are ordered by scenario, whatever order they were written in.
  ASSERT_EQ(st.references.size(), 2u);
  EXPECT_EQ(st.references[0].scenario_index, 0);
  EXPECT_EQ(st.references[1].scenario_index, 7);
}

TEST(Study, ErrorsPointAtTheLineToFix) {
  std::string s = kStudy;
  EXPECT_NE(error_of(std::string(s).replace(s.find("cerebras-gpt-256m]"), 17, "cerebras-gpt-265m")).find(
                "s.yaml:6:33: sweeps[0].models[1]: unknown model 'cerebras-gpt-265m'; did you mean 'cerebras-gpt-256m'?"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(s).replace(s.find("zero3+mb2]"), 9, "zero3+mb0"))
                .find("s.yaml:9:29: sweeps[0].strategies[1]: 'mb0' must be at least 1"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(s).replace(s.find("counts: [1, 2]"), 14, "counts: [1, 0]")).find("must be a positive"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(s).replace(s.find("dgx-a100-40gbx2/zero3+mb2,"), 25, "dgx-a100-40gbx9/zero3+mb2"))
                .find("no scenario with this id"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(s).replace(s.find("kind: memory"), 12, "kind: memroy")).find("unknown study kind"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(s).replace(s.find("dgx-a100-40gb\n"), 13, "cs-2")).find("is a wafer system"),
            std::string::npos);
  // tp3 cannot divide 8 GPUs: caught when the plan is checked, on every rank alike (the study
  // without its references, which name the layout the change removes).
  const std::string sweeps = s.substr(0, s.find("references:"));
  EXPECT_NE(error_of(std::string(sweeps).replace(sweeps.find("zero1+mb1,"), 9, "zero1+tp3")).find("cannot be split"),
            std::string::npos);
}

// A study is counted before it is expanded: past the limit it fails at the sweep's name with
// the count (a search over every layout: StudySearch.AllLayoutsStopAtTheLimit).
TEST(Study, SizeIsBoundedBeforeExpanding) {
  EXPECT_EQ(study::plan::load_study(kStudy, "s.yaml", catalog(), 8).scenarios.size(), 8u);
  std::string error;
  try {
    study::plan::load_study(kStudy, "s.yaml", catalog(), 7);
  } catch (const io::InputError& e) {
    error = e.what();
  }
  EXPECT_NE(error.find("s.yaml:5:11: sweeps[0].name: sweep 'a' expands to 8 scenarios (2 models x 1 systems x 2 "
                       "counts x 2 strategies); at most 7 scenarios are expanded"),
            std::string::npos)
      << error;
}

TEST(Study, BlocksCoverEveryScenarioOnce) {
  for (int ranks : {1, 2, 3, 7}) {
    std::int64_t next = 0;
    for (int r = 0; r < ranks; ++r) {
      const auto [first, count] = study::run::block_of(10, r, ranks);
      EXPECT_EQ(first, next);
      next += count;
    }
    EXPECT_EQ(next, 10);
  }
}

TEST(Study, ReferenceComparisons) {
  namespace rc = study::schema::reference;
  EXPECT_TRUE(rc::passes(100, rc::Compare::within, 0.1, 109));
  EXPECT_FALSE(rc::passes(100, rc::Compare::within, 0.1, 111));
  EXPECT_TRUE(rc::passes(100, rc::Compare::at_least, 0.1, 1000));
  EXPECT_FALSE(rc::passes(100, rc::Compare::at_least, 0.1, 80));
  EXPECT_TRUE(rc::passes(0, rc::Compare::within, 0, 0));
  EXPECT_FALSE(rc::passes(0, rc::Compare::within, 0, 1));
  EXPECT_FALSE(rc::passes(100, rc::Compare::at_most, 0.1, std::nan("")));
  EXPECT_NEAR(rc::relative_error_of(100, 90), -0.1, 1e-12);
}

// docs/results.md documents every table and column a result file can hold, with the units the
// declarations derive.
TEST(Study, ResultsSchemaIsDocumented) {
  std::ifstream in(WB_TEST_SOURCE_DIR "/docs/results.md");
  ASSERT_TRUE(in) << "docs/results.md is missing";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  namespace schema = study::schema;
  for (const schema::TableSpec* t : {&schema::scenarios::table(), &schema::reference::table(), &schema::timeline::table(),
                                     &schema::wafer_layers::table(), &schema::fabric::table(),
                                     &schema::fabric_heatmap::table()}) {
    EXPECT_NE(doc.find("`" + t->path() + "`"), std::string::npos) << t->path() << " is not in docs/results.md";
    std::set<std::string> names;
    for (const auto* c : t->columns()) {
      EXPECT_TRUE(names.insert(c->name).second) << t->path() << " declares " << c->name << " twice";
      EXPECT_NE(doc.find(std::string("`") + c->name + "`"), std::string::npos) << c->name << " is not in docs/results.md";
      EXPECT_EQ(schema::unit_from_string(c->units()), c->unit) << c->name;
    }
  }
}

TEST(Study, EveryBundledStudyLoads) {
  for (const auto& name : catalog().names("studies")) {
    io::LocalFiles files;
    const auto text = files.read(catalog().path("studies", name));
    ASSERT_TRUE(text);
    EXPECT_NO_THROW(test::plan_study(*text, catalog().path("studies", name))) << name;
  }
}

// Every system and framework figure carries a source (the loader enforces the form; this checks
// the bundled files are complete).
TEST(Study, EveryBundledFigureHasASource) {
  for (const auto& name : catalog().names("systems")) {
    const auto& s = catalog().system(name);
    const io::Provenance* p = s.gpu() ? &s.gpu()->provenance : s.node() ? &s.node()->provenance : &s.wafer()->provenance;
    EXPECT_FALSE(p->figures.empty()) << name;
    for (const auto& f : p->figures) EXPECT_FALSE(f.source.empty()) << name << " " << f.key;
  }
}

// Fair by default: a model trained on a wafer and on GPUs in one study trains the same batch on
// both, its published one, unless a sweep gives it; without a published batch the study must.
TEST(Study, MachinesComparedTrainOneBatch) {
  const std::string compared = R"(schema_version: 1
kind: training
title: t
sweeps:
  - {name: wafer, models: MODEL, systems: cs-2, counts: 4, strategies: weight-streaming, workload: {task: train, seq_len: 2048}}
  - {name: gpu, models: MODEL, systems: dgx-a100-40gb, counts: 8, search: best, workload: {task: train, seq_len: 2048}}
)";
  auto with = [&](const std::string& model) {
    std::string s = compared;
    for (std::size_t at; (at = s.find("MODEL")) != std::string::npos;) s.replace(at, 5, model);
    return s;
  };
  const auto st = test::plan_study(with("cerebras-gpt-13b"), "s.yaml");
  ASSERT_EQ(st.scenarios.size(), 2u);
  EXPECT_EQ(st.scenarios[0].workload.global_batch, 720);
  EXPECT_EQ(st.scenarios[1].workload.global_batch, 720);
  bool said = false;
  for (const auto& a : st.assumptions) said = said || a.find("published batch of 720") != std::string::npos;
  EXPECT_TRUE(said);
  EXPECT_NE(error_of(with("mpt-7b")).find("s.yaml:5:"), std::string::npos) << error_of(with("mpt-7b"));
  EXPECT_NE(error_of(with("mpt-7b")).find("give workload.global_batch"), std::string::npos);
}

// Written GPU layouts on two GPU systems (a validation table's runs) keep each layout's batch.
TEST(Study, WrittenGpuLayoutsKeepTheirBatch) {
  const auto st = test::plan_study(R"(schema_version: 1
kind: training
title: t
sweeps:
  - {name: a, models: cerebras-gpt-13b, systems: [dgx-a100-40gb, dgx-a100-80gb], counts: 8, strategies: zero1+mb2, workload: {task: train, seq_len: 2048}}
)", "s.yaml");
  ASSERT_EQ(st.scenarios.size(), 2u);
  // 64 GPUs x micro-batch 2 under ZeRO-1: data parallel 64, 128 sequences, not the published 720.
  EXPECT_EQ(st.scenarios[0].workload.global_batch, 128);
  EXPECT_EQ(st.scenarios[1].workload.global_batch, 128);
}

// Input figures are named by their path inside the inputs directory, so that the result files of
// one study in two checkouts state the same assumptions.
TEST(Study, ProvenanceNamesFilesInsideTheInputs) {
  auto& c = catalog();
  EXPECT_EQ(c.system("cs-2").wafer()->provenance.file, "systems/cs-2.yaml");
  EXPECT_EQ(c.system("dgx-a100-40gb").node()->provenance.file, "systems/dgx-a100-40gb.yaml");
  EXPECT_EQ(c.system("dgx-a100-40gb").node()->gpu.provenance.file, "systems/a100-40gb.yaml");
  EXPECT_EQ(c.system("a100-80gb").gpu()->provenance.file, "systems/a100-80gb.yaml");
  EXPECT_EQ(c.framework("deepspeed").provenance.file, "frameworks/deepspeed.yaml");
}
