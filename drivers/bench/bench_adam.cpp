// Mixed-precision Adam (fp32 master weights and moments, fp32 gradients, fp16 or bf16 copy-out)
// in the default Kokkos execution space, every rank at once. Figure of merit: parameters updated
// per second (params/s), per rank min/median/max and the sum over ranks.
//   mpirun -np 2 build/drivers/bench/bench_adam --benchmark_format=json
#include "bench_mpi.hpp"
#include "kernels/adam.hpp"

namespace {

using Space = Kokkos::DefaultExecutionSpace;

template <class Half>
void BM_AdamUpdate(benchmark::State& state) {
  const auto n = static_cast<std::int64_t>(state.range(0));
  using U = wb::kernels::AdamUpdate<Half, Space>;
  typename U::Vec p("bench::adam_p", n), m("bench::adam_m", n), v("bench::adam_v", n), g("bench::adam_g", n);
  typename U::HalfVec copy("bench::adam_p16", n);
  Kokkos::deep_copy(p, 0.01f);
  Kokkos::deep_copy(g, 1e-3f);
  wb::kernels::AdamHyper hyper;
  hyper.weight_decay = 0.01f;
  const Space space;
  std::int64_t step = 1;
  wb::kernels::adam_update<Half>(space, p, m, v, g, copy, hyper, step);  // warm-up: first touch
  Kokkos::fence();
  wb::bench::RankTimes times;
  for (auto _ : state)
    wb::bench::timed_iteration(state, times, [&] {
      wb::kernels::adam_update<Half>(space, p, m, v, g, copy, hyper, ++step);
      space.fence();
    });
  const double params = static_cast<double>(n) * static_cast<double>(state.iterations());
  wb::bench::rank_counters(state, "params/s", params / times.mine_s);
  state.SetBytesProcessed(static_cast<std::int64_t>(params * wb::kernels::kAdamBytesPerParam));
}
// 2^20 parameters (18 MiB of state) and 2^25 (576 MiB).
BENCHMARK_TEMPLATE(BM_AdamUpdate, wb::kernels::Fp16)->Arg(1 << 20)->Arg(1 << 25)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_AdamUpdate, wb::kernels::Bf16)->Arg(1 << 25)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) { return wb::bench::run_mpi_benchmarks(argc, argv); }
