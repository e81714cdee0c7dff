// Extreme sizes: a 1T-parameter model, 100,000 GPUs, 2,048 wafers, a 128k sequence.
// Every count must be exact (no int overflow), every byte and FLOP figure finite and positive,
// and each figure must scale as its formula says (no silent saturation or wrap-around).
#include <gtest/gtest.h>

#include <cmath>

#include "gpu/memory_plan.hpp"
#include "io/file_source.hpp"
#include "study/plan/catalog.hpp"
#include "wafer/cycle_model.hpp"
#include "wafer/wafer_strategy.hpp"
#include "wafer/wafer_training.hpp"
#include "test_catalog.hpp"

using namespace wb;

namespace {

using test::catalog;

// 128 layers of 25,600 (d_ffn 4h): 12 L h^2 = 1.007e12 parameters.
model::TransformerConfig one_trillion(std::int64_t positions) {
  model::TransformerConfig m;
  m.name = "gpt-1t";
  m.layers = 128;
  m.d_model = 25600;
  m.heads = 160;
  m.kv_heads = 160;
  m.d_head = 160;
  m.d_ffn = 4 * 25600;
  m.vocab = 51200;
  m.max_positions = positions;
  return m;
}

bool finite_positive(double x) { return std::isfinite(x) && x > 0; }

}  // namespace

TEST(Sizes, TrillionParameterCountIsExact) {
  const auto m = one_trillion(131072);
  const auto p = model::count_params(m);
  // The same sum in long double, term by term (exact for these magnitudes).
  const long double h = 25600, l = 128, f = 4 * 25600, v = 51200, s = 131072;
  const long double layer = 4 * h * h + 4 * h + 2 * h * f + f + h + 4 * h;
  const long double total = v * h + s * h + l * layer + 2 * h;
  EXPECT_EQ(static_cast<long double>(p.total), total);
  EXPECT_GT(p.total, 1'000'000'000'000);
  EXPECT_TRUE(finite_positive(model::train_flops_per_token(m, 131072, model::FlopConvention::chinchilla)));
}

TEST(Sizes, LongSequenceActivationsGrowAsTheirFormula) {
  const auto m = one_trillion(131072);
  const double a16k = model::activation_bytes_per_layer(m, 16384, 1, 8, true, model::Recompute::none);
  const double a128k = model::activation_bytes_per_layer(m, 131072, 1, 8, true, model::Recompute::none);
  ASSERT_TRUE(finite_positive(a128k));
  // sbh(34 + 5as/h)/t: between linear (x8) and quadratic (x64) in s, dominated by the s^2 term.
  EXPECT_GT(a128k / a16k, 8.0);
  EXPECT_LT(a128k / a16k, 64.0);
  EXPECT_TRUE(finite_positive(model::kv_cache_bytes(m, 64, 131072, 2.0)));
}

TEST(Sizes, HundredThousandGpus) {
  const auto& node = *catalog().system(std::string("dgx-a100-80gb")).node();
  const auto cluster = gpu::make_node_cluster(node, 12500);  // 100,000 GPUs
  EXPECT_EQ(cluster.total_gpus(), 100000);
  const auto m = one_trillion(2048);
  model::Workload w;
  w.seq_len = 2048;
  w.global_batch = 100000;
  const auto& f = catalog().framework(std::string("deepspeed"));
  const auto plan = gpu::plan_memory(m, cluster, gpu::parse_strategy("zero3+tp8+pp10+mb1+recompute-full"), w, f);
  EXPECT_EQ(plan.dp, 1250);
  EXPECT_TRUE(finite_positive(plan.device.total()));
  EXPECT_TRUE(plan.fits_device);
  // ZeRO-3 over 1,250 replicas: the optimizer share is the stage's (12 + 4)-byte states over dp.
  EXPECT_NEAR(plan.device.optimizer, 16.0 * plan.params_per_device / 1250.0, 1e-9 * plan.device.optimizer);
}

TEST(Sizes, TwoThousandWafers) {
  const auto& cs3 = *catalog().system(std::string("cs-3")).wafer();
  // At 8k tokens one sequence's activations alone exceed the 44 GB of SRAM (the model says so);
  // 2k fits.
  const auto m = one_trillion(2048);
  wafer::WaferRun run;
  run.model = &m;
  run.spec = &cs3;
  run.systems = 2048;
  run.seq = 2048;
  run.global_batch = 2048 * 4;
  run.tokens = 20e12;
  run.strategy = wafer::parse_wafer_strategy("weight-streaming");
  const wafer::CycleModel cycles(cs3);
  const auto t = wafer::plan_training(run, cycles);
  ASSERT_TRUE(t.step.fits) << t.step.why_not;
  EXPECT_TRUE(finite_positive(t.step.step_s));
  EXPECT_TRUE(finite_positive(t.run.wall_s));
  EXPECT_TRUE(finite_positive(t.system_seconds));
  EXPECT_GT(t.steps, 1e5);
  EXPECT_GT(wafer::swarmx_depth(2048, 4), 1);
}
