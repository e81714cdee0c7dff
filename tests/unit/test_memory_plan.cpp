#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "gpu/memory_plan.hpp"
#include "io/file_source.hpp"
#include "study/plan/catalog.hpp"
#include "test_catalog.hpp"

using namespace wb;

namespace {

using test::catalog;

gpu::ClusterSpec dgx(std::int64_t nodes) { return gpu::make_node_cluster(*catalog().system("dgx-a100-40gb").node(), nodes); }

model::Workload train(std::int64_t seq) {
  model::Workload w;
  w.task = model::Task::train;
  w.seq_len = seq;
  return w;
}

gpu::MemoryPlan plan(const char* model, const gpu::ClusterSpec& c, const char* strategy, const char* framework = "deepspeed",
                     std::int64_t seq = 2048) {
  return gpu::plan_memory(catalog().model(model), c, gpu::parse_strategy(strategy), train(seq), catalog().framework(framework));
}

}  // namespace

// Rajbhandari et al. Sec. 5.3 with K = 12: 16 Psi, 4 Psi + 12 Psi/Nd, 2 Psi + 14 Psi/Nd, 16 Psi/Nd.
TEST(MemoryPlan, ZeroPaperModelStates) {
  const double psi = static_cast<double>(model::count_params(catalog().model("megatron-7.5b")).total);
  const auto c = dgx(8);  // 64 GPUs
  const double nd = 64;
  EXPECT_DOUBLE_EQ(plan("megatron-7.5b", c, "zero0+mb1", "zero-paper").device.model_states(), 16 * psi);
  EXPECT_DOUBLE_EQ(plan("megatron-7.5b", c, "zero1+mb1", "zero-paper").device.model_states(), 4 * psi + 12 * psi / nd);
  EXPECT_DOUBLE_EQ(plan("megatron-7.5b", c, "zero2+mb1", "zero-paper").device.model_states(), 2 * psi + 14 * psi / nd);
  EXPECT_DOUBLE_EQ(plan("megatron-7.5b", c, "zero3+mb1", "zero-paper").device.model_states(), 16 * psi / nd);
}

TEST(MemoryPlan, EachStageAndOffloadSavesDeviceMemory) {
  const auto c = dgx(1);
  const double z0 = plan("cerebras-gpt-6.7b", c, "zero0+mb1").device.total();
  const double z1 = plan("cerebras-gpt-6.7b", c, "zero1+mb1").device.total();
  const double z2 = plan("cerebras-gpt-6.7b", c, "zero2+mb1").device.total();
  const double z3 = plan("cerebras-gpt-6.7b", c, "zero3+mb1").device.total();
  const auto off = plan("cerebras-gpt-6.7b", c, "zero2+offload+mb1");
  EXPECT_GT(z0, z1);
  EXPECT_GT(z1, z2);
  EXPECT_GT(z2, z3);
  EXPECT_LT(off.device.total(), z2);
  EXPECT_DOUBLE_EQ(off.device.optimizer, 0.0);
  EXPECT_GT(off.host.optimizer, 0.0);
  // Offloaded states over the node: 12 + 4 bytes per parameter in all.
  const double psi = static_cast<double>(model::count_params(catalog().model("cerebras-gpt-6.7b")).total);
  EXPECT_NEAR(off.host.optimizer + off.host.grads, 16 * psi, 1e-6 * psi);
}

TEST(MemoryPlan, RecomputeAndMicroBatchMoveActivations) {
  const auto c = dgx(1);
  const auto none = plan("cerebras-gpt-2.7b", c, "zero2+offload+mb1");
  const auto full = plan("cerebras-gpt-2.7b", c, "zero2+offload+mb1+recompute-full");
  const auto mb4 = plan("cerebras-gpt-2.7b", c, "zero2+offload+mb4");
  EXPECT_LT(full.device.activations, none.device.activations / 4);
  EXPECT_NEAR(mb4.device.activations / none.device.activations, 4.0, 0.01);
  EXPECT_DOUBLE_EQ(full.device.params, none.device.params);
}

TEST(MemoryPlan, TensorAndPipelineParallelismSplitWeights) {
  const auto c = dgx(2);  // 16 GPUs
  const auto base = plan("megatron-39b", c, "zero1+mb1");
  const auto tp8 = plan("megatron-39b", c, "zero1+tp8+mb1");
  const auto tp8pp2 = plan("megatron-39b", c, "zero1+tp8+pp2+mb1");
  EXPECT_NEAR(tp8.params_per_device * 8, base.params_per_device, 1e-3 * base.params_per_device);
  EXPECT_LT(tp8pp2.params_per_device, tp8.params_per_device * 0.6);
  EXPECT_EQ(tp8pp2.dp, 1);
  EXPECT_EQ(tp8.dp, 2);
  // The first stage holds pp micro-batches in flight under 1F1B.
  EXPECT_EQ(tp8pp2.critical_stage, 0);
}

TEST(MemoryPlan, ImpossibleLayoutsAreRejected) {
  EXPECT_THROW(plan("cerebras-gpt-111m", dgx(1), "zero0+tp3+mb1"), std::invalid_argument);   // 8 % 3
  EXPECT_THROW(plan("cerebras-gpt-111m", dgx(4), "zero0+pp32+mb1"), std::invalid_argument);  // 10 layers
  EXPECT_THROW(plan("cerebras-gpt-256m", dgx(1), "zero0+tp2+mb1"), std::invalid_argument);   // 17 heads
}

TEST(MemoryPlan, FitsAgainstDeviceAndHost) {
  const auto c = gpu::make_gpu_cluster(*catalog().system("a100-40gb").gpu(), 1, std::nullopt);
  const auto p = plan("cerebras-gpt-13b", c, "zero0+mb1");
  EXPECT_FALSE(p.fits_device);
  EXPECT_TRUE(std::isnan(p.host_capacity));
  EXPECT_TRUE(p.fits_host);  // no host described: not judged
  EXPECT_TRUE(plan("cerebras-gpt-111m", c, "zero0+mb1").fits());
}

TEST(MemoryPlan, InferenceWeightsAndOffload) {
  const auto c = gpu::make_gpu_cluster(*catalog().system("a100-40gb").gpu(), 1, std::nullopt);
  model::Workload w;
  w.task = model::Task::infer;
  w.prompt_tokens = 16;
  w.output_tokens = 128;
  const auto& m = catalog().model("cerebras-gpt-13b");
  const auto& f = catalog().framework("deepspeed");
  const double psi = static_cast<double>(model::count_params(m).total);
  const auto fp32 = gpu::plan_memory(m, c, gpu::parse_strategy("infer-fp32"), w, f);
  const auto fp16 = gpu::plan_memory(m, c, gpu::parse_strategy("infer-fp16"), w, f);
  const auto off = gpu::plan_memory(m, c, gpu::parse_strategy("zero3+param-offload+infer-fp32"), w, f);
  EXPECT_DOUBLE_EQ(fp32.device.params, 4 * psi);
  EXPECT_DOUBLE_EQ(fp16.device.params, 2 * psi);
  EXPECT_LT(off.device.params, 0.1 * fp32.device.params);
  EXPECT_FALSE(fp32.fits());
  EXPECT_TRUE(off.fits());
}

// Interleaved 1F1B (vp<v>): stage 0 runs 2 (pp - 1) + (v - 1) pp warm-up chunk passes of
// layers / v layers each before its first backward (Megatron-LM's interleaved schedule), i.e.
// (1 + (pp - 1) / (pp v)) times the activations of plain 1F1B (Korthikanti et al., Sec. 4.2.3);
// the global batch bounds the passes in flight.
TEST(MemoryPlan, InterleavedScheduleHoldsMoreActivationsOnTheFirstStage) {
  const auto c = dgx(4);  // 32 GPUs: tp8 x pp4
  const auto plain = plan("megatron-39b", c, "zero1+tp8+pp4+mb1");
  const auto vp2 = plan("megatron-39b", c, "zero1+tp8+pp4+vp2+mb1");
  const auto vp4 = plan("megatron-39b", c, "zero1+tp8+pp4+vp4+mb1");
  ASSERT_EQ(plain.critical_stage, 0);
  ASSERT_EQ(vp2.critical_stage, 0);
  EXPECT_NEAR(vp2.device.activations / plain.device.activations, 1.0 + 3.0 / 8.0, 0.01);
  EXPECT_NEAR(vp4.device.activations / plain.device.activations, 1.0 + 3.0 / 16.0, 0.01);
  EXPECT_EQ(vp2.device.params, plain.device.params);

  // Two micro-batches per step: at most 2 x v chunk passes, no more than 1F1B's two.
  auto w = train(2048);
  w.global_batch = 2;
  const auto& m = catalog().model("megatron-39b");
  const auto& f = catalog().framework("deepspeed");
  const auto few_plain = gpu::plan_memory(m, c, gpu::parse_strategy("zero1+tp8+pp4+mb1"), w, f);
  const auto few_vp2 = gpu::plan_memory(m, c, gpu::parse_strategy("zero1+tp8+pp4+vp2+mb1"), w, f);
  EXPECT_NEAR(few_vp2.device.activations / few_plain.device.activations, 1.0, 0.01);
}
