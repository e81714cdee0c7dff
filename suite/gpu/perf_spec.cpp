#include "gpu/perf_spec.hpp"

#include <cmath>

namespace wb::gpu {

using io::Dim;

namespace {

std::int64_t positive_count(io::YamlMap& m, const std::string& key, io::Provenance& p) {
  const io::Figure f = io::read_figure(m, key, Dim::count);
  if (f.value != std::floor(f.value)) m.fail(key + " must be a whole number");
  return static_cast<std::int64_t>(p.add(f));
}

double fraction(io::YamlMap& m, const std::string& key, io::Provenance& p) {
  const io::Figure f = io::read_figure(m, key, Dim::count);
  if (f.value > 1.0) m.fail(key + " is a fraction of the peak; it must lie in (0, 1]");
  return p.add(f);
}

double optional_figure(io::YamlMap& m, const std::string& key, Dim dim, io::Provenance& p) {
  if (auto f = io::read_optional_figure(m, key, dim)) return p.add(*f);
  return 0.0;
}

// A figure the block must give unless the node file gives the same quantity itself (`by`).
double unless_superseded(io::YamlMap& m, const std::string& key, Dim dim, bool superseded, const char* by,
                         io::Provenance& p) {
  if (auto f = io::read_optional_figure(m, key, dim)) return p.add(*f);
  if (!superseded) m.fail(std::string("missing '") + key + "' (or, measured, " + by + " in the node file)");
  return 0.0;  // taken from the node's own figure (apply_node_figures)
}

}  // namespace

GpuPerf parse_gpu_perf(io::YamlMap& m, io::Provenance& p) {
  GpuPerf g;
  g.sm_count = positive_count(m, "sm_count", p);
  g.l2_bandwidth = p.add(io::read_figure(m, "l2_bandwidth", Dim::bytes_per_s));
  g.gemm_efficiency = fraction(m, "gemm_efficiency", p);
  g.gemm_k_overhead = p.add(io::read_figure(m, "gemm_k_overhead", Dim::count, false));
  g.memory_efficiency = fraction(m, "memory_efficiency", p);
  g.kernel_gap_s = p.add(io::read_figure(m, "kernel_gap", Dim::seconds, false));
  if (m.has("ampere_kernel_fraction")) g.ampere_kernel_fraction = fraction(m, "ampere_kernel_fraction", p);
  if (auto f = io::read_optional_figure(m, "collective_sms", Dim::count, false)) {
    if (f->value != std::floor(f->value) || f->value >= static_cast<double>(g.sm_count))
      m.fail("collective_sms must be a whole number below sm_count");
    g.collective_sms = static_cast<std::int64_t>(p.add(*f));
    g.collective_hbm_bytes_per_byte = p.add(io::read_figure(m, "collective_hbm_bytes_per_byte", Dim::count, false));
  }
  m.done();
  return g;
}

NodePerf parse_node_perf(io::YamlMap& m, io::Provenance& p, const NodePerfSuperseded& sup) {
  NodePerf n;
  n.adam_params_per_s_per_core =
      unless_superseded(m, "adam_params_per_s_per_core", Dim::count, sup.adam_rate, "cpu.adam_params_per_s_per_core", p);
  n.host_stream_bandwidth =
      unless_superseded(m, "host_stream_bandwidth", Dim::bytes_per_s, sup.host_bandwidth, "cpu.memory_bandwidth", p);
  n.pcie_achievable = p.add(io::read_figure(m, "pcie_achievable", Dim::bytes_per_s));
  n.gpus_per_pcie_switch = positive_count(m, "gpus_per_pcie_switch", p);
  n.pcie_latency_s = p.add(io::read_figure(m, "pcie_latency", Dim::seconds));
  n.intra_latency_s = p.add(io::read_figure(m, "intra_latency", Dim::seconds));
  n.intra_efficiency = fraction(m, "intra_efficiency", p);
  n.net_latency_s = unless_superseded(m, "net_latency", Dim::seconds, sup.network, "network.allreduce_* and network.p2p_*", p);
  if (m.has("net_efficiency") || !sup.network) n.net_efficiency = fraction(m, "net_efficiency", p);
  n.gpu_mtbf_s = optional_figure(m, "gpu_mtbf", Dim::seconds, p);
  n.node_mtbf_s = optional_figure(m, "node_mtbf", Dim::seconds, p);
  if (auto f = io::read_optional_figure(m, "straggler_cv", Dim::count, false)) n.straggler_cv = p.add(*f);
  n.checkpoint_write_bandwidth = optional_figure(m, "checkpoint_write_bandwidth", Dim::bytes_per_s, p);
  if (auto f = io::read_optional_figure(m, "restart", Dim::seconds, false)) n.restart_s = p.add(*f);
  n.storage_read_bandwidth = optional_figure(m, "storage_read_bandwidth", Dim::bytes_per_s, p);
  m.done();
  return n;
}

FrameworkTime parse_framework_time(io::YamlMap& m, io::Provenance& p) {
  FrameworkTime t;
  t.cpu_dispatch_s = p.add(io::read_figure(m, "cpu_dispatch", Dim::seconds, false));
  {
    const io::YamlValue v = m.required("attention");
    const std::string s = v.as_string();
    if (s == "unfused") t.attention = Attention::unfused;
    else if (s == "flash") t.attention = Attention::flash;
    else v.fail("unknown attention '" + s + "'; expected unfused or flash");
    if (t.attention == Attention::flash) {
      t.flash_forward_efficiency = p.add(io::read_figure(m, "flash_forward_efficiency", Dim::count));
      t.flash_backward_efficiency = p.add(io::read_figure(m, "flash_backward_efficiency", Dim::count));
      if (auto k = m.optional("flash_kernel")) {
        const std::string g = k->as_string();
        if (g == "hopper") t.flash_kernel_hopper = true;
        else if (g != "ampere") k->fail("unknown flash_kernel '" + g + "'; expected ampere or hopper");
      }
    }
  }
  {
    const io::YamlValue v = m.required("grad_reduce");
    const std::string s = v.as_string();
    if (s == "overlapped") t.grad_reduce = GradReduce::overlapped;
    else if (s == "after-backward") t.grad_reduce = GradReduce::after_backward;
    else if (s == "overlapped-without-pipeline") t.grad_reduce = GradReduce::overlapped_without_pipeline;
    else if (s == "per-module") t.grad_reduce = GradReduce::per_module;
    else v.fail("unknown grad_reduce '" + s + "'; expected overlapped, after-backward, overlapped-without-pipeline or per-module");
  }
  if (auto v = m.optional("zero3_gather")) {
    const std::string s = v->as_string();
    if (s == "per-layer") t.zero3_gather = Zero3Gather::per_layer;
    else if (s == "per-submodule") t.zero3_gather = Zero3Gather::per_submodule;
    else v->fail("unknown zero3_gather '" + s + "'; expected per-layer or per-submodule");
  }
  if (auto v = m.optional("pipeline_p2p")) {
    const std::string s = v->as_string();
    if (s == "megatron") t.pipeline_p2p = PipelineP2p::megatron;
    else if (s == "deepspeed") t.pipeline_p2p = PipelineP2p::deepspeed;
    else v->fail("unknown pipeline_p2p '" + s + "'; expected megatron or deepspeed");
  }
  t.grad_bytes_per_param = p.add(io::read_figure(m, "grad_bytes_per_param", Dim::count));
  t.gpu_optimizer_bytes_per_param = p.add(io::read_figure(m, "gpu_optimizer_bytes_per_param", Dim::count));
  t.cpu_optimizer_bytes_per_param = p.add(io::read_figure(m, "cpu_optimizer_bytes_per_param", Dim::count));
  t.offload_grad_bytes_per_param = p.add(io::read_figure(m, "offload_grad_bytes_per_param", Dim::count));
  t.step_overhead_s = p.add(io::read_figure(m, "step_overhead", Dim::seconds, false));
  t.microbatch_overhead_s = p.add(io::read_figure(m, "microbatch_overhead", Dim::seconds, false));
  m.done();
  return t;
}

const io::KeyTable& gpu_perf_keys() {
  using V = io::KeyValue;
  static const io::KeyTable keys = {
      {"sm_count", V::figure, Dim::count, true, "streaming multiprocessors (wave quantization of GEMM tiles)"},
      {"l2_bandwidth", V::figure, Dim::bytes_per_s, true, "L2 to SM bandwidth: bounds small GEMM tiles"},
      {"gemm_efficiency", V::figure, Dim::count, true, "fraction of peak FP16 a large GEMM reaches in full waves"},
      {"gemm_k_overhead", V::figure, Dim::count, true, "per-tile prologue/epilogue in K elements: efficiency K/(K+k0)"},
      {"memory_efficiency", V::figure, Dim::count, true, "fraction of HBM bandwidth streaming kernels reach"},
      {"kernel_gap", V::figure, Dim::seconds, true, "idle time of the GPU between two dependent kernels"},
      {"ampere_kernel_fraction", V::figure, Dim::count, false,
       "share of its A100 efficiency a fused attention kernel written for Ampere keeps on this GPU (default 1)"},
      {"collective_sms", V::figure, Dim::count, false,
       "SMs an NCCL collective holds while it runs beside compute (none: its contention is not modelled)"},
      {"collective_hbm_bytes_per_byte", V::figure, Dim::count, false,
       "HBM traffic per byte a collective moves through a GPU (with collective_sms)"},
  };
  return keys;
}

const io::KeyTable& node_perf_keys() {
  using V = io::KeyValue;
  static const io::KeyTable keys = {
      {"adam_params_per_s_per_core", V::figure, Dim::count, false,
       "DeepSpeed CPU-Adam update rate of one core, parameters/s (required unless cpu.adam_params_per_s_per_core)"},
      {"host_stream_bandwidth", V::figure, Dim::bytes_per_s, false,
       "achievable host memory bandwidth of the node (required unless cpu.memory_bandwidth is measured)"},
      {"pcie_achievable", V::figure, Dim::bytes_per_s, true, "pinned host-device copy bandwidth of one GPU"},
      {"gpus_per_pcie_switch", V::figure, Dim::count, true, "GPUs sharing one uplink to the CPU"},
      {"pcie_latency", V::figure, Dim::seconds, true, "setup of one host-device copy"},
      {"intra_latency", V::figure, Dim::seconds, true, "latency of one collective step inside the node"},
      {"intra_efficiency", V::figure, Dim::count, true, "fraction of the GPU-to-GPU bandwidth collectives reach in the node"},
      {"net_latency", V::figure, Dim::seconds, false,
       "latency of one collective step between nodes (required unless network.p2p_* and network.allreduce_*)"},
      {"net_efficiency", V::figure, Dim::count, false,
       "fraction of the NIC bandwidth collectives reach between nodes (required unless network.p2p_* and network.allreduce_*)"},
      {"gpu_mtbf", V::figure, Dim::seconds, false, "mean time between failures of one GPU (none: GPUs never fail)"},
      {"node_mtbf", V::figure, Dim::seconds, false, "mean time between failures of one node (none: nodes never fail)"},
      {"straggler_cv", V::figure, Dim::count, false, "coefficient of variation of per-device speed"},
      {"checkpoint_write_bandwidth", V::figure, Dim::bytes_per_s, false, "checkpoint write bandwidth per node"},
      {"restart", V::figure, Dim::seconds, false, "time from a failure to resumed training"},
      {"storage_read_bandwidth", V::figure, Dim::bytes_per_s, false, "checkpoint read bandwidth for inference"},
  };
  return keys;
}

const io::KeyTable& framework_time_keys() {
  using V = io::KeyValue;
  static const io::KeyTable keys = {
      {"cpu_dispatch", V::figure, Dim::seconds, true, "host time to launch one kernel (eager framework)"},
      {"attention", V::word, Dim::count, true, "unfused or flash"},
      {"grad_reduce", V::word, Dim::count, true, "overlapped, after-backward, overlapped-without-pipeline or per-module"},
      {"zero3_gather", V::word, Dim::count, false, "per-layer (FSDP units; default) or per-submodule (DeepSpeed's hooks)"},
      {"pipeline_p2p", V::word, Dim::count, false,
       "megatron (own stream, 1/tp scatter; default) or deepspeed (blocking sends paired with the receiver's instruction, 1/tp partitioned)"},
      {"flash_forward_efficiency", V::figure, Dim::count, false,
       "fraction of the dense FP16 peak FlashAttention's forward kernel reaches (required with attention: flash)"},
      {"flash_backward_efficiency", V::figure, Dim::count, false,
       "fraction of the dense FP16 peak FlashAttention's backward kernel reaches (required with attention: flash)"},
      {"flash_kernel", V::word, Dim::count, false,
       "ampere (default: the efficiencies are A100 figures, scaled by the GPU's ampere_kernel_fraction) or hopper "
       "(H100 figures of a Hopper kernel, taken as they are)"},
      {"grad_bytes_per_param", V::figure, Dim::count, true, "bytes per gradient element in the data-parallel reduction"},
      {"gpu_optimizer_bytes_per_param", V::figure, Dim::count, true, "HBM traffic of the fused Adam step per parameter"},
      {"cpu_optimizer_bytes_per_param", V::figure, Dim::count, true,
       "host memory traffic of CPU-Adam and gradient clipping per parameter"},
      {"offload_grad_bytes_per_param", V::figure, Dim::count, true, "bytes per gradient element copied device to host"},
      {"step_overhead", V::figure, Dim::seconds, true, "per-iteration work outside the model (loader, logging)"},
      {"microbatch_overhead", V::figure, Dim::seconds, true,
       "host work per micro-batch and stage (batch fetch, loss, schedule)"},
  };
  return keys;
}

}  // namespace wb::gpu
