#pragma once
// GPU-cluster hardware: one GPU, one node (GPUs, host CPUs and memory, PCIe, NVLink/NVSwitch,
// NICs) and a cluster of identical nodes. Every figure comes from inputs/systems with its source.
#include <cstdint>
#include <optional>
#include <string>

#include "gpu/perf_spec.hpp"
#include "io/figure.hpp"

namespace wb::gpu {

struct GpuSpec {
  std::string name;          // file stem: "a100-40gb"
  std::string display_name;  // "NVIDIA A100-SXM4-40GB"
  double memory_bytes = 0;            // HBM capacity
  double memory_bandwidth = 0;        // bytes/s
  double peak_fp16_flops = 0;         // dense FP16/BF16 tensor-core peak, FLOP/s
  double peak_fp16_sparse_flops = 0;  // with 2:4 structured sparsity (0 when unsupported)
  double peak_fp8_flops = 0;          // dense FP8 tensor-core peak (0: no FP8 tensor cores)
  double peak_fp32_flops = 0;         // non-tensor FP32
  double nvlink_bandwidth = 0;        // per direction per GPU, bytes/s (0: none)
  double pcie_bandwidth = 0;          // host link per direction, bytes/s
  double tdp_watts = 0;
  std::optional<GpuPerf> perf;  // `performance:` block, needed by the time model
  io::Provenance provenance;
};

// Latency and bandwidth of a link or of a collective's steps: t(n) = latency + n / bandwidth.
struct AlphaBeta {
  double latency_s = 0;
  double bandwidth = 0;  // bytes/s
};

struct CpuSpec {
  std::string model;
  std::int64_t sockets = 0;
  std::int64_t cores_per_socket = 0;
  double memory_bandwidth = 0;  // whole node, bytes/s (datasheet peak, or STREAM when measured)
  bool memory_bandwidth_measured = false;  // `measured:` (waferbench calibrate's STREAM triad)
  // Optional, written by `waferbench calibrate` (docs/calibration.md):
  std::optional<double> adam_params_per_s_per_core;  // mixed-precision Adam update rate of one core, all cores busy
  std::optional<double> gemm_fp32_flops_per_s;       // whole node, fp32 GEMM
  std::int64_t cores() const { return sockets * cores_per_socket; }
};

struct NodeSpec {
  std::string name;
  std::string display_name;
  GpuSpec gpu;
  std::int64_t gpus = 0;
  double host_memory_bytes = 0;
  CpuSpec cpu;
  double pcie_bandwidth = 0;      // per GPU, per direction, bytes/s
  double intra_bandwidth = 0;     // GPU-to-GPU inside the node (NVSwitch/NVLink), per direction per GPU
  std::int64_t nics = 0;
  double nic_bandwidth = 0;       // per NIC, per direction, bytes/s
  std::optional<NodePerf> perf;   // `performance:` block, needed by the time model
  // Optional, measured between host processes by `waferbench calibrate` (docs/calibration.md).
  // p2p: one message one way (ping-pong); allreduce: per-step latency and per-link bandwidth of
  // a bandwidth-optimal all-reduce, t = 2(p-1) latency + 2(p-1)/p n / bandwidth.
  std::optional<AlphaBeta> host_p2p;           // links.host_p2p_*: two ranks on one node
  std::optional<AlphaBeta> host_allreduce;     // links.host_allreduce_*: the ranks of one node
  std::optional<AlphaBeta> network_p2p;        // network.p2p_*: ranks on two nodes
  std::optional<AlphaBeta> network_allreduce;  // network.allreduce_*: one rank per node
  io::Provenance provenance;
};

// The node's own figures take precedence over its `performance:` block's estimates of the same
// quantities (docs/calibration.md, "What changes in the predictions"): cpu.adam_params_per_s_per_core
// sets the CPU-Adam rate and a measured cpu.memory_bandwidth (STREAM) the host bandwidth of the
// offloaded optimizer. (A datasheet cpu.memory_bandwidth is the DDR peak, which no program
// reaches: it does not replace host_stream_bandwidth.) network.allreduce_* and network.p2p_* set
// the inter-node collectives and transfers in make_fabric (gpu/collective_cost.hpp). Called by
// parse_node; idempotent.
void apply_node_figures(NodeSpec& node);

// What a scenario runs on: `nodes` x node, or bare GPUs (no host described) when node is empty.
struct ClusterSpec {
  GpuSpec gpu;
  std::optional<NodeSpec> node;
  std::int64_t nodes = 1;
  std::int64_t gpus_per_node = 1;
  std::int64_t total_gpus() const { return nodes * gpus_per_node; }
  double host_memory_per_node() const;  // NaN when no host is described
};

// count GPUs of a bare GPU system; they share one host of type `host` when given.
ClusterSpec make_gpu_cluster(const GpuSpec& gpu, std::int64_t count, const std::optional<NodeSpec>& host);
// count nodes.
ClusterSpec make_node_cluster(const NodeSpec& node, std::int64_t nodes);

}  // namespace wb::gpu
