// Serving on both machines (gpu/serving_time.hpp, wafer/wafer_inference.hpp): the decode step's
// bounds, the batch curve, the memory limits and the placements the wafer refuses.
#include <gtest/gtest.h>

#include <cmath>

#include "gpu/serving_time.hpp"
#include "gpu/strategy.hpp"
#include "study/plan/catalog.hpp"
#include "wafer/resident_kernels.hpp"
#include "wafer/wafer_inference.hpp"
#include "test_catalog.hpp"

using namespace wb;

namespace {

using test::catalog;

model::Workload serving(std::int64_t batch, std::int64_t prompt, std::int64_t output = 512) {
  model::Workload w;
  w.task = model::Task::infer;
  w.batch = batch;
  w.prompt_tokens = prompt;
  w.output_tokens = output;
  return w;
}

gpu::ServingTime on_node(const char* model, const char* node, const char* strategy, const model::Workload& w) {
  return gpu::serving_time(catalog().model(std::string(model)),
                           gpu::make_node_cluster(*catalog().system(std::string(node)).node(), 1),
                           gpu::parse_strategy(strategy), w, catalog().framework("deepspeed"));
}

wafer::WaferInference on_wafer(const char* model, const char* system, std::int64_t systems, std::int64_t batch,
                               std::int64_t prompt, const char* strategy = "layer-pipelined") {
  wafer::InferenceRun r;
  r.model = &catalog().model(std::string(model));
  r.spec = catalog().system(std::string(system)).wafer();
  r.systems = systems;
  r.batch = batch;
  r.prompt_tokens = prompt;
  r.output_tokens = 512;
  r.strategy = wafer::parse_wafer_strategy(strategy);
  return wafer::plan_inference(r);
}

}  // namespace

// At batch 1 a decode step reads every weight once: 70B in 16 bits over 8 H100 is bounded below
// by 141 GB / (8 x 3.35 TB/s) and the step is HBM bound.
TEST(GpuServing, BatchOneIsBoundByTheWeightsRead) {
  const auto t = on_node("llama-3.1-70b", "dgx-h100", "infer-fp16+tp8", serving(1, 1024));
  const double floor = 2.0 * 70553706496.0 / (8 * 3.35e12);
  EXPECT_TRUE(t.memory_bound);
  EXPECT_GT(t.decode_step_s, floor);
  EXPECT_GT(t.weights_read_s, 10 * t.kv_read_s);
  EXPECT_GT(t.comm_s, 0.0);  // two all-reduces per layer at tp 8
  EXPECT_NEAR(t.tokens_per_s_per_user * t.decode_step_s, 1.0, 1e-12);
}

// The serving curve: aggregate tokens/s grows with the batch, per-user tokens/s falls, and the
// large batch turns compute bound.
TEST(GpuServing, AggregateGrowsAndPerUserFallsWithTheBatch) {
  double last_aggregate = 0, last_user = 1e30;
  for (std::int64_t b : {1, 8, 64, 256}) {
    const auto t = on_node("llama-3.1-8b", "dgx-h100", "infer-fp16+tp8", serving(b, 1024));
    EXPECT_GT(t.tokens_per_s, last_aggregate) << b;
    EXPECT_LT(t.tokens_per_s_per_user, last_user) << b;
    last_aggregate = t.tokens_per_s;
    last_user = t.tokens_per_s_per_user;
  }
}

// H200 differs from H100 in HBM (4.8 against 3.35 TB/s, 141 against 80 GB): faster memory-bound
// decode, the same compute-bound prefill, a larger batch in memory.
TEST(GpuServing, H200OverH100IsTheMemory) {
  const auto h100 = on_node("llama-3.1-70b", "dgx-h100", "infer-fp16+tp8", serving(1, 1024));
  const auto h200 = on_node("llama-3.1-70b", "hgx-h200", "infer-fp16+tp8", serving(1, 1024));
  EXPECT_GT(h200.tokens_per_s_per_user / h100.tokens_per_s_per_user, 1.2);
  EXPECT_NEAR(h200.ttft_s / h100.ttft_s, 1.0, 0.1);
  EXPECT_GT(h200.max_batch, 1.8 * static_cast<double>(h100.max_batch));
  // The KV cache of a longer context leaves room for fewer sequences.
  EXPECT_LT(on_node("llama-3.1-70b", "hgx-h200", "infer-fp16+tp8", serving(1, 32768)).max_batch, h200.max_batch);
}

// Prefill is compute bound: the prompt's FLOPs, 2 N per token, over eight GPUs' peak.
TEST(GpuServing, TimeToFirstTokenGrowsWithThePrompt) {
  const auto short_prompt = on_node("llama-3.1-70b", "hgx-h200", "infer-fp16+tp8", serving(1, 1024));
  const auto long_prompt = on_node("llama-3.1-70b", "hgx-h200", "infer-fp16+tp8", serving(1, 8192));
  EXPECT_GT(long_prompt.ttft_s, 5 * short_prompt.ttft_s);
  EXPECT_GT(short_prompt.ttft_s, 2.0 * 70.5e9 * 1024 / (8 * 989e12));
}

// Llama-3.1-8B in 16 bits (16 GB) fits one CS-3's 40 KB per PE with room for a KV cache. 70B
// (141 GB) fits neither one nor two systems; on four its weights fill 39.3 of the 40 KiB per PE
// of the fullest system (whole layers: 21 of 80), too little for the KV cache and the kernels' buffers; five hold
// it.
TEST(WaferServing, PlacementsThatDoNotFitAreRefused) {
  const auto small = on_wafer("llama-3.1-8b", "cs-3", 1, 1, 1024);
  EXPECT_TRUE(small.fits) << small.why;
  EXPECT_LE(small.sram.total(), wafer::kernel_sram_budget(*catalog().system(std::string("cs-3")).wafer()));
  const auto one = on_wafer("llama-3.1-70b", "cs-3", 1, 1, 1024);
  EXPECT_FALSE(one.fits);
  EXPECT_FALSE(one.why.empty());
  EXPECT_TRUE(std::isnan(one.tokens_per_s_per_user));
  EXPECT_FALSE(on_wafer("llama-3.1-70b", "cs-3", 2, 1, 1024).fits);
  const auto four = on_wafer("llama-3.1-70b", "cs-3", 4, 1, 1024);
  EXPECT_FALSE(four.fits);
  EXPECT_GT(four.sram.weights, 0.98 * four.sram.budget);
  EXPECT_LT(four.sram.weights, four.sram.budget);
  const auto five = on_wafer("llama-3.1-70b", "cs-3", 5, 1, 1024);
  EXPECT_TRUE(five.fits) << five.why;
  // A batch whose KV cache exceeds what is left is refused.
  EXPECT_FALSE(on_wafer("llama-3.1-70b", "cs-3", 5, 256, 32768).fits);
}

// Weights resident in SRAM: a 70B token on five CS-3 is far faster than the same weights read
// from MemoryX for every step, and the hop between systems is part of the step.
TEST(WaferServing, ResidentBeatsStreamedAndHopsAreCosted) {
  const auto resident = on_wafer("llama-3.1-70b", "cs-3", 5, 1, 1024);
  const auto streamed = on_wafer("llama-3.1-70b", "cs-3", 5, 1, 1024, "weight-streaming");
  ASSERT_TRUE(resident.fits && streamed.fits);
  EXPECT_GT(streamed.decode_step_s, 10 * resident.decode_step_s);
  EXPECT_GT(resident.comm_s, 4 * 2 * 10e-6);  // four system hops through a switch level
  const auto one = on_wafer("llama-3.1-8b", "cs-3", 1, 1, 1024);
  EXPECT_GT(one.weights_s, 0.0);
  EXPECT_GT(one.kv_s, 0.0);
  EXPECT_NEAR(one.weights_s + one.kv_s + one.compute_s + one.comm_s, one.decode_step_s, 1e-15);
}

// Continuous batching on the layer pipeline: up to one group per layer, the aggregate grows with
// the batch while the per-user rate falls slowly.
TEST(WaferServing, AggregateGrowsWithTheBatch) {
  const auto one = on_wafer("llama-3.1-8b", "cs-3", 1, 1, 1024);
  const auto many = on_wafer("llama-3.1-8b", "cs-3", 1, 64, 1024);
  ASSERT_TRUE(many.fits) << many.why;
  EXPECT_GT(many.tokens_per_s, 10 * one.tokens_per_s);
  EXPECT_LE(many.tokens_per_s_per_user, one.tokens_per_s_per_user);
  EXPECT_EQ(many.groups, 32);
  // The fullest PE holds its weights, its KV cache and the chosen kernels' buffers within budget.
  EXPECT_GT(many.sram.buffers, 0.0);
  EXPECT_LE(many.sram.total(), many.sram.budget);
}
