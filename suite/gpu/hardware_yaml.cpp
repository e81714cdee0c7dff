#include "gpu/hardware_yaml.hpp"

namespace wb::gpu {

using io::Dim;

GpuSpec parse_gpu(io::YamlMap& root, const std::string& name, const std::string& file) {
  GpuSpec g;
  g.name = name;
  g.provenance.file = file;
  auto& p = g.provenance;
  g.display_name = root.required("name").as_string();
  g.memory_bytes = p.add(io::read_figure(root, "memory", Dim::bytes));
  g.memory_bandwidth = p.add(io::read_figure(root, "memory_bandwidth", Dim::bytes_per_s));
  g.peak_fp16_flops = p.add(io::read_figure(root, "peak_fp16", Dim::flops_per_s));
  if (auto f = io::read_optional_figure(root, "peak_fp16_sparse", Dim::flops_per_s)) g.peak_fp16_sparse_flops = p.add(*f);
  g.peak_fp32_flops = p.add(io::read_figure(root, "peak_fp32", Dim::flops_per_s));
  if (auto f = io::read_optional_figure(root, "nvlink_bandwidth", Dim::bytes_per_s)) g.nvlink_bandwidth = p.add(*f);
  g.pcie_bandwidth = p.add(io::read_figure(root, "pcie_bandwidth", Dim::bytes_per_s));
  g.tdp_watts = p.add(io::read_figure(root, "tdp", Dim::watts));
  if (root.has("performance")) {
    io::YamlMap perf = root.required_map("performance");
    g.perf = parse_gpu_perf(perf, p);
  }
  return g;
}

NodeSpec parse_node(io::YamlMap& root, const std::string& name, const std::string& file, const GpuResolver& resolve) {
  NodeSpec n;
  n.name = name;
  n.provenance.file = file;
  auto& p = n.provenance;
  n.display_name = root.required("name").as_string();
  n.gpu = resolve(root.required("gpu"));
  n.gpus = root.required("gpus").as_positive_int();
  n.host_memory_bytes = p.add(io::read_figure(root, "host_memory", Dim::bytes));

  io::YamlMap cpu = root.required_map("cpu");
  n.cpu.model = cpu.required("model").as_string();
  n.cpu.sockets = cpu.required("sockets").as_positive_int();
  n.cpu.cores_per_socket = cpu.required("cores_per_socket").as_positive_int();
  n.cpu.memory_bandwidth = p.add(io::read_figure(cpu, "memory_bandwidth", Dim::bytes_per_s));
  cpu.done();

  io::YamlMap links = root.required_map("links");
  n.pcie_bandwidth = p.add(io::read_figure(links, "pcie", Dim::bytes_per_s));
  n.intra_bandwidth = p.add(io::read_figure(links, "gpu_to_gpu", Dim::bytes_per_s));
  links.done();

  io::YamlMap net = root.required_map("network");
  n.nics = net.required("nics").as_positive_int();
  n.nic_bandwidth = p.add(io::read_figure(net, "nic_bandwidth", Dim::bytes_per_s));
  net.done();
  if (root.has("performance")) {
    io::YamlMap perf = root.required_map("performance");
    n.perf = parse_node_perf(perf, p);
  }
  return n;
}

}  // namespace wb::gpu
