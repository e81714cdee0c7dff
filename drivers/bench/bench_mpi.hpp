#pragma once
// Google Benchmark under MPI. Every rank runs every benchmark; an iteration's time is the
// slowest rank's (manual time, MPI_MAX), so all ranks see the same times and take the same
// decisions about iteration counts. Per-rank figures are gathered and reported as
// min/median/max (and the sum over ranks) by rank 0, the only rank that prints or writes JSON.
#include <mpi.h>

#include <algorithm>
#include <benchmark/benchmark.h>
#include <Kokkos_Core.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "bench_context.hpp"
#include "measure/node_layout.hpp"

namespace wb::bench {

// Time accumulated over a benchmark's iterations: this rank's, and the slowest rank's.
struct RankTimes {
  double mine_s = 0;
  double slowest_s = 0;
};

// Times one iteration's body on every rank and hands the slowest time (times `scale`, e.g. 0.5
// for half a round trip) to the benchmark as its manual time.
template <class F>
void timed_iteration(benchmark::State& state, RankTimes& times, F&& body, double scale = 1.0,
                     MPI_Comm comm = MPI_COMM_WORLD) {
  MPI_Barrier(comm);
  const double t0 = MPI_Wtime();
  body();
  const double mine = (MPI_Wtime() - t0) * scale;
  double slowest = 0;
  MPI_Allreduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, comm);
  state.SetIterationTime(slowest);
  times.mine_s += mine;
  times.slowest_s += slowest;
}

// Sets <name>_min, <name>_median, <name>_max and <name>_sum from every rank's value (collective).
inline void rank_counters(benchmark::State& state, const std::string& name, double value, MPI_Comm comm = MPI_COMM_WORLD) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  std::vector<double> all(static_cast<std::size_t>(size));
  MPI_Allgather(&value, 1, MPI_DOUBLE, all.data(), 1, MPI_DOUBLE, comm);
  std::sort(all.begin(), all.end());
  const std::size_t n = all.size();
  double sum = 0;
  for (double v : all) sum += v;
  state.counters[name + "_min"] = all.front();
  state.counters[name + "_median"] = n % 2 ? all[n / 2] : 0.5 * (all[n / 2 - 1] + all[n / 2]);
  state.counters[name + "_max"] = all.back();
  state.counters[name + "_sum"] = sum;
}

// Reporter for ranks other than 0: says nothing.
class SilentReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

// main() of an MPI benchmark program: MPI, Kokkos, context (version, commit, Kokkos, ranks,
// nodes, MPI library), then the benchmarks with output from rank 0 only.
inline int run_mpi_benchmarks(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    // Only rank 0 may write --benchmark_out; the others drop the flag.
    std::vector<char*> args(argv, argv + argc);
    if (rank != 0)
      args.erase(std::remove_if(args.begin() + 1, args.end(),
                                [](char* a) { return std::strncmp(a, "--benchmark_out", 15) == 0; }),
                 args.end());
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    if (rank == 0 && benchmark::ReportUnrecognizedArguments(n, args.data())) {
      MPI_Abort(MPI_COMM_WORLD, 2);
    }
    add_context(size);
    benchmark::AddCustomContext("kokkos_concurrency", std::to_string(Kokkos::DefaultExecutionSpace().concurrency()));
    {
      const measure::NodeLayout layout(MPI_COMM_WORLD);
      int max_per_node = 0;
      for (int r : layout.ranks_per_node()) max_per_node = std::max(max_per_node, r);
      benchmark::AddCustomContext("mpi_nodes", std::to_string(layout.nodes()));
      benchmark::AddCustomContext("mpi_max_ranks_per_node", std::to_string(max_per_node));
      benchmark::AddCustomContext("mpi_first_host", layout.hostnames().front());
      char lib[MPI_MAX_LIBRARY_VERSION_STRING] = {};
      int len = 0;
      MPI_Get_library_version(lib, &len);
      std::string first_line(lib, static_cast<std::size_t>(len));
      first_line = first_line.substr(0, first_line.find_first_of("\n,"));
      benchmark::AddCustomContext("mpi_library", first_line);
    }
    if (rank == 0) {
      benchmark::RunSpecifiedBenchmarks();
    } else {
      SilentReporter silent;
      benchmark::RunSpecifiedBenchmarks(&silent);
    }
    benchmark::Shutdown();
  }
  MPI_Finalize();
  return 0;
}

}  // namespace wb::bench
