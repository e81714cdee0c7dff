#include "measure/calibration_yaml.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "io/build_info.hpp"
#include "kernels/adam.hpp"
#include "measure/fit.hpp"

namespace wb::measure {

namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    out += ch;
  }
  return out + "\"";
}

std::string sig4(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// Mantissa and prefix so that the mantissa printed with 4 digits lies in [1, 1000).
std::string with_prefix(double value, const char* const* prefixes, int count, double first_factor, const char* unit) {
  double factor = first_factor;
  int i = 0;
  while (i + 1 < count && std::fabs(value) / factor >= 999.95) {
    factor *= 1000;
    ++i;
  }
  return sig4(value / factor) + prefixes[i] + unit;
}

std::string bytes_text(double b) {
  std::ostringstream os;
  if (b >= 1073741824.0) os << sig4(b / 1073741824.0) << " GiB";
  else if (b >= 1048576.0) os << sig4(b / 1048576.0) << " MiB";
  else if (b >= 1024.0) os << sig4(b / 1024.0) << " KiB";
  else os << b << " B";
  return os.str();
}

std::string fit_text(const CommSweep& s) {
  std::ostringstream os;
  os << "t = alpha + n/beta fitted over " << s.points.size() << " sizes " << bytes_text(s.points.front().bytes) << " to "
     << bytes_text(s.points.back().bytes) << " (least squares on relative error; rms relative residual "
     << sig4(100 * s.fit.rms_relative_residual) << "%, max " << sig4(100 * s.fit.max_relative_residual)
     << "%, R^2 " << sig4(s.fit.r_squared) << ")";
  return os.str();
}

CalibratedFigures::Link p2p_link(const CommSweep& s, const std::string& where) {
  CalibratedFigures::Link l;
  l.present = true;
  if (s.fit.valid()) {
    l.latency_s = s.fit.alpha_s;
    l.bandwidth = s.fit.beta_bytes_per_s;
    l.method = "MPI ping-pong " + where + ", median of timed blocks per size, " + fit_text(s);
  } else {
    // A fit with a negative intercept or slope says nothing; keep the direct readings.
    l.latency_s = s.points.front().median_s;
    l.bandwidth = s.points.back().bytes / s.points.back().median_s;
    l.method = "MPI ping-pong " + where + ": one-way time of the smallest message and bandwidth of the largest (the " +
               fit_text(s) + " gave a non-positive alpha or beta)";
  }
  return l;
}

CalibratedFigures::Link allreduce_link(const CommSweep& s, const std::string& where) {
  CalibratedFigures::Link l;
  l.present = true;
  AlphaBetaFit fit = s.fit;
  std::string how = fit_text(s);
  if (!fit.valid()) {
    fit.alpha_s = s.points.front().median_s;
    fit.beta_bytes_per_s = s.points.back().bytes / s.points.back().median_s;
    how = "smallest-message time and largest-message rate (the " + how + " gave a non-positive alpha or beta)";
  }
  const LinkAlphaBeta link = ring_equivalent_link(fit, s.ranks);
  l.latency_s = link.latency_s;
  l.bandwidth = link.bandwidth_bytes_per_s;
  l.method = "MPI_Allreduce (fp32 sum) over " + std::to_string(s.ranks) + " ranks " + where +
             ", slowest rank per block, median of blocks, " + how +
             ", converted to per-step latency alpha/(2(p-1)) and per-link bandwidth beta*2(p-1)/p "
             "(bandwidth-optimal all-reduce, Thakur, Rabenseifner & Gropp 2005)";
  return l;
}

void figure_line(std::ostringstream& os, const std::string& indent, const std::string& key, double value, io::Dim dim,
                 const std::string& host_and_date, const std::string& method, const std::string& utc) {
  os << indent << key << ": {value: " << format_value(value, dim)
     << ", source: " << quote("measured by waferbench calibrate on " + host_and_date + ", " + method)
     << ", measured: " << utc << "}\n";
}

// A figure of the base node, copied with its source.
void copied_line(std::ostringstream& os, const std::string& indent, const std::string& key, const gpu::NodeSpec& base,
                 const std::string& base_name) {
  const auto& figures = base.provenance.figures;
  const auto it = std::find_if(figures.begin(), figures.end(), [&](const io::Figure& f) { return f.key == key; });
  const std::string leaf = key.substr(key.rfind('.') == std::string::npos ? 0 : key.rfind('.') + 1);
  if (it == figures.end()) throw std::logic_error("base node " + base_name + " has no figure " + key);
  os << indent << leaf << ": {value: " << it->text << ", source: " << quote(it->source);
  if (it->assumption) os << ", assumption: true";
  os << ", note: " << quote("copied from " + base_name + ": not measurable from the host") << "}\n";
}

// The time model's `performance:` block, copied from the base node (PCIe, NCCL, reliability
// figures a host-only run cannot measure), without the figures this file measures itself: the
// node's measured figures take precedence over the block's estimates (gpu::apply_node_figures,
// docs/calibration.md), so the copies would only be overridden.
void performance_block(std::ostringstream& os, const gpu::NodeSpec& base, const std::string& base_name,
                       bool network_measured) {
  if (!base.perf) return;
  const std::string prefix = "performance.";
  std::vector<std::string> left_out = {"adam_params_per_s_per_core", "host_stream_bandwidth"};
  if (network_measured) {
    left_out.push_back("net_latency");
    left_out.push_back("net_efficiency");
  }
  os << "performance:\n";
  os << "  # The GPU time model's constants, copied from " << base_name << "; measured above instead, and\n"
     << "  # used in their place: cpu.adam_params_per_s_per_core (CPU-Adam rate), cpu.memory_bandwidth\n"
     << "  # (host memory bandwidth of the offloaded optimizer)"
     << (network_measured ? ",\n  # network.allreduce_* and network.p2p_* (inter-node collectives and transfers)" : "")
     << ". See docs/calibration.md.\n";
  for (const io::Figure& fig : base.provenance.figures) {
    if (fig.key.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string leaf = fig.key.substr(prefix.size());
    if (std::find(left_out.begin(), left_out.end(), leaf) != left_out.end()) continue;
    os << "  " << leaf << ": {value: " << fig.text << ", source: " << quote(fig.source);
    if (fig.assumption) os << ", assumption: true";
    os << ", note: " << quote("copied from " + base_name) << "}\n";
  }
}

}  // namespace

int busy_cores(const Calibration& c, std::size_t node) {
  // More threads than physical cores (hardware threads, oversubscription) still busy only the cores.
  const auto cores = static_cast<int>(node < c.hosts.size() ? c.hosts[node].cores() : c.hosts.front().cores());
  return std::max(1, std::min(c.rates.threads_per_node[node], cores));
}

std::string format_value(double value, io::Dim dim) {
  static const char* const si[] = {"", "k", "M", "G", "T", "P"};
  switch (dim) {
    case io::Dim::bytes: {
      const double kib = value / 1024.0;
      if (kib == std::floor(kib)) return std::to_string(static_cast<long long>(kib)) + "KiB";
      return sig4(value) + "B";
    }
    case io::Dim::bytes_per_s: return with_prefix(value, si, 6, 1, "B/s");
    case io::Dim::flops_per_s: return with_prefix(value, si, 6, 1, "FLOP/s");
    case io::Dim::seconds: {
      static const char* const units[] = {"ns", "us", "ms", "s"};
      double v = value * 1e9;
      int i = 0;
      while (i < 3 && std::fabs(v) >= 999.95) {
        v /= 1000;
        ++i;
      }
      return sig4(v) + units[i];
    }
    default: return sig4(value);
  }
}

CalibratedFigures calibrated_figures(const Calibration& c) {
  CalibratedFigures f;
  double memory = c.hosts.front().memory_bytes;
  for (const auto& h : c.hosts) memory = std::min(memory, h.memory_bytes);
  f.host_memory_bytes = memory;
  f.memory_bandwidth = median(c.rates.stream_bytes_per_s.per_node);
  std::vector<double> per_core;
  for (std::size_t i = 0; i < c.rates.adam_params_per_s.per_node.size(); ++i)
    per_core.push_back(c.rates.adam_params_per_s.per_node[i] / busy_cores(c, i));
  f.adam_params_per_s_per_core = median(per_core);
  f.gemm_fp32_flops_per_s = median(c.rates.gemm_flops_per_s.per_node);

  const HostInfo& h = c.hosts.front();
  std::ostringstream load;
  load << c.ranks_per_node.front() << " rank(s) x " << c.rates.kokkos_threads_per_rank << " " << c.kokkos_host_space
       << " thread(s), " << busy_cores(c, 0) << " of " << h.cores() << " cores busy";
  const std::string nodes = c.nodes() > 1 ? ", median of " + std::to_string(c.nodes()) + " nodes" : "";
  const std::string best = ", best of " + std::to_string(c.plan.host.repetitions);
  f.stream_method = "STREAM triad (McCalpin) summed over the node's ranks, " + load.str() + ", 3 arrays of " +
                    bytes_text(c.plan.host.stream_bytes_per_node / 3) + " per node" +
                    (c.plan.stream_below_working_set ? " (all three below 4x the last-level cache)"
                     : c.plan.stream_below_rule    ? " (together 4x the last-level cache; STREAM's rule of 4x each is --thorough)"
                                                   : "") + best + nodes;
  f.adam_method = "mixed-precision AdamW (fp32 weights, moments and gradients, fp16 copy-out; " +
                  sig4(kernels::kAdamBytesPerParam) + " B/param) node rate / busy cores, " + load.str() + ", " +
                  bytes_text(c.plan.host.adam_bytes_per_node) + " of state per node" + best + nodes;
  f.gemm_method = "blocked fp32 GEMM n = " + std::to_string(c.plan.host.gemm_n) + " summed over the node's ranks, " +
                  load.str() + best + nodes;
  if (c.host_p2p) f.host_p2p = p2p_link(*c.host_p2p, "between 2 ranks on " + c.hostnames.front());
  if (c.host_allreduce) f.host_allreduce = allreduce_link(*c.host_allreduce, "on " + c.hostnames.front());
  if (c.network_p2p) f.network_p2p = p2p_link(*c.network_p2p, "between " + c.hostnames[0] + " and " + c.hostnames[1]);
  if (c.network_allreduce)
    f.network_allreduce = allreduce_link(*c.network_allreduce, "one per node on " + std::to_string(c.nodes()) + " nodes");
  return f;
}

std::string node_yaml(const Calibration& c, const gpu::NodeSpec& base, const NodeFileOptions& options) {
  const CalibratedFigures f = calibrated_figures(c);
  const HostInfo& h = c.hosts.front();
  const std::string host = c.nodes() > 1 ? h.hostname + " and " + std::to_string(c.nodes() - 1) + " more node(s)" : h.hostname;
  const std::string at = host + ", " + c.utc;
  const std::string& utc = c.utc;
  std::ostringstream os;
  os << "# Written by waferbench calibrate " << io::waferbench_version() << " (" << io::git_commit() << ") on " << at
     << ".\n";
  if (!options.command_line.empty()) os << "# Command: " << options.command_line << "\n";
  os << "# " << c.ranks << " MPI rank(s) on " << c.nodes() << " node(s); Kokkos host space " << c.kokkos_host_space
     << "; effort " << to_string(c.effort) << ".\n"
     << "# Measured: host_memory, cpu (model, sockets, cores from the OS), cpu.memory_bandwidth,\n"
     << "#   cpu.adam_params_per_s_per_core, cpu.gemm_fp32"
     << (f.host_p2p.present ? ", links.host_p2p_*, links.host_allreduce_*" : "")
     << (f.network_p2p.present ? ", network.p2p_*, network.allreduce_*" : "") << ".\n"
     << "# Copied from " << options.base_name << ": gpu, gpus, links.pcie, links.gpu_to_gpu, network.nics,\n"
     << "#   network.nic_bandwidth and the time model's performance block (a host-only run cannot see\n"
     << "#   them; edit them for your node).\n";
  for (const auto& w : c.warnings) os << "# Warning: " << w << "\n";
  os << "schema_version: 1\nkind: node\n";
  const std::string name = options.display_name.empty()
                               ? h.hostname + " (measured by waferbench calibrate), GPUs of " + base.display_name
                               : options.display_name;
  os << "name: " << quote(name) << "\n";
  os << "gpu: " << base.gpu.name << "\n";
  os << "gpus: " << base.gpus << "\n";
  figure_line(os, "", "host_memory", f.host_memory_bytes, io::Dim::bytes, at,
              c.nodes() > 1 ? "/proc/meminfo MemTotal, smallest node" : "/proc/meminfo MemTotal", utc);
  os << "cpu:\n";
  os << "  model: " << quote(h.cpu_model.empty() ? "unknown (not reported by the OS)" : h.cpu_model) << "\n";
  os << "  sockets: " << h.sockets << "\n";
  os << "  cores_per_socket: " << h.cores_per_socket << "\n";
  figure_line(os, "  ", "memory_bandwidth", f.memory_bandwidth, io::Dim::bytes_per_s, at, f.stream_method, utc);
  figure_line(os, "  ", "adam_params_per_s_per_core", f.adam_params_per_s_per_core, io::Dim::count, at, f.adam_method, utc);
  figure_line(os, "  ", "gemm_fp32", f.gemm_fp32_flops_per_s, io::Dim::flops_per_s, at, f.gemm_method, utc);
  os << "links:\n";
  copied_line(os, "  ", "links.pcie", base, options.base_name);
  copied_line(os, "  ", "links.gpu_to_gpu", base, options.base_name);
  auto link = [&](const std::string& indent, const std::string& prefix, const CalibratedFigures::Link& l) {
    if (!l.present) return;
    figure_line(os, indent, prefix + "_latency", l.latency_s, io::Dim::seconds, at, l.method, utc);
    figure_line(os, indent, prefix + "_bandwidth", l.bandwidth, io::Dim::bytes_per_s, at, l.method, utc);
  };
  link("  ", "host_p2p", f.host_p2p);
  link("  ", "host_allreduce", f.host_allreduce);
  os << "network:\n";
  os << "  nics: " << base.nics << "\n";
  copied_line(os, "  ", "network.nic_bandwidth", base, options.base_name);
  link("  ", "p2p", f.network_p2p);
  link("  ", "allreduce", f.network_allreduce);
  performance_block(os, base, options.base_name, f.network_p2p.present && f.network_allreduce.present);
  return os.str();
}

std::string calibration_summary(const Calibration& c) {
  const CalibratedFigures f = calibrated_figures(c);
  std::ostringstream os;
  auto spread = [](const std::vector<double>& v, double scale) {
    std::vector<double> s = v;
    std::sort(s.begin(), s.end());
    return sig4(s.front() * scale) + " / " + sig4(median(v) * scale) + " / " + sig4(s.back() * scale);
  };
  const HostInfo& h = c.hosts.front();
  os << "waferbench calibrate: " << c.ranks << " rank(s) on " << c.nodes() << " node(s) (" << c.hostnames.front()
     << (c.nodes() > 1 ? ", ..." : "") << "), effort " << to_string(c.effort) << ", " << c.utc << ", "
     << sig4(c.wall_s) << " s\n";
  os << "  host: " << (h.cpu_model.empty() ? "CPU model unknown" : h.cpu_model) << ", " << h.sockets << " socket(s) x "
     << h.cores_per_socket << " cores, " << bytes_text(h.memory_bytes) << " memory, last-level cache "
     << bytes_text(h.llc_bytes) << "\n";
  os << "  memory bandwidth (STREAM triad)  " << format_value(f.memory_bandwidth, io::Dim::bytes_per_s)
     << " per node;   per rank min / median / max GB/s: " << spread(c.rates.stream_bytes_per_s.per_rank, 1e-9) << "\n";
  os << "  Adam update                      " << format_value(f.adam_params_per_s_per_core, io::Dim::count)
     << " params/s per core;   per rank min / median / max Mparams/s: " << spread(c.rates.adam_params_per_s.per_rank, 1e-6)
     << "\n";
  os << "  fp32 GEMM                        " << format_value(f.gemm_fp32_flops_per_s, io::Dim::flops_per_s)
     << " per node;   per rank min / median / max GFLOP/s: " << spread(c.rates.gemm_flops_per_s.per_rank, 1e-9) << "\n";
  auto link = [&](const char* what, const CalibratedFigures::Link& l, const std::optional<CommSweep>& s) {
    if (!l.present) {
      os << "  " << what << "not measured\n";
      return;
    }
    os << "  " << what << "latency " << format_value(l.latency_s, io::Dim::seconds) << ", bandwidth "
       << format_value(l.bandwidth, io::Dim::bytes_per_s) << "  (fit: rms relative residual "
       << sig4(100 * s->fit.rms_relative_residual) << "%, R^2 " << sig4(s->fit.r_squared) << ", " << s->points.size()
       << " sizes)\n";
  };
  link("intra-node ping-pong             ", f.host_p2p, c.host_p2p);
  link("intra-node all-reduce (per step) ", f.host_allreduce, c.host_allreduce);
  link("inter-node ping-pong             ", f.network_p2p, c.network_p2p);
  link("inter-node all-reduce (per step) ", f.network_allreduce, c.network_allreduce);
  for (const auto& w : c.warnings) os << "  warning: " << w << "\n";
  return os.str();
}

}  // namespace wb::measure
