#pragma once
// The host kernels (STREAM triad, mixed-precision Adam, fp32 GEMM) run at the same time on every
// rank of a node, in Kokkos' default host execution space, and summed per node: with one rank
// per core (or one rank per node with OpenMP threads), the node's memory system is loaded as a
// ZeRO-Offload optimizer step loads it. Each repetition starts on a node-wide barrier and lasts
// until the node's slowest rank finishes; the best repetition is kept (STREAM's convention).
#include <cstdint>
#include <vector>

#include "measure/node_layout.hpp"

namespace wb::measure {

struct HostEffort {
  double stream_bytes_per_node = 0;  // total of the three triad arrays over the node's ranks
  double adam_bytes_per_node = 0;    // total Adam state (p, m, v, g, 16-bit copy) over the node
  std::int64_t gemm_n = 256;         // square fp32 GEMM per rank
  int repetitions = 5;
};

struct KernelRate {
  std::vector<double> per_node;  // node figure, indexed by node (valid on world rank 0)
  std::vector<double> per_rank;  // each rank's own figure in its node's best repetition (world rank 0)
};

struct HostRates {
  KernelRate stream_bytes_per_s;   // STREAM-counted bytes per second
  KernelRate adam_params_per_s;    // parameters updated per second
  KernelRate gemm_flops_per_s;     // fp32 FLOP per second
  std::vector<int> threads_per_node;      // host execution-space threads busy on each node
  std::vector<std::int64_t> stream_elements_per_rank;  // per node: triad length each rank used
  std::vector<std::int64_t> adam_params_per_rank;      // per node
  int kokkos_threads_per_rank = 1;
};

// Collective over layout.world(). Results are meaningful on world rank 0.
HostRates measure_host(const NodeLayout& layout, const HostEffort& effort);

}  // namespace wb::measure
