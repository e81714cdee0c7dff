// Speed of the fabric simulator. Figures of merit: PE-cycles/s (simulated fabric PEs x cycles per
// wall second) for the per-cycle kernels, and for the halo exchange the PE-cycles/s the exchange
// alone would allow (fabric PEs x the cycles one exchange covers x exchanges per second).
//
//   build/drivers/bench/bench_fabric                                  one core
//   mpirun -np 2 build/drivers/bench/bench_fabric --benchmark_filter=Halo   the halo exchange
//
// Iteration counts are fixed so that every rank runs the same collective steps; rank 0 prints.
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <Kokkos_Core.hpp>

#include "bench_context.hpp"
#include "io/file_source.hpp"
#include "sim/mesh_engine.hpp"
#include "study/plan/catalog.hpp"
#include "wafer/fabric_run.hpp"

namespace {

const wb::wafer::WaferSpec& cs2() {
  static wb::io::LocalFiles files;
  static wb::study::plan::Catalog catalog(WB_BENCH_INPUTS_DIR, files);
  return *catalog.system("cs-2").wafer();
}

// Runs case s once per iteration and reports PE-cycles/s and the busy fraction of the last run.
void run_case(benchmark::State& state, const wb::wafer::FabricCaseSpec& s) {
  double pe_cycles = 0, busy = 0;
  for (auto _ : state) {
    const auto r = wb::wafer::run_fabric_case(MPI_COMM_WORLD, s, cs2(), cs2().fabric, false);
    pe_cycles += static_cast<double>(r.stats.cycles) * static_cast<double>(r.stats.pes);
    busy = static_cast<double>(r.stats.busy) / (static_cast<double>(r.stats.cycles) * static_cast<double>(r.stats.pes));
  }
  state.counters["PE-cycles/s"] = benchmark::Counter(pe_cycles, benchmark::Counter::kIsRate);
  state.counters["busy_fraction"] = busy;
}

// Weight streaming on an S x S rectangle, 4 rows of W and 4 tokens per PE, 64 outputs.
wb::wafer::FabricCaseSpec streaming_case(std::int64_t side) {
  wb::wafer::FabricCaseSpec s;
  s.mapping = wb::wafer::FabricMapping::weight_streaming;
  s.p_rows = s.p_cols = side;
  s.m = 4 * side;
  s.n = 64;
  s.batch = 4 * side;
  return s;
}

// Every PE busy most cycles: nothing can be skipped, so this is the raw per-cycle kernel rate.
void BM_FabricCycleStreaming(benchmark::State& state) { run_case(state, streaming_case(state.range(0))); }
BENCHMARK(BM_FabricCycleStreaming)->Arg(128)->Arg(256)->Arg(512)->Iterations(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same with the halo depth k as the second argument: under mpirun -np 2 the ranks exchange
// ghosts and synchronise every k cycles and each simulates k ghost columns more (at np 1, k only
// sets the epoch length, which changes nothing but the cadence of the termination test).
void BM_FabricCycleStreamingHalo(benchmark::State& state) {
  auto s = streaming_case(state.range(0));
  s.halo_depth = static_cast<int>(state.range(1));
  run_case(state, s);
}
BENCHMARK(BM_FabricCycleStreamingHalo)
    ->Args({512, 8})
    ->Args({512, 16})
    ->Args({512, 32})
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The calibration GEMV (6x6 weights per PE, chain reduction) on P x P PEs: most PEs wait most of
// the time and their blocks are skipped.
void BM_FabricCycleChainGemv(benchmark::State& state) {
  const std::int64_t p = state.range(0);
  wb::wafer::FabricCaseSpec s;
  s.mapping = wb::wafer::FabricMapping::chain;
  s.p_rows = s.p_cols = p;
  s.m = s.n = 6 * p;
  run_case(state, s);
}
BENCHMARK(BM_FabricCycleChainGemv)->Arg(120)->Arg(360)->Iterations(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// One halo exchange per iteration on the whole CS-2 fabric split over the ranks (meaningful under
// mpirun -np 2 or more; with one rank there is nothing to exchange). An exchange carries the full
// state of halo_depth rows or columns of ghost PEs and covers that many cycles.
void BM_FabricHaloExchange(benchmark::State& state) {
  wb::wafer::FabricCaseSpec s;
  s.mapping = wb::wafer::FabricMapping::chain;
  s.p_rows = 16;
  s.p_cols = 16;
  s.m = s.n = 96;
  s.whole_fabric = true;
  const auto prog = wb::wafer::build_fabric_program(s, cs2(), cs2().fabric);
  int ranks = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  if (ranks < 2) {
    // No figure rather than a rate of no-op exchanges (performance.sh --fabric runs at np 1).
    state.SkipWithError("the halo exchange needs mpirun -np 2 or more");
    return;
  }
  wb::sim::MeshEngine engine(MPI_COMM_WORLD, prog.mesh);
  MPI_Barrier(MPI_COMM_WORLD);
  for (auto _ : state) engine.exchange_halo();
  const double exchanges = static_cast<double>(state.iterations());
  state.counters["PE-cycles/s"] = benchmark::Counter(
      static_cast<double>(prog.mesh.width) * prog.mesh.height * engine.halo_depth() * exchanges, benchmark::Counter::kIsRate);
  state.counters["exchanges/s"] = benchmark::Counter(exchanges, benchmark::Counter::kIsRate);
  state.counters["halo_depth"] = engine.halo_depth();
}
BENCHMARK(BM_FabricHaloExchange)->Iterations(2000)->Unit(benchmark::kMicrosecond)->UseRealTime();

class NullReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    int rank = 0, ranks = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    benchmark::Initialize(&argc, argv);
    wb::bench::add_context(ranks);
    if (rank == 0) {
      benchmark::RunSpecifiedBenchmarks();
    } else {
      NullReporter null;
      benchmark::RunSpecifiedBenchmarks(&null);
    }
    benchmark::Shutdown();
  }
  MPI_Finalize();
  return 0;
}
