// Serial figures of the GPU time model (one core):
//   BM_StrategySearch   configurations evaluated per second per core by the strategy search
//                       (enumeration + memory plan + step time of those that fit), Cerebras-GPT
//                       13B on one and on 8 DGX A100 40GB nodes; Calculon (Isaev et al., SC'23),
//                       the Python peer, does about 300/s/core on this machine.
//   BM_FastPathStep     one step of a symmetric data-parallel scenario by the serial fast path.
//   BM_SeedFinetune     wall time of the whole seed fine-tune study (load + evaluate).
//   BM_EvaluateLayout, BM_EvaluateEveryLayout, BM_SearchProblem: the side-by-side problem of
//                       docs/performance.md (GPT-3 13B shape on 64 A100 80GB, global batch 1,024,
//                       sequence 2,048, Megatron-LM): one training_time() call per layout (CPU
//                       time; `events` counts the tasks of the separate programs walked,
//                       `fused_tasks_walked` the fused tasks the walk handled), and a full
//                       ranking of every layout.
// Run: build/drivers/bench/bench_gpu_time [--benchmark_format=json]
#include <benchmark/benchmark.h>
#include <time.h>

#include <Kokkos_Core.hpp>
#include <mpi.h>

#include "bench_context.hpp"
#include "gpu/memory_plan.hpp"
#include "gpu/program_builder.hpp"
#include "gpu/search.hpp"
#include "gpu/time_model.hpp"
#include "io/file_source.hpp"
#include "study/plan/catalog.hpp"
#include "study/run/evaluator.hpp"
#include "study/plan/study.hpp"

namespace {

wb::study::plan::Catalog& catalog() {
  static wb::io::LocalFiles files;
  static wb::study::plan::Catalog c(WB_BENCH_INPUTS_DIR, files);
  return c;
}

void BM_StrategySearch(benchmark::State& state) {
  const auto& m = catalog().model("cerebras-gpt-13b");
  const auto& node = *catalog().system("dgx-a100-40gb").node();
  const auto cluster = wb::gpu::make_node_cluster(node, state.range(0));
  const auto& f = catalog().framework("deepspeed");
  wb::model::Workload w;
  w.seq_len = 2048;
  wb::gpu::TimeOptions opt;
  opt.stragglers = state.range(1) != 0;
  std::int64_t enumerated = 0, timed = 0;
  for (auto _ : state) {
    wb::gpu::SearchStats stats;
    auto r = wb::gpu::search_strategies(m, cluster, w, f, 1e10, opt, &stats);
    benchmark::DoNotOptimize(r.data());
    enumerated += stats.enumerated;
    timed += stats.fitting;
  }
  state.counters["configs/s"] = benchmark::Counter(static_cast<double>(enumerated), benchmark::Counter::kIsRate);
  state.counters["timed_configs/s"] = benchmark::Counter(static_cast<double>(timed), benchmark::Counter::kIsRate);
  state.counters["configs"] = static_cast<double>(enumerated) / static_cast<double>(state.iterations());
  state.counters["timed"] = static_cast<double>(timed) / static_cast<double>(state.iterations());
}
// Args: nodes, stragglers. Search studies rank on the straggler-free step (every candidate then
// runs on the fast path); with stragglers, pipelined candidates need the full simulation.
BENCHMARK(BM_StrategySearch)->Args({1, 0})->Args({8, 0})->Args({8, 1})->Unit(benchmark::kMillisecond);

// The bounded search the studies use (search_best): the fastest layout of a 13B model (global
// batch 1,024) and of Llama-2-70B (batch 1,024 at 4,096 tokens, as in the Llama 2 paper) on N
// DGX A100 80GB nodes. Counters: layouts enumerated, fitting, timed (the rest ruled out by
// their lower bound), and searches per second.
void BM_BestStrategy(benchmark::State& state) {
  const bool big = state.range(1) != 0;
  const auto& m = catalog().model(big ? "llama-2-70b" : "cerebras-gpt-13b");
  const auto& node = *catalog().system("dgx-a100-80gb").node();
  const auto cluster = wb::gpu::make_node_cluster(node, state.range(0));
  const auto& f = catalog().framework("deepspeed");
  wb::model::Workload w;
  w.seq_len = big ? 4096 : 2048;
  w.global_batch = 1024;
  const wb::gpu::TimeOptions opt;
  wb::gpu::SearchStats last;
  for (auto _ : state) {
    const auto r = wb::gpu::search_best(m, cluster, w, f, 1e12, opt);
    benchmark::DoNotOptimize(r.best.tokens_per_s);
    last = r.stats;
  }
  state.counters["searches/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["configs"] = static_cast<double>(last.enumerated);
  state.counters["fitting"] = static_cast<double>(last.fitting);
  state.counters["timed"] = static_cast<double>(last.timed);
  state.counters["timed_fraction"] = last.fitting > 0 ? static_cast<double>(last.timed) / static_cast<double>(last.fitting) : 0.0;
}
BENCHMARK(BM_BestStrategy)->Args({8, 0})->Args({64, 0})->Args({512, 0})->Args({256, 1})->Unit(benchmark::kMillisecond);

// The side-by-side problem: the GPT-3 13B shape (Cerebras-GPT 13B: 40 layers, d_model 5,120, 40
// heads) on 8 DGX A100 80GB nodes (64 GPUs), global batch 1,024 of 2,048 tokens, Megatron-LM.
struct Problem {
  const wb::model::TransformerConfig& model = catalog().model("cerebras-gpt-13b");
  const wb::gpu::ClusterSpec cluster = wb::gpu::make_node_cluster(*catalog().system("dgx-a100-80gb").node(), 8);
  const wb::gpu::FrameworkSpec& framework = catalog().framework("megatron-lm");
  wb::model::Workload workload;
  Problem() {
    workload.seq_len = 2048;
    workload.global_batch = 1024;
  }
};

double thread_cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// The last: among the slowest to evaluate (interleaved, one layer per chunk, 256 micro-batches).
const char* const kProblemLayouts[] = {"zero0+tp8+pp8+mb1", "zero0+tp4+pp4+mb1+recompute-full", "zero1+tp8+pp4+vp2+mb1",
                                       "zero0+tp8+mb4+recompute-selective", "zero1+tp4+pp8+vp5+mb2"};

// One layout of the problem evaluated (training_time: setup, programs, step, run), CPU time.
void BM_EvaluateLayout(benchmark::State& state) {
  const Problem p;
  const char* layout = kProblemLayouts[state.range(0)];
  const auto s = wb::gpu::parse_strategy(layout);
  wb::gpu::TimeOptions opt;
  opt.stragglers = false;
  double step_s = 0;
  std::int64_t micro_batches = 0, events = 0, walked = 0;
  for (auto _ : state) {
    const auto t = wb::gpu::training_time(p.model, p.cluster, s, p.workload, p.framework, 0, opt, MPI_COMM_SELF);
    step_s = t.step_time_s;
    micro_batches = t.grad_accum;
    events = t.events;
    walked = t.micro_batches_walked;  // kept after the loop, so the call is not optimised away
  }
  state.SetLabel(layout);
  state.counters["micro_batches"] = static_cast<double>(micro_batches);
  state.counters["micro_batches_walked"] = static_cast<double>(walked);
  state.counters["events"] = static_cast<double>(events);  // tasks of the separate programs walked
  // The tasks the walk handled: the fused programs (gpu/program_builder.hpp) of the micro-batches
  // walked, as the fast path builds them without stragglers.
  auto st = wb::gpu::make_step_setup(p.model, p.cluster, s, p.workload, p.framework, 0.0, opt.seed);
  st.grad_accum = walked;
  wb::gpu::Program program;
  std::size_t fused = 0;
  for (std::int64_t stage = 0; stage < st.pp; ++stage) {
    wb::gpu::build_program(st, stage, program, wb::gpu::ChainTasks::fused);
    fused += program.tasks.size();
  }
  state.counters["fused_tasks_walked"] = static_cast<double>(fused);
  state.counters["step_s"] = step_s;
}
BENCHMARK(BM_EvaluateLayout)->DenseRange(0, 4)->Unit(benchmark::kMicrosecond);

// Every layout of the problem that fits, each evaluated alone: the slowest and the mean CPU time
// of one evaluation (the target is the slowest).
void BM_EvaluateEveryLayout(benchmark::State& state) {
  const Problem p;
  wb::gpu::TimeOptions opt;
  opt.stragglers = false;
  std::vector<wb::gpu::Strategy> layouts;
  for (const auto& s : wb::gpu::enumerate_strategies(p.model, p.cluster, p.workload, &p.framework)) {
    try {
      if (!wb::gpu::plan_memory(p.model, p.cluster, s, p.workload, p.framework).fits()) continue;
      wb::gpu::training_time(p.model, p.cluster, s, p.workload, p.framework, 0, opt, MPI_COMM_SELF);
    } catch (const std::invalid_argument&) {
      continue;
    }
    layouts.push_back(s);
  }
  double worst = 0, total = 0;
  std::string worst_layout;
  std::int64_t evaluations = 0;
  for (auto _ : state) {
    for (const auto& s : layouts) {
      const double t0 = thread_cpu_s();
      const auto t = wb::gpu::training_time(p.model, p.cluster, s, p.workload, p.framework, 0, opt, MPI_COMM_SELF);
      const double dt = thread_cpu_s() - t0;
      benchmark::DoNotOptimize(t.step_time_s);
      total += dt;
      ++evaluations;
      if (dt > worst) {
        worst = dt;
        worst_layout = s.canonical();
      }
    }
  }
  state.SetLabel("slowest: " + worst_layout);
  state.counters["layouts"] = static_cast<double>(layouts.size());
  state.counters["max_ms"] = worst * 1e3;
  state.counters["mean_ms"] = total / static_cast<double>(evaluations) * 1e3;
}
BENCHMARK(BM_EvaluateEveryLayout)->Iterations(3)->Unit(benchmark::kMillisecond);

// A full search of the problem: every layout enumerated, planned, and timed if it fits, ranked.
void BM_SearchProblem(benchmark::State& state) {
  const Problem p;
  wb::gpu::TimeOptions opt;
  opt.stragglers = false;
  wb::gpu::SearchStats stats;
  for (auto _ : state) {
    const auto r = wb::gpu::search_strategies(p.model, p.cluster, p.workload, p.framework, 0, opt, &stats);
    benchmark::DoNotOptimize(r.data());
  }
  state.counters["configs"] = static_cast<double>(stats.enumerated);
  state.counters["fitting"] = static_cast<double>(stats.fitting);
  state.counters["timed"] = static_cast<double>(stats.timed);
  state.counters["timed_configs/s"] =
      benchmark::Counter(static_cast<double>(stats.timed) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SearchProblem)->Unit(benchmark::kMillisecond);

void BM_FastPathStep(benchmark::State& state) {
  const auto& m = catalog().model("cerebras-gpt-13b");
  const auto& node = *catalog().system("dgx-a100-80gb").node();
  const auto cluster = wb::gpu::make_node_cluster(node, state.range(0));
  const auto& f = catalog().framework("deepspeed");
  wb::model::Workload w;
  w.seq_len = 2048;
  const auto s = wb::gpu::parse_strategy("zero3+mb1+recompute-full");
  wb::gpu::TimeOptions opt;
  std::int64_t events = 0;
  for (auto _ : state) {
    const auto t = wb::gpu::training_time(m, cluster, s, w, f, 1e10, opt, MPI_COMM_SELF);
    events += t.events;
    benchmark::DoNotOptimize(t.step_time_s);
  }
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FastPathStep)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond);

void BM_SeedFinetune(benchmark::State& state) {
  wb::io::LocalFiles files;
  const std::string path = catalog().path("studies", "seed_finetune");
  const auto text = files.read(path);
  for (auto _ : state) {
    auto study = wb::study::plan::load_study(*text, path, catalog());
    wb::study::run::validate(study);
    double sink = 0;
    for (const auto& sc : study.scenarios)
      sink += wb::study::run::evaluate(study, sc).row.number(wb::study::schema::scenarios::step_time_s);
    benchmark::DoNotOptimize(sink);
  }
}
BENCHMARK(BM_SeedFinetune)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    benchmark::Initialize(&argc, argv);
    wb::bench::add_context();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
  }
  MPI_Finalize();
  return 0;
}
