// Where the GPU time model meets the wafer studies and the calibration (integration of issues 3,
// 4 and 7): the bounded strategy search against the full ranking, the step's lower bound, weight
// sparsity on GPUs, and measured node figures taking precedence over the performance block.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "gpu/hardware_yaml.hpp"
#include "gpu/memory_plan.hpp"
#include "gpu/op_cost.hpp"
#include "gpu/search.hpp"
#include "gpu/step_program.hpp"
#include "gpu/time_model.hpp"
#include "io/error.hpp"
#include "io/file_source.hpp"
#include "study/plan/catalog.hpp"
#include "study/run/evaluator.hpp"
#include "study/plan/study.hpp"
#include "test_catalog.hpp"

namespace {

using namespace wb;

using test::catalog;

const gpu::FrameworkSpec& deepspeed() { return catalog().framework("deepspeed"); }

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---------------------------------------------------------------------------------------------
// Search

TEST(SearchBest, EqualsTheFirstOfTheFullRanking) {
  struct Case {
    const char* model;
    const char* node;
    std::int64_t nodes;
    std::int64_t global_batch;
  };
  // No fixed batch (the batch follows the micro-batch); a published batch with pipelines and
  // tensor parallelism across 4 nodes; offload needed (13B on one node).
  for (const Case& c : {Case{"cerebras-gpt-2.7b", "dgx-a100-40gb", 1, 0}, Case{"cerebras-gpt-1.3b", "dgx-a100-80gb", 4, 528},
                        Case{"cerebras-gpt-13b", "dgx-a100-40gb", 1, 64}}) {
    const auto& m = catalog().model(c.model);
    const auto cluster = gpu::make_node_cluster(*catalog().system(c.node).node(), c.nodes);
    model::Workload w;
    w.seq_len = 2048;
    w.global_batch = c.global_batch;
    gpu::TimeOptions opt;
    opt.stragglers = false;
    gpu::SearchStats all_stats;
    const auto ranked = gpu::search_strategies(m, cluster, w, deepspeed(), 1e10, opt, &all_stats);
    ASSERT_FALSE(ranked.empty()) << c.model;
    opt.stragglers = true;  // ignored by search_best: it ranks on the straggler-free step
    const gpu::BestStrategy best = gpu::search_best(m, cluster, w, deepspeed(), 1e10, opt);
    ASSERT_TRUE(best.found) << c.model;
    EXPECT_EQ(best.best.strategy.canonical(), ranked.front().strategy.canonical()) << c.model;
    EXPECT_EQ(best.best.tokens_per_s, ranked.front().tokens_per_s) << c.model;
    EXPECT_EQ(best.stats.enumerated, all_stats.enumerated);
    EXPECT_EQ(best.stats.fitting, all_stats.fitting);
    EXPECT_LT(best.stats.timed, all_stats.timed / 4) << c.model << ": the bound should rule most candidates out";
  }
}

TEST(SearchBest, ReportsWhenNoLayoutFitsOrExists) {
  const auto& m = catalog().model("cerebras-gpt-13b");
  model::Workload w;
  w.seq_len = 2048;
  w.global_batch = 720;
  // 4,096 GPUs cannot split 720 sequences: data parallel <= 720 needs tp x pp >= 6 in powers of two
  // dividing 40 layers and tp <= 8 -> at most 8 x 8 x 16 = 1,024 GPUs.
  const auto huge = gpu::make_node_cluster(*catalog().system("dgx-a100-80gb").node(), 512);
  const gpu::BestStrategy none = gpu::search_best(m, huge, w, deepspeed(), 1e10, {});
  EXPECT_FALSE(none.found);
  EXPECT_FALSE(none.any_layout);
  // One A100 40GB in a DGX holds no Llama-2-70B layout: even with every state offloaded, the
  // host's 1 TiB is short of the fp32 master weights and Adam moments of 69B parameters.
  const auto& big = catalog().model("llama-2-70b");
  const auto one = gpu::make_gpu_cluster(*catalog().system("a100-40gb").gpu(), 1, *catalog().system("dgx-a100-40gb").node());
  w.global_batch = 0;
  w.seq_len = 4096;
  const gpu::BestStrategy tight = gpu::search_best(big, one, w, deepspeed(), 1e10, {});
  EXPECT_FALSE(tight.found);
  ASSERT_TRUE(tight.any_layout);
  const auto plan = gpu::plan_memory(big, one, tight.smallest, w, deepspeed());
  EXPECT_FALSE(plan.fits());
  for (const auto& s : gpu::enumerate_strategies(big, one, w))
    EXPECT_GE(gpu::plan_memory(big, one, s, w, deepspeed()).device.total(), plan.device.total()) << s.canonical();
}

TEST(SearchFramework, RanksOnlyLayoutsTheFrameworkRunsAndTheUserAllows) {
  const auto& m = catalog().model("cerebras-gpt-1.3b");
  const auto cluster = gpu::make_node_cluster(*catalog().system("dgx-a100-80gb").node(), 2);
  model::Workload w;
  w.seq_len = 2048;
  w.global_batch = 256;
  const auto& megatron = catalog().framework("megatron-lm");
  const auto& fsdp = catalog().framework("fsdp");
  std::int64_t megatron_layouts = 0;
  for (const auto& s : gpu::enumerate_strategies(m, cluster, w, &megatron)) {
    ++megatron_layouts;
    EXPECT_LE(s.zero_stage, 1) << s.canonical();
    EXPECT_FALSE(s.offload_optimizer) << s.canonical();
  }
  EXPECT_GT(megatron_layouts, 0);
  for (const auto& s : gpu::enumerate_strategies(m, cluster, w, &fsdp)) {
    EXPECT_EQ(s.tp * s.pp, 1) << s.canonical();
    EXPECT_NE(s.zero_stage, 1) << s.canonical();
  }
  for (const auto& s : gpu::enumerate_strategies(m, cluster, w, &deepspeed()))
    if (s.pp > 1) EXPECT_LE(s.zero_stage, 1) << s.canonical();
  // The user's constraints on top: ZeRO-1 only, tensor parallelism at most 2, no offload.
  gpu::SearchConstraints c;
  c.zero_stages = {1};
  c.tp_max = 2;
  c.offload = false;
  const gpu::BestStrategy best = gpu::search_best(m, cluster, w, deepspeed(), 1e10, {}, c);
  ASSERT_TRUE(best.found);
  EXPECT_EQ(best.best.strategy.zero_stage, 1);
  EXPECT_LE(best.best.strategy.tp, 2);
  EXPECT_FALSE(best.best.strategy.offload_optimizer);
  const gpu::BestStrategy unconstrained = gpu::search_best(m, cluster, w, deepspeed(), 1e10, {});
  ASSERT_TRUE(unconstrained.found);
  EXPECT_GE(unconstrained.best.tokens_per_s, best.best.tokens_per_s);
}

TEST(StepLowerBound, NeverExceedsTheSimulatedStep) {
  gpu::TimeOptions opt;
  opt.stragglers = false;
  int checked = 0;
  // Two nodes (pipelines across and within nodes, offload with shared hosts), and one node with
  // a model whose offloaded optimizer dominates.
  for (const auto& [name, nodes] : std::vector<std::pair<std::string, std::int64_t>>{{"cerebras-gpt-1.3b", 2},
                                                                                   {"cerebras-gpt-13b", 1}})
  for (const auto& s : gpu::enumerate_strategies(catalog().model(name), gpu::make_node_cluster(*catalog().system("dgx-a100-80gb").node(), nodes), [] {
         model::Workload w;
         w.seq_len = 2048;
         w.global_batch = 64;
         return w;
       }())) {
    const auto& m = catalog().model(name);
    const auto cluster = gpu::make_node_cluster(*catalog().system("dgx-a100-80gb").node(), nodes);
    model::Workload w;
    w.seq_len = 2048;
    w.global_batch = 64;
    if (!gpu::plan_memory(m, cluster, s, w, deepspeed()).fits()) continue;
    const gpu::StepSetup st = gpu::make_step_setup(m, cluster, s, w, deepspeed(), 0.0, 1);
    const auto t = gpu::training_time(m, cluster, s, w, deepspeed(), 0, opt, MPI_COMM_SELF);
    const double bound = sim::to_seconds(gpu::step_time_lower_bound(st));
    EXPECT_LE(bound, t.step_time_s) << name << " " << s.canonical();
    if (s.offload_optimizer && !s.offload_params && s.tp == 1 && s.pp == 1) EXPECT_GT(bound, 0.5 * t.step_time_s) << name << " " << s.canonical();
    ++checked;
  }
  EXPECT_GT(checked, 150);
}

// On a grid of models x GPU counts (64 to 4,096 A100, global batch 1,024), under DeepSpeed and
// Megatron-LM: the bound never exceeds the step of any layout, search_best finds the layout the
// full ranking puts first, and at scale its bound (exposed gradient communication, the pipeline's
// fill and drain) rules most layouts out.
TEST(StepLowerBound, HoldsAndPrunesOnAGridOfModelsAndGpuCounts) {
  gpu::TimeOptions opt;
  opt.stragglers = false;
  model::Workload w;
  w.seq_len = 2048;
  w.global_batch = 1024;
  int checked = 0;
  for (const char* framework : {"deepspeed", "megatron-lm"})
    for (const char* name : {"cerebras-gpt-111m", "cerebras-gpt-1.3b", "cerebras-gpt-13b"})
      for (std::int64_t nodes : {8, 64, 512}) {
        const auto& m = catalog().model(name);
        const auto& f = catalog().framework(framework);
        const auto cluster = gpu::make_node_cluster(*catalog().system("dgx-a100-80gb").node(), nodes);
        const std::string what = std::string(framework) + " " + name + " x" + std::to_string(nodes * 8);
        gpu::SearchStats all;
        const auto ranked = gpu::search_strategies(m, cluster, w, f, 1e12, opt, &all);
        for (const auto& r : ranked) {
          const gpu::StepSetup st = gpu::make_step_setup(m, cluster, r.strategy, w, f, 0.0, 1);
          const double step = static_cast<double>(st.global_batch * st.seq) / r.tokens_per_s;
          EXPECT_LE(sim::to_seconds(gpu::step_time_lower_bound(st)), step * (1 + 1e-12)) << what << " " << r.strategy.canonical();
          ++checked;
        }
        const gpu::BestStrategy best = gpu::search_best(m, cluster, w, f, 1e12, opt);
        ASSERT_EQ(best.found, !ranked.empty()) << what;
        if (ranked.empty()) continue;
        EXPECT_EQ(best.best.strategy.canonical(), ranked.front().strategy.canonical()) << what;
        EXPECT_EQ(best.best.tokens_per_s, ranked.front().tokens_per_s) << what;
        if (nodes == 512) EXPECT_LE(best.stats.timed * 4, best.stats.fitting) << what << ": the bound should rule most layouts out";
      }
  EXPECT_GT(checked, 1000);
}

TEST(StudySearch, BestSweepGivesOneStableScenarioAndSweepAggregates) {
  const std::string text = R"(schema_version: 1
kind: training
title: t
sweeps:
  - name: gpu
    models: cerebras-gpt-111m
    systems: dgx-a100-80gb
    counts: [1, 16]
    search: best
    workload: {task: train, seq_len: 2048, global_batch: published}
  - name: wafer
    models: cerebras-gpt-111m
    systems: cs-2
    counts: 1
    strategies: weight-streaming
    workload: {task: train, seq_len: 2048}
references:
  - ratio: {numerator: {sweep: gpu}, denominator: [cerebras-gpt-111m@cs-2x1/weight-streaming]}
    label: r
    metric: time_to_train_s
    published: 1
    tolerance: 100%
    source: test
)";
  const study::plan::Study st = test::plan_study(text, "t.yaml");
  namespace col = study::schema::scenarios;
  ASSERT_EQ(st.scenarios.size(), 3u);
  // Planning searches nothing: the spec asks for the search, run when it is evaluated.
  EXPECT_EQ(st.scenarios[0].id, "cerebras-gpt-111m@dgx-a100-80gbx1/best");
  ASSERT_NE(st.scenarios[0].search(), nullptr);
  EXPECT_EQ(st.scenarios[0].workload.global_batch, 120);  // the model card's batch
  EXPECT_EQ(st.scenarios[1].id, "cerebras-gpt-111m@dgx-a100-80gbx16/best");
  // 128 GPUs cannot split 120 sequences of a 10-layer, 12-head model.
  const auto none = study::run::evaluate(st, st.scenarios[1]);
  EXPECT_EQ(none.row.number(col::fits), 0);
  EXPECT_TRUE(std::isnan(none.row.number(col::time_to_train_s)));
  ASSERT_EQ(none.notes.size(), 1u);
  EXPECT_EQ(none.notes[0].find("search (sweep gpu): cerebras-gpt-111m on 16 x"), 0u) << none.notes[0];
  EXPECT_NE(none.notes[0].find("no layout"), std::string::npos) << none.notes[0];
  const auto best = study::run::evaluate(st, st.scenarios[0]);
  EXPECT_EQ(best.row.number(col::fits), 1);
  EXPECT_GT(best.row.number(col::time_to_train_s), 0);
  EXPECT_EQ(best.row.text(col::id), st.scenarios[0].id);
  ASSERT_EQ(best.notes.size(), 1u);
  EXPECT_NE(best.notes[0].find("fastest " + best.row.text(col::strategy) + " "), std::string::npos) << best.notes[0];
  ASSERT_EQ(st.references.size(), 1u);
  EXPECT_EQ(st.references[0].terms, (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(st.references[0].denominator, (std::vector<std::int64_t>{2}));
  // Two best searches of one setting need their own names.
  std::string twice = text;
  twice.replace(twice.find("  - name: wafer"), 0,
                "  - name: again\n    models: cerebras-gpt-111m\n    systems: dgx-a100-80gb\n    counts: 1\n    search: best\n"
                "    workload: {task: train, seq_len: 2048, global_batch: 240}\n");
  EXPECT_THROW(test::plan_study(twice, "t.yaml"), io::InputError);
  twice.replace(twice.find("search: best\n    workload: {task: train, seq_len: 2048, global_batch: 240}"), 12, "search: best-b240");
  const study::plan::Study ok = test::plan_study(twice, "t.yaml");
  EXPECT_EQ(ok.scenarios[2].id, "cerebras-gpt-111m@dgx-a100-80gbx1/best-b240");
}

// A sweep's constraints narrow its search to what the user's setup allows: the best layout
// obeys them, `search: all` lists only such layouts, and they are refused on a sweep that does
// not search or with a word they do not know.
TEST(StudySearch, ConstraintsNarrowTheSearch) {
  const std::string text = R"(schema_version: 1
kind: training
title: t
framework: deepspeed
sweeps:
  - name: free
    models: cerebras-gpt-1.3b
    systems: dgx-a100-80gb
    counts: 2
    search: best
    workload: {task: train, seq_len: 2048, global_batch: 256}
  - name: limited
    models: cerebras-gpt-1.3b
    systems: dgx-a100-80gb
    counts: 2
    search: best-z3
    constraints: {zero: [3], tp_max: 1, offload: false}
    workload: {task: train, seq_len: 2048, global_batch: 256}
  - name: listed
    models: cerebras-gpt-1.3b
    systems: dgx-a100-80gb
    counts: 2
    search: all
    constraints: {zero: [3], tp_max: 1, offload: false}
    workload: {task: train, seq_len: 2048, global_batch: 256}
)";
  const study::plan::Study st = test::plan_study(text, "t.yaml");
  namespace col = study::schema::scenarios;
  ASSERT_GT(st.scenarios.size(), 2u);
  const auto free = study::run::evaluate(st, st.scenarios[0]);
  const auto limited = study::run::evaluate(st, st.scenarios[1]);
  const gpu::Strategy best = gpu::parse_strategy(limited.row.text(col::strategy));
  EXPECT_EQ(best.zero_stage, 3);
  EXPECT_EQ(best.tp, 1);
  EXPECT_FALSE(best.offload_optimizer);
  EXPECT_NE(limited.notes.at(0).find("(constraints: ZeRO 3, tp <= 1, no offload)"), std::string::npos) << limited.notes[0];
  // The unconstrained search finds something at least as fast, and here faster.
  EXPECT_NE(free.row.text(col::strategy), limited.row.text(col::strategy));
  EXPECT_LE(free.row.number(col::step_time_s), limited.row.number(col::step_time_s));
  for (std::size_t i = 2; i < st.scenarios.size(); ++i) {
    const gpu::Strategy* s = st.scenarios[i].gpu_strategy();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->zero_stage, 3) << st.scenarios[i].id;
    EXPECT_EQ(s->tp, 1) << st.scenarios[i].id;
    EXPECT_FALSE(s->offload_optimizer || s->offload_params) << st.scenarios[i].id;
  }
  std::string fixed = text;
  fixed.replace(fixed.find("    search: best-z3\n"), 20, "    strategies: zero3+mb1\n");
  EXPECT_THROW(test::plan_study(fixed, "t.yaml"), io::InputError);
  std::string unknown = text;
  unknown.replace(unknown.find("tp_max: 1,"), 10, "tp_limit: 1,");
  EXPECT_THROW(test::plan_study(unknown, "t.yaml"), io::InputError);
}

// /scenarios carries HFU beside MFU: equal without recomputation, above it by the recomputed
// products otherwise (the attention core under selective, the forward under full recomputation).
TEST(StudyColumns, HfuCountsTheRecomputedProducts) {
  const std::string text = R"(schema_version: 1
kind: training
title: t
framework: megatron-lm
sweeps:
  - name: gpu
    models: megatron-1.7b
    systems: dgx-a100-80gb
    counts: 1
    strategies: [zero0+tp2+mb4, zero0+tp2+mb4+recompute-selective, zero0+tp2+mb4+recompute-full]
    workload: {task: train, seq_len: 2048, global_batch: 64}
)";
  const study::plan::Study st = test::plan_study(text, "t.yaml");
  namespace col = study::schema::scenarios;
  ASSERT_EQ(st.scenarios.size(), 3u);
  const auto& m = *st.scenarios[0].model;
  double ratio[3];
  for (int i = 0; i < 3; ++i) {
    const auto r = study::run::evaluate(st, st.scenarios[static_cast<std::size_t>(i)]).row;
    ratio[i] = r.number(col::hfu) / r.number(col::mfu);
  }
  EXPECT_DOUBLE_EQ(ratio[0], 1.0);
  EXPECT_DOUBLE_EQ(ratio[1], model::hardware_flops_per_sequence(m, 2048, model::Recompute::selective) /
                                 model::matmul_flops_per_sequence(m, 2048, false));
  EXPECT_DOUBLE_EQ(ratio[2], model::matmul_flops_per_sequence(m, 2048, true) / model::matmul_flops_per_sequence(m, 2048, false));
  EXPECT_GT(ratio[2], ratio[1]);
  EXPECT_GT(ratio[1], 1.0);
}

// /layer_times: one row per layer with the times the step programs give its tasks, checked
// against the simulated step's own timeline; the recomputed forward is in the backward; stages,
// tensor-parallel collectives and ZeRO-3 gathers where the layout has them.
TEST(StudyColumns, LayerTimesAreTheTasksOfTheStep) {
  const std::string text = R"(schema_version: 1
kind: training
title: t
framework: megatron-lm
time: {timeline: true, stragglers: false}
sweeps:
  - name: gpu
    models: megatron-1.7b
    systems: dgx-a100-80gb
    counts: 2
    strategies: [zero0+mb1+ga1, zero0+mb1+ga1+recompute-full, zero1+tp2+pp2+mb1+ga4]
    workload: {task: train, seq_len: 2048}
  - name: ds
    models: megatron-1.7b
    systems: dgx-a100-80gb
    counts: 2
    framework: deepspeed
    strategies: [zero3+mb1+ga1]
    workload: {task: train, seq_len: 2048}
)";
  const study::plan::Study st = test::plan_study(text, "t.yaml");
  ASSERT_EQ(st.scenarios.size(), 4u);
  const auto& m = *st.scenarios[0].model;
  std::vector<study::run::ScenarioResult> res;
  for (const auto& sc : st.scenarios) res.push_back(study::run::evaluate(st, sc));
  const auto& plain = res[0].tables.at("layer_times");
  ASSERT_EQ(plain.rows(), static_cast<std::size_t>(m.layers + 2));
  EXPECT_EQ(plain.at("name").str.front(), "embedding");
  EXPECT_EQ(plain.at("name").str[1], "layer0");
  EXPECT_EQ(plain.at("name").str.back(), "lm_head");
  // The forward tasks of GPU 0 in the timeline are the layers' forward times.
  const auto& tl = res[0].tables.at("timeline");
  double fwd = 0, layers_fwd = 0;
  for (std::size_t i = 0; i < tl.rows(); ++i)
    if (tl.at("device").i64[i] == 0 && tl.at("kind").str[i] == "fwd") fwd += tl.at("end_s").f64[i] - tl.at("start_s").f64[i];
  for (std::size_t i = 1; i + 1 < plain.rows(); ++i) layers_fwd += plain.at("forward_s").f64[i];
  EXPECT_GT(fwd, 0.0);
  EXPECT_NEAR(fwd, layers_fwd, 1e-9 * layers_fwd);
  const auto& full = res[1].tables.at("layer_times");
  for (std::size_t i = 1; i + 1 < full.rows(); ++i) {
    EXPECT_NEAR(full.at("backward_s").f64[i], plain.at("backward_s").f64[i] + plain.at("forward_s").f64[i], 1e-12);
    EXPECT_EQ(plain.at("tp_comm_s").f64[i], 0.0);
    EXPECT_EQ(plain.at("gather_s").f64[i], 0.0);
    EXPECT_GE(plain.at("contended_s").f64[i], plain.at("forward_s").f64[i] + plain.at("backward_s").f64[i]);
  }
  // Two stages of 12 layers each, tensor-parallel all-reduces inside each layer.
  const auto& piped = res[2].tables.at("layer_times");
  EXPECT_EQ(piped.at("stage").i64[1], 0);
  EXPECT_EQ(piped.at("stage").i64[static_cast<std::size_t>(m.layers / 2)], 0);
  EXPECT_EQ(piped.at("stage").i64[static_cast<std::size_t>(m.layers / 2 + 1)], 1);
  EXPECT_EQ(piped.at("stage").i64.back(), 1);
  EXPECT_GT(piped.at("tp_comm_s").f64[1], 0.0);
  // ZeRO-3 gathers every layer before its forward and its backward.
  const auto& z3 = res[3].tables.at("layer_times");
  EXPECT_GT(z3.at("gather_s").f64[1], 0.0);
  for (std::size_t i = 0; i < z3.rows(); ++i) EXPECT_EQ(z3.at("scenario_index").i64[i], 3);
}

// Planning a study computes nothing: a `search: best` sweep plans one search request per setting
// (the search runs when the scenario is evaluated), and `search: all` plans the layouts that fit
// from the memory plan and the step setup alone, each a GPU strategy.
TEST(StudySearch, PlanningRunsNoSearch) {
  const std::string scaling = catalog().path("studies", "cerebras_gpt_scaling");
  const study::plan::Study st = test::plan_study(read_text(scaling), scaling);
  std::size_t requests = 0;
  for (const auto& sc : st.scenarios) {
    if (sc.system->kind == study::plan::SystemKind::wafer) continue;
    ASSERT_NE(sc.search(), nullptr) << sc.id;
    EXPECT_EQ(sc.id.substr(sc.id.size() - 5), "/best");
    ++requests;
  }
  EXPECT_EQ(requests, 70u);  // 7 models x 10 node counts
  const std::string all = catalog().path("studies", "seed_finetune_search");
  const study::plan::Study listed = test::plan_study(read_text(all), all);
  EXPECT_EQ(listed.scenarios.size(), 944u + 736u + 450u);  // docs/gpu-time-model.md, section 9
  for (const auto& sc : listed.scenarios) ASSERT_NE(sc.gpu_strategy(), nullptr) << sc.id;
}

// A `search: all` sweep's layouts are known only as they are found: the expansion stops with
// the sweep's name as it crosses the scenario limit, before holding more.
TEST(StudySearch, AllLayoutsStopAtTheLimit) {
  const std::string all = catalog().path("studies", "seed_finetune_search");
  std::string error;
  try {
    study::plan::load_study(read_text(all), all, catalog(), 600);
  } catch (const io::InputError& e) {
    error = e.what();
  }
  EXPECT_NE(error.find("sweep 'search' takes the study past the limit; at most 600 scenarios are expanded"),
            std::string::npos)
      << error;
}

// ---------------------------------------------------------------------------------------------
// Sparsity

TEST(GpuSparsity, WordsParseAndStayCanonical) {
  EXPECT_EQ(gpu::parse_strategy("mb2+sparse50+zero3").canonical(), "zero3+mb2+sparse50");
  EXPECT_EQ(gpu::parse_strategy("zero1+sparse2:4+mb1").canonical(), "zero1+mb1+sparse2:4");
  EXPECT_DOUBLE_EQ(gpu::parse_strategy("zero1+sparse2:4").weight_sparsity(), 0.5);
  EXPECT_DOUBLE_EQ(gpu::parse_strategy("zero1+sparse75").weight_sparsity(), 0.75);
  EXPECT_THROW(gpu::parse_strategy("zero1+sparse50+sparse2:4"), std::invalid_argument);
  EXPECT_THROW(gpu::parse_strategy("zero1+sparse100"), std::invalid_argument);
  EXPECT_THROW(gpu::parse_strategy("sparse2:4+infer-fp16"), std::invalid_argument);
}

TEST(GpuSparsity, TwoFourHalvesTheWeightProductsMathOnlyWhereSparseTensorCoresExist) {
  const auto& fw = *deepspeed().time;
  const auto& a100 = *catalog().system("a100-80gb").gpu();
  const auto& h100 = *catalog().system("h100-sxm").gpu();
  const auto& v100 = *catalog().system("v100-32gb").gpu();
  gpu::OpCost c(a100, *a100.perf, fw);
  EXPECT_DOUBLE_EQ(c.sparse_weight_speedup(), 1.0);
  c.use_sparse_weights(true);
  EXPECT_DOUBLE_EQ(c.sparse_weight_speedup(), 2.0);  // 624 / 312 TFLOP/s
  gpu::OpCost h(h100, *h100.perf, fw);
  h.use_sparse_weights(true);
  EXPECT_DOUBLE_EQ(h.sparse_weight_speedup(), 2.0);  // 1979 / 989 capped at 2
  gpu::OpCost v(v100, *v100.perf, fw);
  v.use_sparse_weights(true);
  EXPECT_DOUBLE_EQ(v.sparse_weight_speedup(), 1.0);  // no sparse tensor cores
  // A large, math-bound product: its math time halves; the kernel gap does not.
  const double gap = a100.perf->kernel_gap_s;
  const auto dense = c.gemm(16384, 8192, 8192);
  const auto sparse = c.weight_gemm(16384, 8192, 8192);
  EXPECT_NEAR((sparse.gpu_s - gap) / (dense.gpu_s - gap), 0.5, 1e-12);
  EXPECT_EQ(sparse.flops, dense.flops);  // FLOPs are counted dense (MFU, TFLOP/s)
  // A memory-bound product (one token) gains nothing: HBM traffic is not reduced.
  EXPECT_EQ(c.weight_gemm(1, 8192, 8192).gpu_s, c.gemm(1, 8192, 8192).gpu_s);
  // In a layer, only the forward and data-gradient weight products change: the backward gains
  // less than the forward (its weight-gradient products stay dense).
  gpu::OpCost dense_cost(a100, *a100.perf, fw);
  const auto& m = catalog().model("cerebras-gpt-13b");
  const auto L0 = gpu::layer_kernels(dense_cost, m, 2048, 1, 1);
  const auto L1 = gpu::layer_kernels(c, m, 2048, 1, 1);
  const double fwd_gain = (L0.mlp_fwd.gpu_s - L1.mlp_fwd.gpu_s) / L0.mlp_fwd.gpu_s;
  const double bwd_gain = (L0.mlp_bwd.gpu_s - L1.mlp_bwd.gpu_s) / L0.mlp_bwd.gpu_s;
  EXPECT_GT(fwd_gain, 0.3);
  EXPECT_LT(fwd_gain, 0.5);
  EXPECT_GT(bwd_gain, 0.1);
  EXPECT_LT(bwd_gain, fwd_gain);
  EXPECT_EQ(L0.attn_core_fwd.gpu_s, L1.attn_core_fwd.gpu_s);  // attention's products are activations
}

TEST(GpuSparsity, UnstructuredIsDenseOnGpusAndTwoFourIsLessThanTwiceFaster) {
  const auto& m = catalog().model("cerebras-gpt-1.3b");
  const auto cluster = gpu::make_node_cluster(*catalog().system("dgx-a100-80gb").node(), 1);
  model::Workload w;
  w.seq_len = 2048;
  w.global_batch = 528;
  gpu::TimeOptions opt;
  auto run = [&](const char* s) {
    return gpu::training_time(m, cluster, gpu::parse_strategy(s), w, deepspeed(), 2.6e10, opt, MPI_COMM_SELF);
  };
  const auto dense = run("zero3+mb2");
  const auto unstructured = run("zero3+mb2+sparse50");
  const auto structured = run("zero3+mb2+sparse2:4");
  EXPECT_EQ(unstructured.step_time_s, dense.step_time_s);
  EXPECT_EQ(unstructured.time_to_train_s, dense.time_to_train_s);
  EXPECT_EQ(gpu::plan_memory(m, cluster, gpu::parse_strategy("zero3+mb2+sparse50"), w, deepspeed()).device.total(),
            gpu::plan_memory(m, cluster, gpu::parse_strategy("zero3+mb2"), w, deepspeed()).device.total());
  EXPECT_LT(structured.step_time_s, 0.95 * dense.step_time_s);
  EXPECT_GT(structured.step_time_s, 0.5 * dense.step_time_s);
}

TEST(GpuSparsity, TheSparsityStudyShowsTheWaferSpeedUpAndNoneOnUnstructuredGpus) {
  const std::string path = catalog().path("studies", "seed_sparsity");
  const study::plan::Study st = test::plan_study(read_text(path), path);
  namespace col = study::schema::scenarios;
  std::map<std::string, col::Row> rows;
  for (const auto& sc : st.scenarios) rows.emplace(sc.id, study::run::evaluate(st, sc).row);
  auto days = [&](const std::string& id) { return rows.at(id).number(col::time_to_train_s); };
  const double wafer_dense = days("cerebras-gpt-1.3b@cs-2x1/weight-streaming");
  const double wafer_half = days("cerebras-gpt-1.3b@cs-2x1/weight-streaming+sparse50");
  const double gpu_dense = days("cerebras-gpt-1.3b@dgx-a100-80gbx1/zero3+mb2");
  EXPECT_GT(wafer_dense / wafer_half, 1.3);
  EXPECT_EQ(days("cerebras-gpt-1.3b@dgx-a100-80gbx1/zero3+mb2+sparse50"), gpu_dense);
  const double two_four = gpu_dense / days("cerebras-gpt-1.3b@dgx-a100-80gbx1/zero3+mb2+sparse2:4");
  EXPECT_GT(two_four, 1.05);
  EXPECT_LT(two_four, 2.0);
  EXPECT_DOUBLE_EQ(rows.at("cerebras-gpt-1.3b@dgx-a100-80gbx1/zero3+mb2+sparse50").number(col::sparsity), 0.5);
  bool stated = false;
  for (const auto& a : st.method_notes) stated = stated || a.find("GPU sparse<P> (unstructured weight sparsity) is computed as dense") == 0;
  EXPECT_TRUE(stated);
}

// ---------------------------------------------------------------------------------------------
// Calibrated node figures

// dgx-a100-80gb.yaml with `insert` added under cpu: and the performance block's lines that
// start with any of `drop` removed.
gpu::NodeSpec node_with(const std::string& insert, const std::vector<std::string>& drop) {
  std::istringstream in(read_text(catalog().path("systems", "dgx-a100-80gb")));
  std::string text, line;
  bool in_perf = false;
  while (std::getline(in, line)) {
    if (line.rfind("performance:", 0) == 0) in_perf = true;
    bool skip = false;
    for (const auto& d : drop) skip = skip || (in_perf && line.rfind("  " + d + ":", 0) == 0);
    if (skip) continue;
    text += line + "\n";
    if (line == "cpu:") text += insert;
  }
  const io::YamlValue doc = io::parse_yaml(text, "node.yaml");
  io::YamlMap root(doc);
  io::check_schema_version(root);
  root.required("kind");
  gpu::NodeSpec n = gpu::parse_node(root, "node", "node.yaml",
                                    [](const io::YamlValue& g) { return *catalog().system(g.as_string()).gpu(); });
  root.done();
  return n;
}

double offload_cpu_seconds(const gpu::NodeSpec& node) {
  const auto& m = catalog().model("cerebras-gpt-1.3b");
  const auto cluster = gpu::make_node_cluster(node, 1);
  model::Workload w;
  w.seq_len = 2048;
  gpu::TimeOptions opt;
  opt.stragglers = false;
  const auto t = gpu::training_time(m, cluster, gpu::parse_strategy("zero2+offload+mb1"), w, deepspeed(), 0, opt,
                                    MPI_COMM_SELF);
  return t.cpu_s;
}

TEST(CalibratedNode, MeasuredAdamRateSetsTheOffloadOptimizerAsTheFormulaSays) {
  const std::string measured = "measured by waferbench calibrate on test, 2026-01-31T12:00:00Z";
  auto adam = [&](const char* rate) {
    return std::string("  adam_params_per_s_per_core: {value: ") + rate + ", source: \"" + measured +
           "\", measured: 2026-01-31T12:00:00Z}\n";
  };
  // The performance block's own rate may be left out once the node states it.
  const gpu::NodeSpec slow = node_with(adam("1e7"), {"adam_params_per_s_per_core"});
  const gpu::NodeSpec fast = node_with(adam("2e7"), {});
  ASSERT_TRUE(slow.perf && fast.perf);
  EXPECT_DOUBLE_EQ(slow.perf->adam_params_per_s_per_core, 1e7);
  EXPECT_DOUBLE_EQ(fast.perf->adam_params_per_s_per_core, 2e7);  // over the block's 2.95e7
  const auto& m = catalog().model("cerebras-gpt-1.3b");
  model::Workload w;
  w.seq_len = 2048;
  const gpu::StepSetup st = gpu::make_step_setup(m, gpu::make_node_cluster(slow, 1), gpu::parse_strategy("zero2+offload+mb1"),
                                                 w, deepspeed(), 0, 1);
  const double cores = static_cast<double>(slow.cpu.cores());  // 128
  // CPU-Adam: min(rate x cores, host bandwidth / bytes per parameter), here compute-bound.
  EXPECT_DOUBLE_EQ(st.cpu_params_per_s,
                   std::min(1e7 * cores, slow.perf->host_stream_bandwidth / deepspeed().time->cpu_optimizer_bytes_per_param));
  EXPECT_DOUBLE_EQ(st.cpu_params_per_s, 1e7 * cores);
  // The node's 8 ranks update their 1/8 partitions at once and share the cores: the exposed CPU
  // optimizer is the whole model over the node's rate, so halving the rate adds params / (r x cores).
  const double params = static_cast<double>(model::count_params(m).total);
  const double slow_s = offload_cpu_seconds(slow), fast_s = offload_cpu_seconds(fast);
  EXPECT_NEAR(slow_s - fast_s, params / cores * (1.0 / 1e7 - 1.0 / 2e7), 1e-6 * slow_s);
  EXPECT_NEAR(slow_s, params / (1e7 * cores), 0.01 * slow_s);
}

TEST(CalibratedNode, MeasuredMemoryBandwidthBoundsTheUpdateButTheDatasheetPeakDoesNot) {
  // A measured STREAM figure of 10 GB/s replaces host_stream_bandwidth and makes CPU-Adam
  // memory-bound; the datasheet's 409.6 GB/s peak in the same key does not replace the block's
  // 300 GB/s.
  const gpu::NodeSpec datasheet = node_with("", {});
  EXPECT_DOUBLE_EQ(datasheet.perf->host_stream_bandwidth, 300e9);
  std::istringstream in(read_text(catalog().path("systems", "dgx-a100-80gb")));
  const gpu::NodeSpec measured = [] {
    std::string text = read_text(catalog().path("systems", "dgx-a100-80gb"));
    const std::string key = "  memory_bandwidth: {value: 409.6GB/s, source: \"";
    const auto at = text.find(key);
    EXPECT_NE(at, std::string::npos);
    const auto end = text.find('\n', at);
    text.replace(at, end - at,
                 "  memory_bandwidth: {value: 10GB/s, source: \"measured by test\", measured: 2026-01-31T12:00:00Z}");
    const auto perf = text.find("  host_stream_bandwidth:");
    text.erase(perf, text.find('\n', perf) - perf + 1);  // superseded: may be left out
    const io::YamlValue doc = io::parse_yaml(text, "node.yaml");
    io::YamlMap root(doc);
    io::check_schema_version(root);
    root.required("kind");
    gpu::NodeSpec n = gpu::parse_node(root, "node", "node.yaml",
                                      [](const io::YamlValue& g) { return *catalog().system(g.as_string()).gpu(); });
    root.done();
    return n;
  }();
  EXPECT_DOUBLE_EQ(measured.perf->host_stream_bandwidth, 10e9);
  const auto& m = catalog().model("cerebras-gpt-1.3b");
  const double params = static_cast<double>(model::count_params(m).total);
  const double bytes = deepspeed().time->cpu_optimizer_bytes_per_param;
  EXPECT_NEAR(offload_cpu_seconds(measured), params * bytes / 10e9, 0.01 * params * bytes / 10e9);
}

TEST(CalibratedNode, ABlockWithoutTheRateNeedsTheNodesOwn) {
  EXPECT_THROW(node_with("", {"adam_params_per_s_per_core"}), io::InputError);
}

TEST(CalibratedNode, MeasuredNetworkSetsTheInterNodeCollectives) {
  const gpu::NodeSpec base = node_with("", {});
  std::string text = read_text(catalog().path("systems", "dgx-a100-80gb"));
  const std::string m = ", source: \"measured by test\", measured: 2026-01-31T12:00:00Z}\n";
  text.insert(text.find("performance:"), "");
  const auto net = text.find("  nic_bandwidth:");
  const auto after = text.find('\n', net) + 1;
  text.insert(after, "  allreduce_latency: {value: 20us" + m + "  allreduce_bandwidth: {value: 5GB/s" + m +
                         "  p2p_latency: {value: 3us" + m + "  p2p_bandwidth: {value: 10GB/s" + m);
  for (const char* key : {"  net_latency:", "  net_efficiency:"}) {  // superseded by the measured pairs
    const auto at = text.find(key);
    text.erase(at, text.find('\n', at) - at + 1);
  }
  const io::YamlValue doc = io::parse_yaml(text, "node.yaml");
  io::YamlMap root(doc);
  io::check_schema_version(root);
  root.required("kind");
  const gpu::NodeSpec node = gpu::parse_node(root, "node", "node.yaml",
                                             [](const io::YamlValue& g) { return *catalog().system(g.as_string()).gpu(); });
  root.done();
  const gpu::Fabric f = gpu::make_fabric(gpu::make_node_cluster(node, 4));
  const gpu::Fabric b = gpu::make_fabric(gpu::make_node_cluster(base, 4));
  // One member per node: alpha and one rail's bandwidth are the measured all-reduce figures.
  gpu::GroupShape g;
  g.members = 4;
  g.nodes = 4;
  g.per_node = 1;
  const double bytes = 1e9;
  EXPECT_NEAR(gpu::collective_time(gpu::Collective::reduce_scatter, bytes, g, f), 3 * 20e-6 + 0.75 * bytes / 5e9, 1e-12);
  EXPECT_NEAR(gpu::p2p_time(bytes, false, f), 3e-6 + bytes / 10e9, 1e-12);
  // Inside a node nothing changes (NVSwitch; host processes cannot measure it).
  EXPECT_EQ(gpu::p2p_time(bytes, true, f), gpu::p2p_time(bytes, true, b));
  EXPECT_NE(gpu::p2p_time(bytes, false, f), gpu::p2p_time(bytes, false, b));
}

}  // namespace
