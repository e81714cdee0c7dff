// The wafer training model (suite/wafer): strategy words, the analytic PE mapping, SRAM,
// weight streaming vs layer-pipelined steps, SwarmX, sparsity, time to train, and wafer
// scenarios in studies.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

#include "io/error.hpp"
#include "io/file_source.hpp"
#include "study/plan/catalog.hpp"
#include "study/run/evaluator.hpp"
#include "study/plan/study.hpp"
#include "wafer/fc_network.hpp"
#include "wafer/wafer_training.hpp"
#include "test_catalog.hpp"

using namespace wb;

namespace {

using test::catalog;

const wafer::WaferSpec& cs2() { return *catalog().system(std::string("cs-2")).wafer(); }
const wafer::WaferSpec& cs3() { return *catalog().system(std::string("cs-3")).wafer(); }
const wafer::WaferSpec& cs1() { return *catalog().system(std::string("cs-1")).wafer(); }

wafer::WaferRun run_of(const char* model, const wafer::WaferSpec& spec, std::int64_t systems, std::int64_t batch,
                       const char* strategy = "weight-streaming") {
  wafer::WaferRun r;
  r.model = &catalog().model(std::string(model));
  r.spec = &spec;
  r.systems = systems;
  r.seq = r.model->max_positions;
  r.global_batch = batch;
  r.tokens = 1e10;
  r.strategy = wafer::parse_wafer_strategy(strategy);
  return r;
}

double sum_rows(const wafer::WaferStep& st) {
  double s = 0;
  for (const auto& r : st.rows) s += r.time_s;
  return s;
}

std::string error_of(const std::string& text) {
  try {
    test::plan_study(text, "s.yaml");
  } catch (const io::InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(WaferStrategy, ParsesCanonicalAndRejectsBadWords) {
  EXPECT_EQ(wafer::parse_wafer_strategy("sparse50+mb30+weight-streaming").canonical(), "weight-streaming+mb30+sparse50");
  EXPECT_EQ(wafer::parse_wafer_strategy("mb4").canonical(), "auto+mb4");
  EXPECT_EQ(wafer::parse_wafer_strategy("layer-pipelined").placement, wafer::Placement::layer_pipelined);
  EXPECT_DOUBLE_EQ(wafer::parse_wafer_strategy("sparse25").weight_density(), 0.75);
  EXPECT_THROW(wafer::parse_wafer_strategy("zero2"), std::invalid_argument);
  EXPECT_THROW(wafer::parse_wafer_strategy("sparse0"), std::invalid_argument);
  EXPECT_THROW(wafer::parse_wafer_strategy("sparse100"), std::invalid_argument);
  EXPECT_THROW(wafer::parse_wafer_strategy("mb0"), std::invalid_argument);
  EXPECT_THROW(wafer::parse_wafer_strategy("auto+weight-streaming"), std::invalid_argument);
  EXPECT_THROW(wafer::parse_wafer_strategy("mb2+mb3"), std::invalid_argument);
}

// The two mappings, worked by hand on CS-2 constants (4 lanes, 2 cycles per task, 2.45 cycles
// per reduced partial sum, 2 values per wavelet, 1 cycle per hop).
TEST(AnalyticCycles, StreamedAndStationaryByHand) {
  const wafer::AnalyticCycles a(cs2());
  const double t = cs2().mapping.task_overhead_cycles;  // 25, the fabric fit
  ASSERT_EQ(t, 25.0);
  // 400 tokens on 10 PEs: 40 each; width 40 on 10 PEs: 4 weights per row per PE. Per row of
  // weights: 4 tasks x (25 + 40/4) = 140 cycles (the fabric needs 20); 40 rows, 20 hops of fill.
  EXPECT_DOUBLE_EQ(a.streamed(400, 40, 40, 1.0, false, 10, 10), 40 * 140 + 20);
  // Half the weights zero: 2 tasks per row, 70 cycles; the fabric (20) still does not bind.
  EXPECT_DOUBLE_EQ(a.streamed(400, 40, 40, 0.5, false, 10, 10), 40 * 70 + 20);
  // A twentieth: 0.2 tasks x 35 = 7 cycles, now the token vector on the fabric (20) binds.
  EXPECT_DOUBLE_EQ(a.streamed(400, 40, 40, 0.05, false, 10, 10), 40 * 20 + 20);
  // Weight gradient: each task also reduces its partial sum along the token chain.
  EXPECT_DOUBLE_EQ(a.streamed(400, 40, 40, 1.0, true, 10, 10), 40 * (4 * (25 + 10 + 2.45)) + 20);
  // Stationary, 40 x 40 weights on 10 x 10 PEs: per token 4 inputs x (25 + 1) + 2.45 x 4 partial sums.
  EXPECT_DOUBLE_EQ(a.stationary(100, 40, 40, 1.0, 1.0, wafer::Phase::fwd, 10, 10), 100 * (104 + 9.8) + 20);
  // ReLU zeros half the inputs: half the tasks, the reduction stays.
  EXPECT_DOUBLE_EQ(a.stationary(100, 40, 40, 1.0, 0.5, wafer::Phase::fwd, 10, 10), 100 * (52 + 9.8) + 20);
}

// No mapping computes faster than every PE's lanes busy every cycle.
TEST(AnalyticCycles, NeverBeatsThePeak) {
  const wafer::CycleModel cm(cs2());
  const wafer::Rect rect{cs2().fabric_height, cs2().fabric_width};
  const double lanes = static_cast<double>(rect.pes()) * static_cast<double>(cs2().simd_fp16);
  for (double tokens : {2048.0, 30000.0, 250000.0})
    for (std::int64_t k : {768, 5120, 20480})
      for (std::int64_t n : {768, 15360, 50257})
        for (auto flow : {wafer::Dataflow::streamed, wafer::Dataflow::stationary})
          for (auto phase : {wafer::Phase::fwd, wafer::Phase::dgrad, wafer::Phase::wgrad}) {
            const wafer::Gemm g{"g", tokens, k, n, 1, true, 1.0, 1.0};
            EXPECT_GE(cm.gemm(g, phase, flow, rect).cycles * lanes, g.macs()) << tokens << " " << k << " " << n;
          }
}

TEST(WaferModel, SwarmXTreeDepth) {
  EXPECT_EQ(wafer::swarmx_depth(1, 4), 0);
  EXPECT_EQ(wafer::swarmx_depth(4, 4), 1);
  EXPECT_EQ(wafer::swarmx_depth(5, 4), 2);
  EXPECT_EQ(wafer::swarmx_depth(16, 4), 2);
  EXPECT_EQ(wafer::swarmx_depth(17, 4), 3);
  EXPECT_EQ(wafer::swarmx_depth(2048, 4), 6);
}

TEST(WaferModel, SparseStreamFormatOnlyWhenSmaller) {
  // 1000 matrix entries of 2 bytes plus 10 other parameters; the sparse form sends value+index.
  EXPECT_DOUBLE_EQ(wafer::stream_bytes(1010, 1000, 1.0, 2, 2), 2020);
  EXPECT_DOUBLE_EQ(wafer::stream_bytes(1010, 1000, 0.75, 2, 2), 2020);  // 3000 sparse > 2000 dense
  EXPECT_DOUBLE_EQ(wafer::stream_bytes(1010, 1000, 0.25, 2, 2), 20 + 1000);
}

TEST(WaferModel, SramGrowsWithMicroBatchAndShrinksWithRecompute) {
  const auto& m = catalog().model(std::string("cerebras-gpt-13b"));
  double last = 0;
  for (std::int64_t mb : {1, 2, 8, 32}) {
    const double s = wafer::sram_weight_streaming(m, 2048, mb, model::Recompute::full, cs2()).total();
    EXPECT_GT(s, last);
    last = s;
  }
  const double none = wafer::sram_weight_streaming(m, 2048, 4, model::Recompute::none, cs2()).total();
  const double sel = wafer::sram_weight_streaming(m, 2048, 4, model::Recompute::selective, cs2()).total();
  const double full = wafer::sram_weight_streaming(m, 2048, 4, model::Recompute::full, cs2()).total();
  EXPECT_GT(none, sel);
  EXPECT_GT(sel, full);
  // Layer-pipelined keeps 16 bytes per parameter on the wafer: 13B cannot fit 40 GB, 111M can.
  EXPECT_GT(wafer::sram_layer_pipelined(m, 2048, 1, 1, model::Recompute::full, cs2(), 1.0).total(), cs2().sram_bytes);
  const auto& small = catalog().model(std::string("cerebras-gpt-111m"));
  EXPECT_LT(wafer::sram_layer_pipelined(small, 2048, 1, 8, model::Recompute::selective, cs2(), 1.0).total(),
            cs2().usable_sram_bytes());
}

// The weight-streaming step is the sum of its rows plus the step boundary, each row the larger
// of compute and streaming, and the parts add up to the step.
TEST(WaferModel, WeightStreamingStepIsConsistent) {
  const wafer::CycleModel cm(cs2());
  const auto run = run_of("cerebras-gpt-1.3b", cs2(), 4, 528);
  const auto st = wafer::step_weight_streaming(run, cm, 33, model::Recompute::full);
  ASSERT_TRUE(st.fits) << st.why_not;
  EXPECT_EQ(st.passes, 4);
  const auto& m = *run.model;
  // embedding fwd+wgrad, per layer fwd/recompute/bwd/wgrad, head fwd/recompute/bwd/wgrad.
  EXPECT_EQ(st.rows.size(), 2u + 4u * static_cast<std::size_t>(m.layers) + 4u);
  for (const auto& r : st.rows) {
    EXPECT_GE(r.time_s, r.compute_s) << r.name << " " << r.kind;
    if (r.bound == "compute") EXPECT_DOUBLE_EQ(r.time_s, r.compute_s) << r.name << " " << r.kind;
    EXPECT_EQ(r.source, "analytic");
  }
  // A layer's backward (recompute with the weights in, data gradients, weight gradients out)
  // takes the largest of its compute, its bytes in and its bytes out: the link is full duplex.
  double in = 0, out = 0, compute = 0, time = 0;
  for (const auto& r : st.rows) {
    if (r.name != "layer3" || r.kind == "fwd") continue;
    compute += r.compute_s;
    time += r.time_s;
    (r.kind == std::string("wgrad") ? out : in) += r.stream_s;
  }
  EXPECT_GT(in, 0.0);
  EXPECT_GT(out, 0.0);
  EXPECT_NEAR(time, std::max({compute, in, out}), 1e-12);
  const double boundary = 2.0 * 1 * cs2().swarmx->hop_latency_s + st.optimizer_s;  // 4 systems: depth 1
  EXPECT_NEAR(st.step_s, sum_rows(st) + boundary, 1e-12);
  EXPECT_NEAR(st.compute_s + st.exposed_comm_s + st.optimizer_s + st.bubble_s, st.step_s, 1e-12);
}

// Few tokens per pass cannot hide the weight stream; many can (Llama-2-70B at 4,096 tokens on
// CS-3 vs Cerebras-GPT 13B at 23 x 2,048 tokens on CS-2).
TEST(WaferModel, WhichBoundHolds) {
  const wafer::CycleModel cm3(cs3());
  const auto llama = wafer::step_weight_streaming(run_of("llama-2-70b", cs3(), 2048, 2048), cm3, 1, model::Recompute::full);
  EXPECT_EQ(llama.bound, "streaming");
  const wafer::CycleModel cm2(cs2());
  const auto gpt = wafer::step_weight_streaming(run_of("cerebras-gpt-13b", cs2(), 8, 720), cm2, 23, model::Recompute::full);
  EXPECT_EQ(gpt.bound, "compute");
}

// Unstructured sparsity: compute shrinks with the density, but not all of it (attention, the
// dense head, the fabric), so half the weights zero gives a speed-up between 1 and 2.
TEST(WaferModel, SparsitySpeedsUpButLessThanDensity) {
  const wafer::CycleModel cm(cs2());
  auto dense = run_of("cerebras-gpt-6.7b", cs2(), 8, 1040);
  auto sparse = dense;
  sparse.strategy = wafer::parse_wafer_strategy("weight-streaming+sparse50");
  const auto d = wafer::plan_step(dense, cm);
  const auto s = wafer::plan_step(sparse, cm);
  ASSERT_TRUE(d.fits && s.fits);
  EXPECT_GT(d.step_s / s.step_s, 1.2);
  EXPECT_LT(d.step_s / s.step_s, 2.0);
  // CS-1 fully connected network: ReLU and weight sparsity both help, in that order.
  const wafer::CycleModel c1(cs1());
  wafer::FcNetwork net{34, 4096, 1.0, 1.0, true};
  const double base = wafer::fc_cycles_per_token(net, c1);
  net.activation_density = 0.5;
  const double relu = wafer::fc_cycles_per_token(net, c1);
  net.weight_density = 0.5;
  const double both = wafer::fc_cycles_per_token(net, c1);
  EXPECT_GT(base, relu);
  EXPECT_GT(relu, both);
  EXPECT_LT(base / both, 4.0);  // overheads remain
}

TEST(WaferModel, PlacementChoice) {
  const wafer::CycleModel cm(cs2());
  // 13B cannot be layer-pipelined on one wafer; auto falls back to weight streaming.
  const auto big = wafer::plan_step(run_of("cerebras-gpt-13b", cs2(), 8, 720, "auto"), cm);
  EXPECT_EQ(big.placement, wafer::Placement::weight_streaming);
  EXPECT_TRUE(big.fits);
  const auto forced = wafer::plan_step(run_of("cerebras-gpt-13b", cs2(), 8, 720, "layer-pipelined"), cm);
  EXPECT_FALSE(forced.fits);
  EXPECT_FALSE(forced.why_not.empty());
  // CS-1 has no MemoryX: auto means layer-pipelined.
  const wafer::CycleModel c1(cs1());
  const auto small = wafer::plan_step(run_of("cerebras-gpt-111m", cs1(), 1, 120, "auto"), c1);
  EXPECT_EQ(small.placement, wafer::Placement::layer_pipelined);
  EXPECT_TRUE(small.fits) << small.why_not;
  // Layer-pipelined: fill and drain are (stages - 1) slowest stages; compute is passes x that
  // stage plus the optimizer reading and writing 16 bytes per parameter at SRAM bandwidth.
  const double stage = small.bubble_s / static_cast<double>(small.stages - 1);
  const double params = static_cast<double>(model::count_params(catalog().model(std::string("cerebras-gpt-111m"))).total);
  EXPECT_NEAR(small.compute_s, static_cast<double>(small.passes) * stage + 2.0 * params * 16.0 / cs1().memory_bandwidth,
              1e-9);
  EXPECT_DOUBLE_EQ(small.step_s, small.compute_s + small.bubble_s);
}

// SwarmX: more systems deepen the tree (latency at the step boundary) but leave each system's
// stream bandwidth alone; with the same per-system batch the step grows only by that latency.
TEST(WaferModel, SwarmXAddsTreeLatencyOnly) {
  const wafer::CycleModel cm(cs2());
  const auto four = wafer::step_weight_streaming(run_of("cerebras-gpt-2.7b", cs2(), 4, 4 * 132), cm, 33, model::Recompute::full);
  const auto many = wafer::step_weight_streaming(run_of("cerebras-gpt-2.7b", cs2(), 64, 64 * 132), cm, 33, model::Recompute::full);
  const double hop = cs2().swarmx->hop_latency_s;
  EXPECT_NEAR(many.step_s - four.step_s, 2.0 * (3 - 1) * hop, 1e-9);
  // Strong scaling: the same global batch on more systems leaves fewer tokens per pass.
  const auto t1 = wafer::plan_training(run_of("cerebras-gpt-2.7b", cs2(), 1, 528), cm);
  EXPECT_DOUBLE_EQ(t1.scaling_efficiency, 1.0);
  const auto t64 = wafer::plan_training(run_of("cerebras-gpt-2.7b", cs2(), 64, 528), cm);
  EXPECT_LT(t64.scaling_efficiency, 0.9);
  EXPECT_GT(t64.scaling_efficiency, 0.0);
}

TEST(WaferModel, FailuresLengthenTraining) {
  const wafer::CycleModel cm(cs2());
  auto run = run_of("cerebras-gpt-13b", cs2(), 16, 1440);
  run.tokens = 2.57e11;
  const auto t = wafer::plan_training(run, cm);
  EXPECT_DOUBLE_EQ(t.steps, std::ceil(2.57e11 / (1440.0 * 2048.0)));
  EXPECT_DOUBLE_EQ(t.run.work_s, t.steps * t.step.step_s);
  EXPECT_GT(t.run.wall_s, t.run.work_s);
  EXPECT_LT(t.run.goodput, 1.0);
  EXPECT_DOUBLE_EQ(t.job_mtbf_s, cs2().reliability.mtbf_s / 16.0);
  EXPECT_NEAR(t.system_seconds, t.run.wall_s * 16, 1e-6);
}

TEST(WaferStudy, ExpandsWaferScenariosAndChecksThem) {
  const std::string base = R"(schema_version: 1
kind: training
title: t
sweeps:
  - name: w
    models: [cerebras-gpt-111m, cerebras-gpt-1.3b]
    systems: cs-2
    counts: [1, 4]
    strategies: [weight-streaming, auto+sparse50]
    workload: {task: train, seq_len: 2048}
references:
  - {sum: [cerebras-gpt-111m@cs-2x1/weight-streaming, cerebras-gpt-1.3b@cs-2x4/weight-streaming], label: both, metric: time_to_train_s, published: 1d, tolerance: 100%, source: x}
  - {ratio: {numerator: cerebras-gpt-1.3b@cs-2x1/weight-streaming, denominator: [cerebras-gpt-1.3b@cs-2x4/weight-streaming]}, metric: time_to_train_s, published: 4, tolerance: 10%, source: y}
  - {scenario: cerebras-gpt-111m@cs-2x1/weight-streaming, within_time: 1h, metric: train_tokens, published: 1e9, tolerance: 10%, source: z}
)";
  const auto st = test::plan_study(base, "demo.yaml");
  ASSERT_EQ(st.scenarios.size(), 8u);
  EXPECT_EQ(st.scenarios[0].id, "cerebras-gpt-111m@cs-2x1/weight-streaming");
  EXPECT_EQ(st.scenarios[1].id, "cerebras-gpt-111m@cs-2x1/auto+sparse50");
  ASSERT_EQ(st.references.size(), 3u);
  EXPECT_EQ(st.references[0].scenario_index, 0);  // the within_time one (scenario 0) sorts first
  EXPECT_EQ(st.references[1].aggregate, study::plan::Aggregate::sum);
  EXPECT_EQ(st.references[1].scenario_id, "both");
  EXPECT_EQ(st.references[1].scenario_index, 6);
  EXPECT_EQ(st.references[2].aggregate, study::plan::Aggregate::ratio);
  EXPECT_DOUBLE_EQ(st.references[2].published, 4.0);

  // One evaluation: the row and its per-layer rows agree.
  const auto res = study::run::evaluate(st, st.scenarios[6]);
  EXPECT_EQ(res.row.text(study::schema::scenarios::placement), "weight-streaming");
  EXPECT_EQ(res.row.number(study::schema::scenarios::systems), 4);
  EXPECT_EQ(res.row.number(study::schema::scenarios::fits), 1);
  // MFU counts what a GPU row counts: the matrix products without recomputation.
  {
    namespace col = study::schema::scenarios;
    const auto& m = catalog().model("cerebras-gpt-1.3b");
    const double model_flops_per_s =
        model::matmul_flops_per_sequence(m, 2048, false) * res.row.number(col::tokens_per_s) / 2048.0;
    EXPECT_NEAR(res.row.number(col::mfu), model_flops_per_s / (4.0 * cs2().peak_fp16_dense_flops), 1e-12);
  }
  // /wafer_layers adds up to the step with the SwarmX latency (4 systems: one tree level, down
  // and up) and the exposed MemoryX update.
  const auto& layers = res.tables.at("wafer_layers");
  double sum = 0;
  for (double t : layers.at("time_s").f64) sum += t;
  EXPECT_NEAR(sum + 2.0 * cs2().swarmx->hop_latency_s + res.row.number(study::schema::scenarios::step_cpu_optimizer_s),
              res.row.number(study::schema::scenarios::step_time_s), 1e-9);
  for (std::size_t i = 0; i < layers.rows(); ++i) EXPECT_EQ(layers.at("scenario_index").i64[i], 6);
  EXPECT_EQ(res.row.number(study::schema::scenarios::sparsity), 0.0);
  EXPECT_EQ(study::run::evaluate(st, st.scenarios[7]).row.number(study::schema::scenarios::sparsity), 0.5);

  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = base;
    s.replace(s.find(from), from.size(), to);
    return error_of(s);
  };
  // The same without the references, which name scenarios the change removes: the references
  // are read before each scenario is checked against its system.
  auto replaced_sweeps = [&](const std::string& from, const std::string& to) {
    std::string s = base.substr(0, base.find("references:"));
    s.replace(s.find(from), from.size(), to);
    return error_of(s);
  };
  EXPECT_NE(replaced("auto+sparse50", "zero2").find("is a wafer system"), std::string::npos);
  EXPECT_NE(replaced_sweeps("counts: [1, 4]", "counts: [1, 400]").find("at most 192 systems"), std::string::npos);
  EXPECT_NE(replaced("auto+sparse50", "mb200").find("more than the 120 sequences"), std::string::npos);
  EXPECT_NE(replaced("task: train, seq_len: 2048", "task: infer, prompt_tokens: 8, output_tokens: 8")
                .find("task: infer is for studies of kind inference"),
            std::string::npos);
  EXPECT_EQ(replaced("label: both,", ""), "");  // a label is optional
  EXPECT_NE(replaced("metric: train_tokens", "metric: step_time_s").find("must be train_tokens"), std::string::npos);
  EXPECT_NE(replaced("cerebras-gpt-111m@cs-2x1/weight-streaming, within_time", "cerebras-gpt-111m@cs-2x1/weight-streaming, label: q, within_time")
                .find("label names a sum, min or ratio"),
            std::string::npos);
  EXPECT_NE(replaced_sweeps("models: [cerebras-gpt-111m, cerebras-gpt-1.3b]", "models: [jais-13b]").find("no published batch"),
            std::string::npos);
  // Weight streaming needs MemoryX, which the CS-1 does not have.
  EXPECT_NE(replaced_sweeps("systems: cs-2\n    counts: [1, 4]", "systems: cs-1\n    counts: 1").find("no MemoryX"),
            std::string::npos);
}

namespace {

// A source that knows only forward products of one width, as a fabric cycle cache that has
// simulated some shapes would: it answers those and leaves the rest to the analytic mapping.
class KnowsOneShape final : public wafer::CycleSource {
 public:
  explicit KnowsOneShape(std::int64_t n) : n_(n) {}
  const char* name() const override { return "fabric"; }
  std::optional<double> cycles(const wafer::CycleQuery& q) const override {
    if (q.phase != wafer::Phase::fwd || q.gemm->n != n_) return std::nullopt;
    return 1000.0;
  }

 private:
  std::int64_t n_;
};

}  // namespace

// The source of every number stays visible: a preferred source answers where it can, the
// analytic mapping elsewhere, and the step says which were used.
TEST(WaferModel, CycleSourcesAreChainedAndNamed) {
  const wafer::Rect rect{cs2().fabric_height, cs2().fabric_width};
  const wafer::Gemm qkv{"qkv", 40960, 2048, 6144, 1, true, 1.0, 1.0};
  const KnowsOneShape fabric(6144);
  const wafer::CycleModel chained(cs2(), {&fabric});
  const wafer::CycleModel analytic(cs2());
  EXPECT_EQ(chained.gemm(qkv, wafer::Phase::fwd, wafer::Dataflow::streamed, rect).source, "fabric");
  EXPECT_DOUBLE_EQ(chained.gemm(qkv, wafer::Phase::fwd, wafer::Dataflow::streamed, rect).cycles, 1000.0);
  EXPECT_EQ(chained.gemm(qkv, wafer::Phase::dgrad, wafer::Dataflow::streamed, rect).source, "analytic");
  EXPECT_DOUBLE_EQ(chained.gemm(qkv, wafer::Phase::dgrad, wafer::Dataflow::streamed, rect).cycles,
                   analytic.gemm(qkv, wafer::Phase::dgrad, wafer::Dataflow::streamed, rect).cycles);
  const auto run = run_of("cerebras-gpt-1.3b", cs2(), 4, 528);
  EXPECT_EQ(wafer::step_weight_streaming(run, chained, 33, model::Recompute::full).compute_source, "fabric+analytic");
  EXPECT_EQ(wafer::step_weight_streaming(run, analytic, 33, model::Recompute::full).compute_source, "analytic");
}
