// The parallel discrete-event engine on a large step: Cerebras-GPT 13B with ZeRO-3 (pure data
// parallelism, micro-batch 1, recomputation) over 1,024 and 4,096 A100s (128 / 512 DGX A100
// nodes), every GPU and node LP simulated (stragglers make the devices differ, so the serial
// fast path does not apply). Figures of merit: events/s per rank, synchronisation rounds.
// Strong scaling: run it at np 1 and np 2 and compare the wall times:
//   mpirun -np 1 build/drivers/bench/bench_pdes
//   mpirun -np 2 build/drivers/bench/bench_pdes
// Every rank runs the same fixed number of iterations (the simulations are collective).
// BM_Pdes1T: the 1T model of Megatron SC'21 on 3,072 GPUs, 64.5M events per step (see the case).
#include <benchmark/benchmark.h>

#include <Kokkos_Core.hpp>
#include <mpi.h>
#include <time.h>

#include "bench_context.hpp"
#include "gpu/cluster_sim.hpp"
#include "io/file_source.hpp"
#include "study/plan/catalog.hpp"

namespace {

int g_ranks = 1;

// CPU time of this process: on a shared machine the wall clock counts the other jobs too.
double process_cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// What the engine itself says: CPU time in its event loop on the busiest rank (without the
// waits in MPI, which spin and so count as CPU time too, and which on a shared machine last as
// long as the other rank is descheduled), events per such second per rank, the sum over rounds
// of the busiest rank's handling time (the run's time given a core per rank and free
// synchronisation: np 1's handle_cpu_s over it is the speed-up rounds and balance allow), events
// that crossed ranks and rounds that exchanged any (np > 1).
void add_engine_counters(benchmark::State& state, const wb::gpu::SimRun& run, std::int64_t events, double handled,
                         double critical, int ranks) {
  state.counters["handle_cpu_s"] = handled / static_cast<double>(state.iterations());
  state.counters["critical_cpu_s"] = critical / static_cast<double>(state.iterations());
  state.counters["events/handle_cpu_s/rank"] = static_cast<double>(events) / handled / ranks;
  state.counters["remote_events"] = static_cast<double>(run.remote_events);
  state.counters["exchanges"] = static_cast<double>(run.exchanges);
}

void BM_Pdes13BZero3(benchmark::State& state) {
  wb::io::LocalFiles files;
  wb::study::plan::Catalog catalog(WB_BENCH_INPUTS_DIR, files);
  const auto& m = catalog.model("cerebras-gpt-13b");
  const auto& node = *catalog.system("dgx-a100-80gb").node();
  const auto cluster = wb::gpu::make_node_cluster(node, state.range(0) / node.gpus);
  const auto& f = catalog.framework("deepspeed");
  wb::model::Workload w;
  w.seq_len = 2048;
  const auto s = wb::gpu::parse_strategy("zero3+mb1+recompute-full");
  const auto st = wb::gpu::make_step_setup(m, cluster, s, w, f, node.perf->straggler_cv, 1);
  const auto programs = wb::gpu::build_programs(st);
  wb::gpu::SimRun run;
  double wall = 0, cpu = 0, handled = 0, critical = 0;
  std::int64_t events = 0;
  for (auto _ : state) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = MPI_Wtime(), c0 = process_cpu_s();
    run = wb::gpu::simulate(st, programs, wb::gpu::SimMode::full, true, false, MPI_COMM_WORLD);
    double mine[2] = {MPI_Wtime() - t0, process_cpu_s() - c0}, slowest[2] = {0, 0};
    MPI_Allreduce(mine, slowest, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    wall += slowest[0];
    cpu += slowest[1];
    events += run.events;
    handled += run.handle_cpu_s;
    critical += run.critical_handle_cpu_s;
    state.SetIterationTime(slowest[0]);
  }
  state.counters["cpu_s"] = cpu / static_cast<double>(state.iterations());
  state.counters["events/cpu_s/rank"] = static_cast<double>(events) / cpu / g_ranks;
  add_engine_counters(state, run, events, handled, critical, g_ranks);
  state.counters["gpus"] = static_cast<double>(st.devices);
  state.counters["lps"] = static_cast<double>(run.lps);
  state.counters["events"] = static_cast<double>(run.events);
  state.counters["rounds"] = static_cast<double>(run.rounds);
  state.counters["events/s/rank"] = static_cast<double>(events) / wall / g_ranks;
  state.counters["step_s"] = wb::sim::to_seconds(run.step_time);
}
BENCHMARK(BM_Pdes13BZero3)->Arg(1024)->Arg(4096)->Iterations(4)->UseManualTime()->Unit(benchmark::kSecond);

// The largest run of Megatron SC'21 Table 1: the 1T model (128 layers, d_model 25,600) on 3,072
// A100 (384 DGX nodes), tp8 pp64, micro-batch 1, global batch 3,072 (512 micro-batches per
// step), full recomputation, 1 % stragglers: every GPU and node simulated (4,608 LPs). The
// argument divides the batch (1: the paper's; 4: 128 micro-batches, for a quicker look). Besides
// wall time, CPU time per rank: on a shared machine the wall clock counts the other jobs too.
void BM_Pdes1T(benchmark::State& state) {
  wb::io::LocalFiles files;
  wb::study::plan::Catalog catalog(WB_BENCH_INPUTS_DIR, files);
  const auto& m = catalog.model("megatron-1t");
  const auto& node = *catalog.system("dgx-a100-80gb").node();
  const auto cluster = wb::gpu::make_node_cluster(node, 384);
  const auto& f = catalog.framework("megatron-sc21");
  wb::model::Workload w;
  w.seq_len = 2048;
  w.global_batch = 3072 / state.range(0);
  const auto s = wb::gpu::parse_strategy("zero0+tp8+pp64+mb1+recompute-full");
  const auto st = wb::gpu::make_step_setup(m, cluster, s, w, f, node.perf->straggler_cv, 1);
  const auto programs = wb::gpu::build_programs(st);
  wb::gpu::SimRun run;
  double wall = 0, cpu = 0, handled = 0, critical = 0;
  std::int64_t events = 0;
  for (auto _ : state) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = MPI_Wtime(), c0 = process_cpu_s();
    run = wb::gpu::simulate(st, programs, wb::gpu::SimMode::full, true, false, MPI_COMM_WORLD);
    double mine[2] = {MPI_Wtime() - t0, process_cpu_s() - c0}, slowest[2] = {0, 0};
    MPI_Allreduce(mine, slowest, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    wall += slowest[0];
    cpu += slowest[1];
    events += run.events;
    handled += run.handle_cpu_s;
    critical += run.critical_handle_cpu_s;
    state.SetIterationTime(slowest[0]);
  }
  state.counters["micro_batches"] = static_cast<double>(st.grad_accum);
  state.counters["lps"] = static_cast<double>(run.lps);
  state.counters["events"] = static_cast<double>(run.events);
  state.counters["rounds"] = static_cast<double>(run.rounds);
  state.counters["max_queue"] = static_cast<double>(run.max_queue);
  state.counters["cpu_s"] = cpu / static_cast<double>(state.iterations());
  state.counters["events/s/rank"] = static_cast<double>(events) / wall / g_ranks;
  state.counters["events/cpu_s/rank"] = static_cast<double>(events) / cpu / g_ranks;
  add_engine_counters(state, run, events, handled, critical, g_ranks);
  state.counters["step_s"] = wb::sim::to_seconds(run.step_time);
}
BENCHMARK(BM_Pdes1T)->Arg(1)->Arg(4)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_ranks);
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    benchmark::Initialize(&argc, argv);
    wb::bench::add_context(g_ranks);
    if (rank == 0) {
      benchmark::RunSpecifiedBenchmarks();
    } else {
      // The other ranks run the same iterations silently.
      class Silent : public benchmark::BenchmarkReporter {
       public:
        bool ReportContext(const Context&) override { return true; }
        void ReportRuns(const std::vector<Run>&) override {}
      } silent;
      benchmark::RunSpecifiedBenchmarks(&silent);
    }
    benchmark::Shutdown();
  }
  MPI_Finalize();
  return 0;
}
