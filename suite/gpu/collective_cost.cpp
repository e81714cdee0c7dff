#include "gpu/collective_cost.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace wb::gpu {

Fabric make_fabric(const ClusterSpec& c) {
  if (!c.node || !c.node->perf)
    throw std::invalid_argument("the time model needs the node's `performance:` block (collective latencies, PCIe, CPU)");
  const NodeSpec& n = *c.node;
  const NodePerf& p = *n.perf;
  Fabric f;
  // A bare-GPU cluster hosted by a node type uses that node's links.
  f.intra_bandwidth = n.intra_bandwidth;
  f.intra_latency_s = p.intra_latency_s;
  f.intra_efficiency = p.intra_efficiency;
  f.nic_bandwidth = n.nic_bandwidth;
  f.nics = n.nics;
  f.net_latency_s = p.net_latency_s;
  f.net_efficiency = p.net_efficiency;
  if (n.network_allreduce) {
    f.net_latency_s = n.network_allreduce->latency_s;
    f.nic_bandwidth = n.network_allreduce->bandwidth;
    f.net_efficiency = 1.0;  // measured: already what the network achieves
  }
  f.net_p2p_latency_s = f.net_latency_s;
  f.net_p2p_bandwidth = f.nic_bandwidth * f.net_efficiency;
  if (n.network_p2p) {
    f.net_p2p_latency_s = n.network_p2p->latency_s;
    f.net_p2p_bandwidth = n.network_p2p->bandwidth;
  }
  return f;
}

double collective_bandwidth(const GroupShape& g, const Fabric& f) {
  const double b_intra = f.intra_bandwidth * f.intra_efficiency;
  if (g.nodes <= 1) return b_intra;
  const double rails = static_cast<double>(std::min(g.per_node, f.nics));
  const double b_net = rails * f.nic_bandwidth * f.net_efficiency;
  return g.per_node > 1 ? std::min(b_intra, b_net) : b_net;
}

namespace {

double one_call(Collective kind, double bytes, const GroupShape& g, const Fabric& f) {
  const double n = static_cast<double>(g.members);
  if (g.members <= 1 || bytes <= 0) return 0.0;
  const bool multi = g.nodes > 1;
  const double bw = collective_bandwidth(g, f);
  const double alpha = multi ? f.net_latency_s : f.intra_latency_s;
  switch (kind) {
    case Collective::reduce_scatter:
    case Collective::all_gather: return (n - 1.0) * alpha + (n - 1.0) / n * bytes / bw;
    case Collective::all_reduce: {
      const double ring = 2.0 * (n - 1.0) * alpha + 2.0 * (n - 1.0) / n * bytes / bw;
      if (!multi) return ring;
      const double depth = std::ceil(std::log2(static_cast<double>(g.nodes)));
      const double tree = 2.0 * (depth * f.net_latency_s + static_cast<double>(g.per_node - 1) * f.intra_latency_s) +
                          2.0 * bytes / bw;
      return std::min(ring, tree);
    }
  }
  throw std::logic_error("collective_time: unknown collective");
}

}  // namespace

double collective_time(Collective kind, double bytes, const GroupShape& g, const Fabric& f, int calls) {
  const double t = one_call(kind, bytes, g, f);
  return calls > 1 ? t + (calls - 1) * collective_latency(kind, g, f) : t;
}

double collective_latency(Collective kind, const GroupShape& g, const Fabric& f) {
  if (g.members <= 1) return 0.0;
  const double steps = static_cast<double>(g.members - 1);
  const double alpha = g.nodes > 1 ? f.net_latency_s : f.intra_latency_s;
  if (kind != Collective::all_reduce) return steps * alpha;
  if (g.nodes <= 1) return 2.0 * steps * alpha;
  const double depth = std::ceil(std::log2(static_cast<double>(g.nodes)));
  return std::min(2.0 * steps * alpha,
                  2.0 * (depth * f.net_latency_s + static_cast<double>(g.per_node - 1) * f.intra_latency_s));
}

double p2p_time(double bytes, bool same_node, const Fabric& f) {
  if (same_node) return f.intra_latency_s + bytes / (f.intra_bandwidth * f.intra_efficiency);
  return f.net_p2p_latency_s + bytes / f.net_p2p_bandwidth;
}

}  // namespace wb::gpu
