// MPI between ranks: ping-pong between world ranks 0 and 1 (figure of merit GB/s of one
// direction; the time column is half a round trip, i.e. the one-way latency at small sizes),
// and MPI_Allreduce over all ranks (figure of merit: bus bandwidth GB/s = n/t * 2(p-1)/p, the
// per-link rate of a bandwidth-optimal all-reduce, as nccl-tests reports it). Needs 2+ ranks.
//   mpirun -np 2 build/drivers/bench/bench_comm --benchmark_format=json
#include <vector>

#include "bench_mpi.hpp"

namespace {

void BM_PingPong(benchmark::State& state) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size < 2) {
    state.SkipWithError("ping-pong needs at least 2 MPI ranks");
    for (auto _ : state) {}
    return;
  }
  const auto bytes = static_cast<int>(state.range(0));
  std::vector<char> buffer(static_cast<std::size_t>(bytes), 1);
  wb::bench::RankTimes times;
  for (auto _ : state) {
    wb::bench::timed_iteration(state, times, [&] {
      if (rank == 0) {
        MPI_Send(buffer.data(), bytes, MPI_CHAR, 1, 0, MPI_COMM_WORLD);
        MPI_Recv(buffer.data(), bytes, MPI_CHAR, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      } else if (rank == 1) {
        MPI_Recv(buffer.data(), bytes, MPI_CHAR, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Send(buffer.data(), bytes, MPI_CHAR, 0, 0, MPI_COMM_WORLD);
      }
    }, 0.5);  // half a round trip: one message, one way
  }
  state.counters["GB/s"] = static_cast<double>(bytes) * static_cast<double>(state.iterations()) / times.slowest_s / 1e9;
}
BENCHMARK(BM_PingPong)->RangeMultiplier(16)->Range(8, 8 << 20)->UseManualTime()->Unit(benchmark::kMicrosecond);

void BM_Allreduce(benchmark::State& state) {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const auto floats = static_cast<int>(state.range(0) / 4);
  std::vector<float> send(static_cast<std::size_t>(floats), 1.0f), recv(static_cast<std::size_t>(floats));
  wb::bench::RankTimes times;
  for (auto _ : state)
    wb::bench::timed_iteration(state, times, [&] {
      MPI_Allreduce(send.data(), recv.data(), floats, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    });
  const double bus_factor = size > 1 ? 2.0 * (size - 1) / size : 1.0;
  state.counters["busbw_GB/s"] =
      static_cast<double>(state.range(0)) * bus_factor * static_cast<double>(state.iterations()) / times.slowest_s / 1e9;
}
BENCHMARK(BM_Allreduce)->RangeMultiplier(16)->Range(8, 8 << 20)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) { return wb::bench::run_mpi_benchmarks(argc, argv); }
