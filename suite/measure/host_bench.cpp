#include "measure/host_bench.hpp"

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <functional>

#include "kernels/adam.hpp"
#include "kernels/gemm.hpp"
#include "kernels/stream.hpp"

namespace wb::measure {

namespace {

using HostSpace = Kokkos::DefaultHostExecutionSpace;

struct Best {
  double node_rate = 0;
  double own_rate = 0;
};

// Runs `kernel` (which does `work` units on this rank) `reps` times, each started on a node
// barrier; a repetition's node rate is the node's total work over its slowest rank's time.
Best best_node_rate(const NodeLayout& layout, int reps, double work, const std::function<void()>& kernel) {
  kernel();  // warm-up: first touch, page faults, instruction caches
  Kokkos::fence();
  Best best;
  for (int r = 0; r < reps; ++r) {
    MPI_Barrier(layout.node());
    const double t0 = MPI_Wtime();
    kernel();
    Kokkos::fence();
    const double dt = MPI_Wtime() - t0;
    double slowest = 0, node_work = 0;
    MPI_Allreduce(&dt, &slowest, 1, MPI_DOUBLE, MPI_MAX, layout.node());
    MPI_Allreduce(&work, &node_work, 1, MPI_DOUBLE, MPI_SUM, layout.node());
    const double rate = node_work / slowest;
    if (rate > best.node_rate) best = {rate, work / dt};
  }
  return best;
}

// Gathers every node's figure (from its leader) and every rank's own figure to world rank 0.
void gather(const NodeLayout& layout, const Best& b, KernelRate& out) {
  out.per_rank.assign(static_cast<std::size_t>(layout.world_size()), 0.0);
  MPI_Gather(&b.own_rate, 1, MPI_DOUBLE, out.per_rank.data(), 1, MPI_DOUBLE, 0, layout.world());
  std::vector<double> node_of_rank(static_cast<std::size_t>(layout.world_size()), -1.0);
  const double mine = layout.leader() ? b.node_rate : -1.0;
  MPI_Gather(&mine, 1, MPI_DOUBLE, node_of_rank.data(), 1, MPI_DOUBLE, 0, layout.world());
  out.per_node.clear();
  for (double v : node_of_rank)
    if (v >= 0) out.per_node.push_back(v);  // leaders appear in world-rank order = node order
}

template <class T>
std::vector<T> gather_leaders(const NodeLayout& layout, T value) {
  std::vector<T> all(static_cast<std::size_t>(layout.world_size()));
  MPI_Gather(&value, sizeof(T), MPI_BYTE, all.data(), sizeof(T), MPI_BYTE, 0, layout.world());
  std::vector<int> leader(static_cast<std::size_t>(layout.world_size()));
  const int me = layout.leader() ? 1 : 0;
  MPI_Gather(&me, 1, MPI_INT, leader.data(), 1, MPI_INT, 0, layout.world());
  std::vector<T> out;
  for (std::size_t i = 0; i < all.size(); ++i)
    if (leader[i]) out.push_back(all[i]);
  return out;
}

}  // namespace

HostRates measure_host(const NodeLayout& layout, const HostEffort& effort) {
  HostRates out;
  const HostSpace space;
  const int threads = static_cast<int>(space.concurrency());
  out.kokkos_threads_per_rank = threads;
  int node_threads = 0;
  MPI_Allreduce(&threads, &node_threads, 1, MPI_INT, MPI_SUM, layout.node());
  out.threads_per_node = gather_leaders(layout, node_threads);
  const double ranks_on_node = layout.node_size();

  {  // STREAM triad over three arrays of doubles.
    const auto n = static_cast<std::int64_t>(
        std::max(1024.0, effort.stream_bytes_per_node / (ranks_on_node * kernels::kTriadBytesPerElement)));
    out.stream_elements_per_rank = gather_leaders(layout, n);
    kernels::StreamTriad<HostSpace>::Vec a("measure::triad_a", n), b("measure::triad_b", n), c("measure::triad_c", n);
    Kokkos::deep_copy(b, 1.0);
    Kokkos::deep_copy(c, 2.0);
    const double bytes = kernels::kTriadBytesPerElement * static_cast<double>(n);
    const Best best = best_node_rate(layout, effort.repetitions, bytes, [&] { kernels::stream_triad(space, a, b, c, 3.0); });
    gather(layout, best, out.stream_bytes_per_s);
  }
  {  // Mixed-precision AdamW with an fp16 copy-out, DeepSpeed's default hyper-parameters.
    const auto n = static_cast<std::int64_t>(
        std::max(1024.0, effort.adam_bytes_per_node / (ranks_on_node * kernels::kAdamStateBytesPerParam)));
    out.adam_params_per_rank = gather_leaders(layout, n);
    using U = kernels::AdamUpdate<kernels::Fp16, HostSpace>;
    U::Vec p("measure::adam_p", n), m("measure::adam_m", n), v("measure::adam_v", n), g("measure::adam_g", n);
    U::HalfVec copy("measure::adam_p16", n);
    Kokkos::deep_copy(p, 0.01f);
    Kokkos::deep_copy(g, 1e-3f);
    kernels::AdamHyper hyper;
    hyper.weight_decay = 0.01f;
    std::int64_t step = 0;
    const Best best = best_node_rate(layout, effort.repetitions, static_cast<double>(n),
                                     [&] { kernels::adam_update<kernels::Fp16>(space, p, m, v, g, copy, hyper, ++step); });
    gather(layout, best, out.adam_params_per_s);
  }
  {  // fp32 GEMM, square.
    const std::int64_t n = effort.gemm_n;
    using G = kernels::BlockedGemm<float, HostSpace>;
    G::Matrix a("measure::gemm_a", n, n), b("measure::gemm_b", n, n), c("measure::gemm_c", n, n);
    Kokkos::deep_copy(a, 0.5f);
    Kokkos::deep_copy(b, 0.25f);
    const Best best = best_node_rate(layout, effort.repetitions, kernels::gemm_flops(n, n, n),
                                     [&] { kernels::gemm<float>(space, 1.0f, a, b, 0.0f, c); });
    gather(layout, best, out.gemm_flops_per_s);
  }
  return out;
}

}  // namespace wb::measure
