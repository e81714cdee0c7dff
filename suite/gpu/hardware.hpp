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
  double peak_fp32_flops = 0;         // non-tensor FP32
  double nvlink_bandwidth = 0;        // per direction per GPU, bytes/s (0: none)
  double pcie_bandwidth = 0;          // host link per direction, bytes/s
  double tdp_watts = 0;
  std::optional<GpuPerf> perf;  // `performance:` block, needed by the time model
  io::Provenance provenance;
};

struct CpuSpec {
  std::string model;
  std::int64_t sockets = 0;
  std::int64_t cores_per_socket = 0;
  double memory_bandwidth = 0;  // whole node, bytes/s
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
  io::Provenance provenance;
};

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
