// Blocked GEMM (C = A B, square, row-major) in the default Kokkos execution space, every rank at
// once. Figure of merit: GFLOP/s (2 n^3 per multiply), per rank min/median/max and the sum.
//   mpirun -np 2 build/drivers/bench/bench_gemm --benchmark_format=json
#include "bench_mpi.hpp"
#include "kernels/gemm.hpp"

namespace {

using Space = Kokkos::DefaultExecutionSpace;

template <class Scalar>
void BM_Gemm(benchmark::State& state) {
  const auto n = static_cast<std::int64_t>(state.range(0));
  using G = wb::kernels::BlockedGemm<Scalar, Space>;
  typename G::Matrix a("bench::gemm_a", n, n), b("bench::gemm_b", n, n), c("bench::gemm_c", n, n);
  Kokkos::deep_copy(a, Scalar(0.5));
  Kokkos::deep_copy(b, Scalar(0.25));
  const Space space;
  wb::kernels::gemm<Scalar>(space, Scalar(1), a, b, Scalar(0), c);  // warm-up
  Kokkos::fence();
  wb::bench::RankTimes times;
  for (auto _ : state)
    wb::bench::timed_iteration(state, times, [&] {
      wb::kernels::gemm<Scalar>(space, Scalar(1), a, b, Scalar(0), c);
      space.fence();
    });
  const double flops = wb::kernels::gemm_flops(n, n, n) * static_cast<double>(state.iterations());
  wb::bench::rank_counters(state, "GFLOP/s", flops / times.mine_s / 1e9);
}
BENCHMARK_TEMPLATE(BM_Gemm, float)->Arg(256)->Arg(1024)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Gemm, double)->Arg(1024)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) { return wb::bench::run_mpi_benchmarks(argc, argv); }
