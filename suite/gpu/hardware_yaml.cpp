#include "gpu/hardware_yaml.hpp"

namespace wb::gpu {

using io::Dim;

namespace {

// <prefix>_latency and <prefix>_bandwidth, both or neither.
std::optional<AlphaBeta> read_optional_alpha_beta(io::YamlMap& map, const std::string& prefix, io::Provenance& p) {
  auto latency = io::read_optional_figure(map, prefix + "_latency", Dim::seconds);
  auto bandwidth = io::read_optional_figure(map, prefix + "_bandwidth", Dim::bytes_per_s);
  if (!latency && !bandwidth) return std::nullopt;
  if (!latency) map.fail("'" + prefix + "_bandwidth' needs '" + prefix + "_latency' beside it");
  if (!bandwidth) map.fail("'" + prefix + "_latency' needs '" + prefix + "_bandwidth' beside it");
  return AlphaBeta{p.add(*latency), p.add(*bandwidth)};
}

}  // namespace

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
  {
    const io::Figure bw = io::read_figure(cpu, "memory_bandwidth", Dim::bytes_per_s);
    n.cpu.memory_bandwidth = p.add(bw);
    n.cpu.memory_bandwidth_measured = !bw.measured.empty();
  }
  if (auto f = io::read_optional_figure(cpu, "adam_params_per_s_per_core", Dim::count))
    n.cpu.adam_params_per_s_per_core = p.add(*f);
  if (auto f = io::read_optional_figure(cpu, "gemm_fp32", Dim::flops_per_s)) n.cpu.gemm_fp32_flops_per_s = p.add(*f);
  cpu.done();

  io::YamlMap links = root.required_map("links");
  n.pcie_bandwidth = p.add(io::read_figure(links, "pcie", Dim::bytes_per_s));
  n.intra_bandwidth = p.add(io::read_figure(links, "gpu_to_gpu", Dim::bytes_per_s));
  n.host_p2p = read_optional_alpha_beta(links, "host_p2p", p);
  n.host_allreduce = read_optional_alpha_beta(links, "host_allreduce", p);
  links.done();

  io::YamlMap net = root.required_map("network");
  n.nics = net.required("nics").as_positive_int();
  n.nic_bandwidth = p.add(io::read_figure(net, "nic_bandwidth", Dim::bytes_per_s));
  n.network_p2p = read_optional_alpha_beta(net, "p2p", p);
  n.network_allreduce = read_optional_alpha_beta(net, "allreduce", p);
  net.done();
  if (root.has("performance")) {
    io::YamlMap perf = root.required_map("performance");
    NodePerfSuperseded sup;
    sup.adam_rate = n.cpu.adam_params_per_s_per_core.has_value();
    sup.host_bandwidth = n.cpu.memory_bandwidth_measured;
    sup.network = n.network_allreduce.has_value() && n.network_p2p.has_value();
    n.perf = parse_node_perf(perf, p, sup);
    apply_node_figures(n);  // the node's own (measured) figures win
  }
  return n;
}

const io::KeyTable& gpu_system_keys() {
  using V = io::KeyValue;
  static const io::KeyTable keys = [] {
    io::KeyTable k = {
        {"schema_version", V::integer, Dim::count, true, "input schema version (1)"},
        {"kind", V::word, Dim::count, true, "gpu"},
        {"name", V::text, Dim::count, true, "the GPU's name as its maker gives it"},
        {"memory", V::figure, Dim::bytes, true, "HBM capacity"},
        {"memory_bandwidth", V::figure, Dim::bytes_per_s, true, "HBM bandwidth"},
        {"peak_fp16", V::figure, Dim::flops_per_s, true, "dense FP16/BF16 tensor-core peak"},
        {"peak_fp16_sparse", V::figure, Dim::flops_per_s, false, "tensor-core peak with 2:4 structured sparsity"},
        {"peak_fp32", V::figure, Dim::flops_per_s, true, "non-tensor FP32 peak"},
        {"nvlink_bandwidth", V::figure, Dim::bytes_per_s, false, "NVLink bandwidth per direction per GPU (none: no NVLink)"},
        {"pcie_bandwidth", V::figure, Dim::bytes_per_s, true, "host link bandwidth per direction"},
        {"tdp", V::figure, Dim::watts, true, "thermal design power"},
        {"performance", V::block, Dim::count, false, "kernel-level figures of the time model (needed to time training)"},
    };
    io::append(k, io::under("performance", gpu_perf_keys()));
    return k;
  }();
  return keys;
}

const io::KeyTable& node_system_keys() {
  using V = io::KeyValue;
  static const io::KeyTable keys = [] {
    io::KeyTable k = {
        {"schema_version", V::integer, Dim::count, true, "input schema version (1)"},
        {"kind", V::word, Dim::count, true, "node"},
        {"name", V::text, Dim::count, true, "the node's name as its maker gives it"},
        {"gpu", V::word, Dim::count, true, "the GPU system file (kind: gpu) the node holds"},
        {"gpus", V::integer, Dim::count, true, "GPUs per node"},
        {"host_memory", V::figure, Dim::bytes, true, "host memory per node"},
        {"cpu", V::block, Dim::count, true, "the host CPUs"},
        {"cpu.model", V::text, Dim::count, true, "CPU model"},
        {"cpu.sockets", V::integer, Dim::count, true, "CPU sockets"},
        {"cpu.cores_per_socket", V::integer, Dim::count, true, "cores per socket"},
        {"cpu.memory_bandwidth", V::figure, Dim::bytes_per_s, true,
         "host memory bandwidth of the node (datasheet peak, or STREAM triad when measured)"},
        {"cpu.adam_params_per_s_per_core", V::figure, Dim::count, false,
         "measured mixed-precision Adam update rate of one core, all cores busy (parameters/s)"},
        {"cpu.gemm_fp32", V::figure, Dim::flops_per_s, false, "measured fp32 GEMM rate of the whole node"},
        {"links", V::block, Dim::count, true, "links inside the node"},
        {"links.pcie", V::figure, Dim::bytes_per_s, true, "PCIe bandwidth per GPU and direction"},
        {"links.gpu_to_gpu", V::figure, Dim::bytes_per_s, true,
         "GPU-to-GPU bandwidth inside the node (NVSwitch/NVLink) per GPU and direction"},
        {"links.host_p2p_latency", V::figure, Dim::seconds, false, "measured latency between two ranks on one node"},
        {"links.host_p2p_bandwidth", V::figure, Dim::bytes_per_s, false, "measured bandwidth between two ranks on one node"},
        {"links.host_allreduce_latency", V::figure, Dim::seconds, false, "measured all-reduce latency of the node's ranks"},
        {"links.host_allreduce_bandwidth", V::figure, Dim::bytes_per_s, false,
         "measured all-reduce bandwidth of the node's ranks"},
        {"network", V::block, Dim::count, true, "the links between nodes"},
        {"network.nics", V::integer, Dim::count, true, "network interfaces per node"},
        {"network.nic_bandwidth", V::figure, Dim::bytes_per_s, true, "bandwidth of one NIC per direction"},
        {"network.p2p_latency", V::figure, Dim::seconds, false, "measured latency between ranks on two nodes"},
        {"network.p2p_bandwidth", V::figure, Dim::bytes_per_s, false, "measured bandwidth between ranks on two nodes"},
        {"network.allreduce_latency", V::figure, Dim::seconds, false, "measured all-reduce latency, one rank per node"},
        {"network.allreduce_bandwidth", V::figure, Dim::bytes_per_s, false,
         "measured all-reduce bandwidth, one rank per node"},
        {"performance", V::block, Dim::count, false, "node-level figures of the time model (needed to time training)"},
    };
    io::append(k, io::under("performance", node_perf_keys()));
    return k;
  }();
  return keys;
}

}  // namespace wb::gpu
