#include "measure/calibration.hpp"

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <sstream>

#include "kernels/adam.hpp"
#include "kernels/stream.hpp"
#include "measure/node_layout.hpp"

#include "io/utc.hpp"

namespace wb::measure {

namespace {

constexpr double kMiB = 1048576.0;

// Sends a HostInfo from every node leader to world rank 0 (hostname and CPU model as text).
std::vector<HostInfo> gather_hosts(const NodeLayout& layout, const HostInfo& mine) {
  std::vector<HostInfo> out;
  const double numbers[6] = {static_cast<double>(mine.sockets), static_cast<double>(mine.cores_per_socket),
                             static_cast<double>(mine.logical_cpus), static_cast<double>(mine.usable_cpus),
                             mine.memory_bytes, mine.llc_bytes};
  std::vector<double> all(static_cast<std::size_t>(6 * layout.world_size()));
  MPI_Gather(numbers, 6, MPI_DOUBLE, all.data(), 6, MPI_DOUBLE, 0, layout.world());
  std::string text = mine.hostname + '\n' + mine.cpu_model;
  text.resize(512, '\0');
  std::vector<char> texts(static_cast<std::size_t>(512 * layout.world_size()));
  MPI_Gather(text.data(), 512, MPI_CHAR, texts.data(), 512, MPI_CHAR, 0, layout.world());
  std::vector<int> leader(static_cast<std::size_t>(layout.world_size()));
  const int me = layout.leader() ? 1 : 0;
  MPI_Gather(&me, 1, MPI_INT, leader.data(), 1, MPI_INT, 0, layout.world());
  if (layout.world_rank() != 0) return out;
  for (int r = 0; r < layout.world_size(); ++r) {
    if (!leader[static_cast<std::size_t>(r)]) continue;
    HostInfo h;
    const double* n = &all[static_cast<std::size_t>(6 * r)];
    h.sockets = static_cast<std::int64_t>(n[0]);
    h.cores_per_socket = static_cast<std::int64_t>(n[1]);
    h.logical_cpus = static_cast<std::int64_t>(n[2]);
    h.usable_cpus = static_cast<std::int64_t>(n[3]);
    h.memory_bytes = n[4];
    h.llc_bytes = n[5];
    const std::string t(&texts[static_cast<std::size_t>(512 * r)]);
    const auto nl = t.find('\n');
    h.hostname = t.substr(0, nl);
    h.cpu_model = nl == std::string::npos ? "" : t.substr(nl + 1);
    out.push_back(h);
  }
  return out;
}

}  // namespace

const char* to_string(Effort e) {
  switch (e) {
    case Effort::quick: return "quick";
    case Effort::standard: return "standard";
    case Effort::thorough: return "thorough";
  }
  return "?";
}

CalibrationPlan plan_calibration(Effort effort, const HostInfo& node) {
  CalibrationPlan p;
  // STREAM's rule (McCalpin, stream.c v5.10 header): each array at least 4 x the last-level
  // caches of the run, and at least a million elements. --thorough follows it; the standard run
  // keeps the working set (three arrays) at 4 x the cache, which a streaming access cannot hold,
  // at a third of the cost; --quick takes at most 128 MiB per array.
  const double llc = std::max(node.llc_bytes, 8 * kMiB);
  const double min_array = 1e6 * sizeof(double);
  const double rule_array = std::max(4.0 * llc, min_array);
  const double memory_cap = node.memory_bytes > 0 ? node.memory_bytes / 4.0 : 1e30;
  double stream_array = rule_array;
  double adam_state = 4.0 * llc;
  switch (effort) {
    case Effort::quick:
      stream_array = std::min(std::max(4.0 * llc / 3.0, min_array), 128 * kMiB);
      adam_state = std::min(2.0 * llc, 256 * kMiB);
      p.host.gemm_n = 192;
      p.host.repetitions = 3;
      p.comm = CommEffort{8, 1 << 20, 8, 5, 256 << 10, 50};
      break;
    case Effort::standard:
      stream_array = std::max(4.0 * llc / 3.0, min_array);
      adam_state = 2.0 * llc;
      p.host.gemm_n = 384;
      p.host.repetitions = 5;
      p.comm = CommEffort{8, 16 << 20, 4, 9, 1 << 20, 100};
      break;
    case Effort::thorough:
      p.host.gemm_n = 1024;
      p.host.repetitions = 20;
      p.comm = CommEffort{8, 256 << 20, 2, 31, 8 << 20, 1000};
      break;
  }
  if (3 * stream_array > memory_cap) {
    stream_array = memory_cap / 3;
    p.capped_by_memory = true;
  }
  if (adam_state > memory_cap) {
    adam_state = memory_cap;
    p.capped_by_memory = true;
  }
  p.stream_below_rule = stream_array < rule_array;
  p.stream_below_working_set = 3 * stream_array < 4.0 * llc;
  p.host.stream_bytes_per_node = 3 * stream_array;
  p.host.adam_bytes_per_node = adam_state;
  return p;
}

Calibration run_calibration(MPI_Comm world, Effort effort, int emulate_ranks_per_node) {
  Calibration c;
  const double start = MPI_Wtime();
  const NodeLayout layout(world, emulate_ranks_per_node);
  c.effort = effort;
  c.utc = io::utc_now();
  MPI_Bcast(c.utc.data(), static_cast<int>(c.utc.size()), MPI_CHAR, 0, world);  // one time stamp for the run
  c.ranks = layout.world_size();
  c.hostnames = layout.hostnames();
  c.ranks_per_node = layout.ranks_per_node();
  c.kokkos_host_space = Kokkos::DefaultHostExecutionSpace::name();

  // Every node reads its own facts; the plan follows node 0 so that all nodes run the same sizes.
  HostInfo mine = read_host_info();
  mine.hostname = layout.hostnames()[static_cast<std::size_t>(layout.node_index())];
  c.hosts = gather_hosts(layout, mine);
  double llc_and_memory[2] = {mine.llc_bytes, mine.memory_bytes};
  MPI_Bcast(llc_and_memory, 2, MPI_DOUBLE, 0, world);
  HostInfo node0 = mine;
  node0.llc_bytes = llc_and_memory[0];
  node0.memory_bytes = llc_and_memory[1];
  c.plan = plan_calibration(effort, node0);

  c.rates = measure_host(layout, c.plan.host);

  // Inside node 0: ping-pong between its first two ranks, all-reduce over its ranks.
  if (layout.node_index() == 0 && layout.node_size() >= 2) {
    c.host_p2p = ping_pong(layout.node(), 0, 1, c.plan.comm);
    c.host_allreduce = allreduce_sweep(layout.node(), c.plan.comm);
  }
  MPI_Barrier(world);
  // Between nodes: one rank per node, so that the network, not shared memory, is measured.
  if (layout.nodes() >= 2 && layout.leaders() != MPI_COMM_NULL) {
    c.network_p2p = ping_pong(layout.leaders(), 0, 1, c.plan.comm);
    c.network_allreduce = allreduce_sweep(layout.leaders(), c.plan.comm);
  }
  MPI_Barrier(world);
  c.wall_s = MPI_Wtime() - start;

  if (layout.world_rank() == 0) {
    if (layout.emulated())
      c.warnings.push_back("nodes emulated: every " + std::to_string(emulate_ranks_per_node) +
                           " consecutive rank(s) taken as a node; 'network' figures may be shared memory");
    const HostInfo& h = c.hosts.front();
    const int threads = c.rates.threads_per_node.front();
    if (threads > h.cores())
      c.warnings.push_back("more host threads (" + std::to_string(threads) + ") than physical cores (" +
                           std::to_string(h.cores()) + ") on " + c.hostnames.front() +
                           ": the Adam rate is per core with hardware threads or oversubscription");
    if (threads < h.cores()) {
      std::ostringstream w;
      w << "the host kernels kept " << threads << " of node " << c.hostnames.front() << "'s " << h.cores()
        << " cores busy; memory bandwidth and Adam rate of a fully loaded node may differ: run one rank per core "
           "(mpirun -np "
        << h.cores() << ") or one rank per node with OpenMP threads";
      c.warnings.push_back(w.str());
    }
    if (c.plan.stream_below_working_set)
      c.warnings.push_back(std::string("the STREAM arrays together are smaller than 4x the last-level cache (") +
                           (c.plan.capped_by_memory ? "capped at a quarter of the memory" : "--quick") +
                           "): the memory bandwidth may include cache hits");
    for (std::size_t i = 1; i < c.hosts.size(); ++i)
      if (c.hosts[i].cores() != h.cores() || c.hosts[i].cpu_model != h.cpu_model ||
          std::fabs(c.hosts[i].memory_bytes - h.memory_bytes) > 0.05 * h.memory_bytes)
        c.warnings.push_back("node " + c.hostnames[i] + " differs from " + c.hostnames.front() +
                             " (CPU, cores or memory); the file describes " + c.hostnames.front() +
                             " with figures that are medians over all nodes");
    if (c.nodes() < 2)
      c.warnings.push_back("one node: the network (network.p2p_*, network.allreduce_*) was not measured; run on 2+ nodes");
    if (c.ranks_per_node.front() < 2)
      c.warnings.push_back("one rank on node " + c.hostnames.front() +
                           ": links.host_p2p_* and links.host_allreduce_* were not measured; run 2+ ranks per node");
  }
  return c;
}

}  // namespace wb::measure
