#include "gpu/hardware.hpp"

#include <limits>

namespace wb::gpu {

double ClusterSpec::host_memory_per_node() const {
  return node ? node->host_memory_bytes : std::numeric_limits<double>::quiet_NaN();
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
