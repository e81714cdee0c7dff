#include "gpu/hardware.hpp"

#include <limits>

namespace wb::gpu {

double ClusterSpec::host_memory_per_node() const {
  return node ? node->host_memory_bytes : std::numeric_limits<double>::quiet_NaN();
}

void apply_node_figures(NodeSpec& n) {
  if (!n.perf) return;
  if (n.cpu.adam_params_per_s_per_core) n.perf->adam_params_per_s_per_core = *n.cpu.adam_params_per_s_per_core;
  if (n.cpu.memory_bandwidth_measured) n.perf->host_stream_bandwidth = n.cpu.memory_bandwidth;
}

ClusterSpec make_gpu_cluster(const GpuSpec& gpu, std::int64_t count, const std::optional<NodeSpec>& host) {
  ClusterSpec c;
  c.gpu = gpu;
  c.node = host;
  c.nodes = 1;
  c.gpus_per_node = count;
  return c;
}

ClusterSpec make_node_cluster(const NodeSpec& node, std::int64_t nodes) {
  ClusterSpec c;
  c.gpu = node.gpu;
  c.node = node;
  c.nodes = nodes;
  c.gpus_per_node = node.gpus;
  return c;
}

}  // namespace wb::gpu
