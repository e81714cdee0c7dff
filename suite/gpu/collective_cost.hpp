#pragma once
// Collectives as NCCL runs them, in the alpha-beta (latency-bandwidth) model of Thakur,
// Rabenseifner & Gropp, "Optimization of collective communication operations in MPICH", IJHPCA
// 19(1) 2005, on the cluster's actual topology:
//   ring all-reduce      2(n-1) alpha + 2 (n-1)/n S / B
//   ring reduce-scatter   (n-1) alpha +   (n-1)/n S / B     (all-gather alike)
//   tree all-reduce      2 (ceil(log2 N) alpha_net + (g-1) alpha_intra) + 2 S / B   (NCCL's
//                        double binary trees across nodes, chains inside, Sanders et al. 2009)
// S is the full buffer, n the members, N the nodes they span, g members per node. Inside one
// node B is the NVLink/NVSwitch bandwidth per GPU; across nodes NCCL runs one ring per rail, so
// a node's members move the inter-node share of the data over min(g, NICs) NICs ("rails") and
// B = min(B_intra, rails x B_nic) (g > 1) or B_nic (one member per node). Each B is derated by
// the measured NCCL bus-bandwidth efficiency from inputs (NCCL tests); all-reduce takes the
// faster of ring and tree, as NCCL's tuner does.
#include <cstdint>

#include "gpu/hardware.hpp"

namespace wb::gpu {

enum class Collective { all_reduce, reduce_scatter, all_gather };

struct GroupShape {
  std::int64_t members = 1;
  std::int64_t nodes = 1;     // nodes spanned
  std::int64_t per_node = 1;  // members per node
};

// Topology constants of a cluster used by the collectives and point-to-point transfers.
struct Fabric {
  double intra_bandwidth = 0;  // per GPU per direction, bytes/s
  double intra_latency_s = 0;
  double intra_efficiency = 1;
  double nic_bandwidth = 0;    // per NIC per direction
  std::int64_t nics = 1;       // per node
  double net_latency_s = 0;
  double net_efficiency = 1;
  // Point-to-point across nodes (pipeline sends): latency and achieved bandwidth.
  double net_p2p_latency_s = 0;
  double net_p2p_bandwidth = 0;
};

// From the node's `performance:` block; a node file with measured network figures
// (network.allreduce_*, network.p2p_*: waferbench calibrate on two or more nodes) uses them
// instead: the all-reduce's per-step latency as alpha across nodes and its per-link bandwidth as
// one rail's achieved bandwidth (host MPI drove one NIC per node; NCCL drives min(g, NICs) rails),
// the ping-pong's alpha-beta for pipeline transfers.
Fabric make_fabric(const ClusterSpec& cluster);

// Bus bandwidth of one member of the group (B above): bytes/s through each GPU's links.
double collective_bandwidth(const GroupShape& g, const Fabric& f);

// Seconds for one collective over a buffer of `bytes` (the full, unsharded buffer), issued in
// `calls` separate calls of the same collective (DeepSpeed's per-submodule fetches): the
// bandwidth term once, the latency once per call.
double collective_time(Collective kind, double bytes, const GroupShape& g, const Fabric& f, int calls = 1);

// The latency part (alpha terms) of collective_time: what each extra call of the same
// collective adds when a buffer is gathered in pieces.
double collective_latency(Collective kind, const GroupShape& g, const Fabric& f);

// Seconds for a point-to-point message between two GPUs (same node or not).
double p2p_time(double bytes, bool same_node, const Fabric& f);

}  // namespace wb::gpu
