// The GPU time model's parts: kernel costs, collective costs, processor sharing, step programs,
// training and inference time, the strategy search. (The simulator's rank independence and the
// fast path's identity with the PDES are tested under MPI in tests/mpi/test_gpu_sim.cpp.)
#include <gtest/gtest.h>

#include <cmath>

#include "gpu/cluster_sim.hpp"
#include "gpu/collective_cost.hpp"
#include "gpu/fast_path.hpp"
#include "gpu/memory_plan.hpp"
#include "gpu/op_cost.hpp"
#include "gpu/program_builder.hpp"
#include "gpu/search.hpp"
#include "gpu/step_program.hpp"
#include "gpu/time_model.hpp"
#include "io/file_source.hpp"
#include "sim/shared_server.hpp"
#include "study/plan/catalog.hpp"
#include "test_catalog.hpp"

namespace {

using namespace wb;

using test::catalog;

const gpu::GpuSpec& a100() { return *catalog().system("a100-80gb").gpu(); }
const gpu::FrameworkTime& megatron() { return *catalog().framework("megatron-lm").time; }

TEST(OpCost, GemmEfficiencyGrowsWithSizeAndStaysBelowItsCeiling) {
  const gpu::OpCost c(a100(), *a100().perf, megatron());
  const double small = c.gemm_efficiency(1024, 384, 1024);
  const double medium = c.gemm_efficiency(4096, 4096, 4096);
  const double large = c.gemm_efficiency(16384, 16384, 16384);
  EXPECT_LT(small, medium);
  EXPECT_LT(medium, large);
  EXPECT_LE(large, a100().perf->gemm_efficiency);
  EXPECT_GT(large, 0.9 * a100().perf->gemm_efficiency);
}

TEST(OpCost, WaveQuantizationMakesOneMoreRowCostMoreThanItsWork) {
  const gpu::OpCost c(a100(), *a100().perf, megatron());
  // 108 SMs of 256x128 tiles: 27 x 4 tiles fill one wave exactly; one more row spills into
  // another wave (cuBLAS, like the model, then falls back to smaller tiles, which helps only
  // part of the way).
  const double full = c.gemm(256 * 27, 128 * 4, 8192).gpu_s;
  const double one_more = c.gemm(256 * 27 + 1, 128 * 4, 8192).gpu_s;
  EXPECT_GT(one_more / full, 1.1);
  EXPECT_GT(c.gemm_efficiency(256 * 27, 128 * 4, 8192), c.gemm_efficiency(256 * 27 + 1, 128 * 4, 8192));
}

TEST(OpCost, ACollectivesChannelsPushAFullWaveIntoASecond) {
  gpu::OpCost c(a100(), *a100().perf, megatron());
  const double alone = c.gemm(256 * 27, 128 * 4, 8192).gpu_s;
  const double stream_alone = c.stream(1e9).gpu_s - a100().perf->kernel_gap_s;
  c.share_with_collective(24, 0.25);
  // 108 tiles on 84 free SMs: a second, mostly empty wave (NVIDIA forum, FSDP all-gather beside
  // a one-wave GEMM), softened by the smaller tiles the model may fall back to.
  const double shared = c.gemm(256 * 27, 128 * 4, 8192).gpu_s;
  EXPECT_GT(shared / alone, 1.3);
  EXPECT_LT(shared / alone, 2.01);
  EXPECT_NEAR((c.stream(1e9).gpu_s - a100().perf->kernel_gap_s) / stream_alone, 1.0 / 0.75, 1e-9);
}

TEST(OpCost, StreamingKernelsScaleWithBytes) {
  const gpu::OpCost c(a100(), *a100().perf, megatron());
  const double gap = a100().perf->kernel_gap_s;
  EXPECT_NEAR(c.stream(2e9).gpu_s - gap, 2.0 * (c.stream(1e9).gpu_s - gap), 1e-12);
  EXPECT_NEAR(c.stream(1e9).gpu_s - gap, 1e9 / (a100().memory_bandwidth * a100().perf->memory_efficiency), 1e-12);
}

TEST(OpCost, MatmulFlopsMatchMegatronFormulaForFourHFfn) {
  // Narayanan et al. SC'21 eq. 3 with recomputation: 96 B s l h^2 (1 + s/6h + V/16lh) per step.
  const auto& m = catalog().model("megatron-1.7b");
  const double l = 24, h = 2304, s = 2048, v = 51200;
  const double megatron_formula = 96.0 * s * l * h * h * (1 + s / (6 * h) + v / (16 * l * h));
  EXPECT_NEAR(model::matmul_flops_per_sequence(m, 2048, true) / megatron_formula, 1.0, 1e-12);
}

TEST(CollectiveCost, RingFormulasAndTopology) {
  const auto& node = *catalog().system("dgx-a100-80gb").node();
  const gpu::Fabric f = gpu::make_fabric(gpu::make_node_cluster(node, 4));
  const gpu::GroupShape in_node{8, 1, 8};
  const double rs = gpu::collective_time(gpu::Collective::reduce_scatter, 1e9, in_node, f);
  const double ar = gpu::collective_time(gpu::Collective::all_reduce, 1e9, in_node, f);
  EXPECT_NEAR(ar, 2.0 * rs, 1e-12);  // ring all-reduce = reduce-scatter + all-gather
  EXPECT_NEAR(rs, 7.0 * f.intra_latency_s + 7.0 / 8.0 * 1e9 / (f.intra_bandwidth * f.intra_efficiency), 1e-12);
  EXPECT_EQ(gpu::collective_time(gpu::Collective::all_reduce, 1e9, gpu::GroupShape{1, 1, 1}, f), 0.0);
  // One GPU per node: one rail; eight per node: all eight rails (DP across nodes under TP 8).
  const double one_rail = gpu::collective_time(gpu::Collective::reduce_scatter, 1e9, gpu::GroupShape{4, 4, 1}, f);
  const double eight_rails = gpu::collective_time(gpu::Collective::reduce_scatter, 1e9, gpu::GroupShape{32, 4, 8}, f);
  EXPECT_GT(one_rail, 4.0 * eight_rails);
}

TEST(SharedServer, OneJobOfWeightKFinishesWithKIdenticalJobs) {
  sim::SharedServer many(3.0e9), one(3.0e9);
  for (int k = 0; k < 8; ++k) many.add(1000, k, 1.234567e9, 1.0);
  one.add(1000, 0, 1.234567e9, 8.0);
  EXPECT_EQ(many.next_completion(), one.next_completion());
  const auto done = many.complete(many.next_completion());
  EXPECT_EQ(done.size(), 8u);
  EXPECT_TRUE(many.idle());
}

TEST(SharedServer, LaterJobSlowsTheFirst) {
  sim::SharedServer s(1.0e9);  // 1e9 units/s
  s.add(0, 1, 1.0e9, 1.0);     // alone: would finish at 1 s
  s.add(sim::to_sim_time(0.5), 2, 1.0e9, 1.0);
  // From 0.5 s both share: job 1 has 0.5e9 left at half speed -> 1.5 s.
  EXPECT_EQ(s.next_completion(), sim::to_sim_time(1.5));
}

gpu::StepSetup setup(const std::string& model, const std::string& system, std::int64_t nodes, const std::string& strategy,
                     const std::string& framework, std::int64_t global_batch) {
  model::Workload w;
  w.seq_len = 2048;
  w.global_batch = global_batch;
  return gpu::make_step_setup(catalog().model(model), gpu::make_node_cluster(*catalog().system(system).node(), nodes),
                              gpu::parse_strategy(strategy), w, catalog().framework(framework), 0.0, 1);
}

TEST(StepProgram, OneFOneBRunsEveryMicroBatchForwardAndBackwardOnEveryStage) {
  const auto st = setup("megatron-1.7b", "dgx-a100-80gb", 2, "zero0+tp2+pp4+vp2+mb1+recompute-full", "megatron-lm", 16);
  EXPECT_EQ(st.grad_accum, 8);
  for (std::int64_t s = 0; s < st.pp; ++s) {
    const gpu::Program p = gpu::build_program(st, s);
    int recv_act = 0, send_grad = 0, recompute = 0;
    for (const auto& t : p.tasks) {
      recv_act += t.kind == gpu::TaskKind::recv_act;
      send_grad += t.kind == gpu::TaskKind::send_grad;
      recompute += t.kind == gpu::TaskKind::recompute;
    }
    // Chunks per stage x micro-batches, minus the first virtual stage (stage 0 chunk 0).
    EXPECT_EQ(recv_act, s == 0 ? 8 : 16) << "stage " << s;
    EXPECT_EQ(send_grad, s == 0 ? 8 : 16) << "stage " << s;
    EXPECT_EQ(recompute, 2 * 2 * 3 * 8) << "two halves x chunks x layers x micro-batches";
  }
}

TEST(StepProgram, RejectsWhatFrameworksRefuse) {
  EXPECT_THROW(setup("megatron-1.7b", "dgx-a100-80gb", 2, "zero2+pp2+mb1", "deepspeed", 16), std::invalid_argument);
  EXPECT_THROW(setup("megatron-1.7b", "dgx-a100-80gb", 2, "zero0+pp4+vp2+mb1", "megatron-lm", 6), std::invalid_argument);
  EXPECT_THROW(setup("megatron-1.7b", "dgx-a100-80gb", 2, "zero0+mb3", "megatron-lm", 16), std::invalid_argument);
}

double compute_stream_total(const gpu::Program& p) {
  double ps = 0;
  for (const auto& t : p.tasks)
    if (t.stream == gpu::Stream::compute) ps += static_cast<double>(t.duration);
  return ps;
}

TEST(StepProgram, OverlappedCollectivesSlowOnlyTheKernelsBesideThem) {
  // ZeRO-3 on one DGX: every layer's gather (forward and backward) and gradient reduce-scatter
  // runs beside the compute stream and takes SMs and HBM bandwidth from it.
  const auto st = setup("cerebras-gpt-1.3b", "dgx-a100-80gb", 1, "zero3+mb4", "deepspeed", 32);
  ASSERT_GT(st.contended.mlp_bwd, st.mlp_bwd);
  auto alone = st;
  alone.contended = {st.attn_fwd, st.mlp_fwd, st.attn_bwd, st.mlp_bwd, st.core_fwd,
                     st.embed_fwd, st.embed_bwd, st.head_fwd, st.head_bwd};
  const gpu::Program shared = gpu::build_program(st, 0), plain = gpu::build_program(alone, 0);
  double overlapped = 0;
  for (const auto& t : shared.tasks)
    if (t.kind == gpu::TaskKind::param_allgather || t.kind == gpu::TaskKind::grad_reduce) overlapped += static_cast<double>(t.duration);
  const double extra = compute_stream_total(shared) - compute_stream_total(plain);
  EXPECT_GT(extra, 0.0);
  EXPECT_LT(extra, overlapped);  // at most the collectives' time, at a partial slowdown
  // Megatron's after-backward all-reduce overlaps nothing: the program is the plain one.
  const auto mg = setup("megatron-1.7b", "dgx-a100-80gb", 1, "zero0+tp2+mb1", "megatron-lm", 16);
  auto mg_alone = mg;
  mg_alone.contended = {mg.attn_fwd, mg.mlp_fwd, mg.attn_bwd, mg.mlp_bwd, mg.core_fwd,
                        mg.embed_fwd, mg.embed_bwd, mg.head_fwd, mg.head_bwd};
  EXPECT_EQ(compute_stream_total(gpu::build_program(mg, 0)), compute_stream_total(gpu::build_program(mg_alone, 0)));
}

TEST(StepProgram, DeepSpeedGathersEachSubmoduleAndPaysTheRingLatencyPerCall) {
  const auto st = setup("cerebras-gpt-1.3b", "dgx-a100-80gb", 4, "zero3+mb2", "deepspeed", 64);
  EXPECT_EQ(st.layer_submodules, 6.0);  // two LayerNorms, fused QKV, projection, FC1, FC2
  model::Workload w;
  w.seq_len = 4096;
  w.global_batch = 1024;
  const auto llama = gpu::make_step_setup(catalog().model("llama-2-70b"),
                                          gpu::make_node_cluster(*catalog().system("dgx-a100-80gb").node(), 8),
                                          gpu::parse_strategy("zero3+tp8+mb1"), w, catalog().framework("deepspeed"), 0.0, 1);
  EXPECT_EQ(llama.layer_submodules, 9.0);  // two RMSNorms, q, k, v, o, gate, up, down
  const double one_call = gpu::collective_time(gpu::Collective::all_gather, 2.0 * st.layer_params, st.dp_shape, st.fabric);
  const double latency = gpu::collective_latency(gpu::Collective::all_gather, st.dp_shape, st.fabric);
  EXPECT_NEAR(latency, 31 * catalog().system("dgx-a100-80gb").node()->perf->net_latency_s, 1e-12);
  const gpu::Program p = gpu::build_program(st, 0);
  int layer_gathers = 0;
  for (const auto& t : p.tasks)
    if (t.kind == gpu::TaskKind::param_allgather && t.work == 2.0 * st.layer_params) {
      EXPECT_EQ(t.duration, gpu::duration_ps(one_call + 5.0 * latency));
      ++layer_gathers;
    }
  EXPECT_EQ(layer_gathers, 2 * 24);  // forward and backward of 24 layers, one micro-batch
}

TEST(StepProgram, SequenceParallelismSplitsTheNormsAndDropoutsOverTheTensorRanks) {
  const auto plain = setup("megatron-7.5b", "dgx-a100-80gb", 1, "zero1+tp4+mb4+recompute-selective", "megatron-lm", 8);
  const auto sp = setup("megatron-7.5b", "dgx-a100-80gb", 1, "zero1+tp4+sp+mb4+recompute-selective", "megatron-lm", 8);
  EXPECT_EQ(gpu::parse_strategy("zero1+sp+tp4+mb4").canonical(), "zero1+tp4+sp+mb4");
  EXPECT_THROW(gpu::parse_strategy("zero1+sp+mb4"), std::invalid_argument);
  // The GEMMs are the same; only the memory-bound kernels outside the tensor-parallel region
  // shrink, and the reduce-scatter plus all-gather cost what the all-reduce did.
  EXPECT_LT(sp.attn_fwd, plain.attn_fwd);
  EXPECT_LT(sp.mlp_bwd, plain.mlp_bwd);
  EXPECT_GT(sp.attn_fwd, plain.attn_fwd * 9 / 10);
  EXPECT_EQ(sp.tp_allreduce, plain.tp_allreduce);
  // HFU counts the recomputed products: the attention core twice under selective recomputation,
  // the whole forward twice under full recomputation.
  const auto& m = catalog().model("megatron-7.5b");
  const double model_flops = model::matmul_flops_per_sequence(m, 2048, false);
  EXPECT_EQ(model::hardware_flops_per_sequence(m, 2048, model::Recompute::none), model_flops);
  EXPECT_GT(model::hardware_flops_per_sequence(m, 2048, model::Recompute::selective), model_flops);
  EXPECT_LT(model::hardware_flops_per_sequence(m, 2048, model::Recompute::selective), 1.05 * model_flops);
  EXPECT_EQ(model::hardware_flops_per_sequence(m, 2048, model::Recompute::full), model::matmul_flops_per_sequence(m, 2048, true));
}

TEST(StepProgram, Fp8RunsTheWeightProductsOnFp8TensorCoresWithTheirCasts) {
  const auto bf16 = setup("megatron-7.5b", "dgx-h100", 1, "zero1+tp2+mb4", "megatron-lm", 16);
  const auto fp8 = setup("megatron-7.5b", "dgx-h100", 1, "zero1+tp2+mb4+fp8", "megatron-lm", 16);
  EXPECT_EQ(gpu::parse_strategy("fp8+zero1+mb4").canonical(), "zero1+mb4+fp8");
  // Faster, but less than the 2x of the FP8 peak: attention, element-wise kernels and the casts
  // stay in BF16 traffic.
  const double f = static_cast<double>(fp8.mlp_fwd + fp8.mlp_bwd), b = static_cast<double>(bf16.mlp_fwd + bf16.mlp_bwd);
  EXPECT_LT(f, 0.8 * b);
  EXPECT_GT(f, 0.5 * b);
  EXPECT_GT(fp8.attn_fwd, bf16.attn_fwd / 2);
  EXPECT_THROW(setup("megatron-7.5b", "dgx-a100-80gb", 1, "zero1+tp2+mb4+fp8", "megatron-lm", 16), std::invalid_argument);
  EXPECT_THROW(gpu::parse_strategy("zero3+fp8+infer-fp16"), std::invalid_argument);
}

gpu::TrainingTime train(const std::string& model, const std::string& system, std::int64_t nodes, const std::string& strategy,
                        std::int64_t global_batch, double tokens = 1e9) {
  model::Workload w;
  w.seq_len = 2048;
  w.global_batch = global_batch;
  gpu::TimeOptions opt;
  return gpu::training_time(catalog().model(model), gpu::make_node_cluster(*catalog().system(system).node(), nodes),
                            gpu::parse_strategy(strategy), w, catalog().framework("deepspeed"), tokens, opt, MPI_COMM_SELF);
}

TEST(TrainingTime, BreakdownSumsToTheStepAndThroughputFollows) {
  const auto t = train("cerebras-gpt-2.7b", "dgx-a100-40gb", 1, "zero2+offload+mb1+recompute-full", 8);
  EXPECT_TRUE(t.fast_path);
  const double parts = t.compute_s + t.exposed_comm_s + t.offload_s + t.cpu_s + t.bubble_s + t.straggler_s;
  EXPECT_NEAR(parts, t.step_time_s, 1e-9);
  EXPECT_NEAR(t.forward_s + t.backward_s + t.optimizer_s + t.straggler_s, t.step_time_s, 1e-9);
  EXPECT_NEAR(t.tokens_per_s * t.step_time_s, 8.0 * 2048.0, 1e-6);
  EXPECT_GT(t.cpu_s, t.compute_s);  // CPU-Adam of 2.7B parameters dominates this step
  EXPECT_GE(t.straggler_s, 0.0);
  EXPECT_LT(t.goodput, 1.0);
  EXPECT_GT(t.time_to_train_s, 1e9 / t.tokens_per_s);
}

TEST(StepProgram, DeepSpeedsSendsWaitForTheReceiverYetCostNothingInTheSteadyState) {
  // DeepSpeed's blocking, paired sends: every data send of the pipeline waits for a handshake
  // its receiver sends when it reaches the receive instruction. In 1F1B's steady state each
  // stage is already there when its neighbour sends (both alternate a forward and a backward),
  // so the pairing adds next to nothing.
  const std::int64_t m = 64;
  const auto st = setup("megatron-1.7b", "dgx-a100-80gb", 1, "zero1+tp2+pp4+mb1+recompute-full", "deepspeed", m);
  ASSERT_GT(st.p2p_handshake, 0);
  std::vector<gpu::Program> paired, unpaired;
  gpu::StepSetup plain = st;
  plain.p2p_handshake = 0;
  for (std::int64_t s = 0; s < st.pp; ++s) {
    paired.push_back(gpu::build_program(st, s));
    unpaired.push_back(gpu::build_program(plain, s));
    int data_sends = 0, handshakes = 0, waits = 0;
    for (const auto& t : paired.back().tasks) {
      handshakes += gpu::is_handshake(t);
      data_sends += t.resource == gpu::Resource::send && !gpu::is_handshake(t);
      waits += t.resource == gpu::Resource::recv && (t.kind == gpu::TaskKind::send_act || t.kind == gpu::TaskKind::send_grad);
    }
    const int neighbours = (s > 0) + (s < st.pp - 1);
    EXPECT_EQ(data_sends, neighbours * m) << "stage " << s;
    EXPECT_EQ(handshakes, neighbours * m) << "stage " << s;
    EXPECT_EQ(waits, data_sends) << "stage " << s;
  }
  const double with = sim::to_seconds(gpu::simulate_fast(st, paired, false, false).step_time);
  const double without = sim::to_seconds(gpu::simulate_fast(plain, unpaired, false, false).step_time);
  EXPECT_GE(with, without);
  EXPECT_LT(with - without, 0.005 * without);  // 3.3 ms of 2.5 s here
}

TEST(TrainingTime, DelayedUpdateHidesTheCpuOptimizerBehindTheNextStep) {
  const auto plain = train("cerebras-gpt-13b", "dgx-a100-40gb", 1, "zero2+offload+mb1+recompute-full", 8);
  const auto delayed = train("cerebras-gpt-13b", "dgx-a100-40gb", 1, "zero2+offload+delayed-update+mb1+recompute-full", 8);
  EXPECT_LT(delayed.step_time_s, plain.step_time_s);
  // At best the step is bounded by the longer of GPU work and the host's update.
  EXPECT_GE(delayed.step_time_s, plain.cpu_s - 1e-9);
}

TEST(TrainingTime, SingleGpuParameterOffloadPrefetchesBehindTheCompute) {
  // ZeRO-3 Offload on one V100 of a DGX-2: the fp16 parameters cross PCIe once in the forward and
  // once in the backward. At 16 sequences a layer's compute outlasts its fetch, so the prefetch
  // window hides the fetches but the first; CPU-Adam writes the fp16 partition on the host, so
  // no parameter copy follows the update either.
  model::Workload w;
  w.seq_len = 1024;
  w.global_batch = 16;
  gpu::TimeOptions opt;
  const auto& host = *catalog().system("dgx-2").node();
  const auto cluster = gpu::make_gpu_cluster(*catalog().system("v100-32gb").gpu(), 1, host);
  const auto& m = catalog().model("gpt2-10b");
  const auto t = gpu::training_time(m, cluster, gpu::parse_strategy("zero3+offload+param-offload+mb16+recompute-full"), w,
                                    catalog().framework("deepspeed"), 1e9, opt, MPI_COMM_SELF);
  const double fetch_s = 2.0 * 2.0 * static_cast<double>(model::count_params(m).total) / host.perf->pcie_achievable;
  EXPECT_GT(t.compute_s, 5.0 * fetch_s);
  EXPECT_LT(t.offload_s, 0.1 * fetch_s);
  EXPECT_NEAR(t.optimizer_s, t.cpu_s, 1e-3 * t.cpu_s);
}

TEST(Inference, LoadingDominatesAndOffloadStreamsEveryToken) {
  const auto& gpu = *catalog().system("a100-40gb").gpu();
  const auto cluster = gpu::make_gpu_cluster(gpu, 1, *catalog().system("dgx-a100-40gb").node());
  model::Workload w;
  w.task = model::Task::infer;
  w.prompt_tokens = 16;
  w.output_tokens = 8;
  gpu::TimeOptions opt;
  opt.storage_read_bandwidth = 178e6;
  const auto& m = catalog().model("cerebras-gpt-2.7b");
  const auto t = gpu::inference_time(m, cluster, gpu::parse_strategy("infer-fp32"), w, catalog().framework("deepspeed"), opt);
  EXPECT_NEAR(t.generate_s, t.load_s + t.prefill_s + t.decode_s, 1e-9);
  EXPECT_GT(t.load_s, 10.0 * (t.prefill_s + t.decode_s));
  const auto& big = catalog().model("cerebras-gpt-13b");
  const auto off = gpu::inference_time(big, cluster, gpu::parse_strategy("zero3+param-offload+infer-fp32"), w,
                                       catalog().framework("deepspeed"), opt);
  const double weights = 4.0 * static_cast<double>(model::count_params(big).total);
  EXPECT_GE(off.per_token_s, weights / catalog().system("dgx-a100-40gb").node()->perf->pcie_achievable);
}

TEST(Search, KeepsOnlyFittingStrategiesFastestFirst) {
  const auto& m = catalog().model("cerebras-gpt-2.7b");
  const auto cluster = gpu::make_node_cluster(*catalog().system("dgx-a100-40gb").node(), 1);
  model::Workload w;
  w.seq_len = 2048;
  gpu::TimeOptions opt;
  opt.stragglers = false;
  gpu::SearchStats stats;
  const auto r = gpu::search_strategies(m, cluster, w, catalog().framework("deepspeed"), 1e9, opt, &stats);
  ASSERT_FALSE(r.empty());
  EXPECT_LT(stats.fitting, stats.enumerated);
  bool article = false;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (i > 0) EXPECT_GE(r[i - 1].tokens_per_s, r[i].tokens_per_s);
    const auto plan = gpu::plan_memory(m, cluster, r[i].strategy, w, catalog().framework("deepspeed"));
    EXPECT_TRUE(plan.fits()) << r[i].strategy.canonical();
    article = article || r[i].strategy.canonical() == "zero2+offload+mb1+recompute-full";
  }
  EXPECT_TRUE(article);
}

}  // namespace
