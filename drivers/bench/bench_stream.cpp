// STREAM triad bandwidth of the default Kokkos execution space, every rank at once. Figure of
// merit: GB/s (STREAM-counted: 24 bytes per element), per rank min/median/max and the sum over
// ranks (the node's bandwidth when the job is one node with one rank per core).
//   mpirun -np 2 build/drivers/bench/bench_stream --benchmark_format=json
#include "bench_mpi.hpp"
#include "kernels/stream.hpp"

namespace {

using Space = Kokkos::DefaultExecutionSpace;

void BM_StreamTriad(benchmark::State& state) {
  const auto n = static_cast<std::int64_t>(state.range(0));
  wb::kernels::StreamTriad<Space>::Vec a("bench::triad_a", n), b("bench::triad_b", n), c("bench::triad_c", n);
  Kokkos::deep_copy(b, 1.0);
  Kokkos::deep_copy(c, 2.0);
  const Space space;
  wb::kernels::stream_triad(space, a, b, c, 3.0);  // warm-up: first touch
  Kokkos::fence();
  wb::bench::RankTimes times;
  for (auto _ : state)
    wb::bench::timed_iteration(state, times, [&] {
      wb::kernels::stream_triad(space, a, b, c, 3.0);
      space.fence();
    });
  const double bytes = wb::kernels::kTriadBytesPerElement * static_cast<double>(n) * static_cast<double>(state.iterations());
  wb::bench::rank_counters(state, "GB/s", bytes / times.mine_s / 1e9);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
// 2^20 elements (24 MiB) is cache-sized on large servers; 2^25 (768 MiB) is not.
BENCHMARK(BM_StreamTriad)->Arg(1 << 20)->Arg(1 << 25)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) { return wb::bench::run_mpi_benchmarks(argc, argv); }
