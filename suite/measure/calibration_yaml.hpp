#pragma once
// A calibration written as a node description (inputs/systems/<name>.yaml, kind: node) that
// the loader reads like any other: the host facts and every measured figure come from the
// calibration, each {value, source: "measured by waferbench calibrate on <host>, <UTC>,
// <method>", measured: <UTC>}; what a host-only run cannot measure (the GPUs, PCIe, NVLink, the
// NICs) is copied from a base node file with its original source and a note saying so.
#include <string>
#include <vector>

#include "gpu/hardware.hpp"
#include "io/units.hpp"
#include "measure/calibration.hpp"

namespace wb::measure {

// The figures a calibration yields, as they go into the file (medians over nodes).
struct CalibratedFigures {
  double host_memory_bytes = 0;
  double memory_bandwidth = 0;            // bytes/s per node
  double adam_params_per_s_per_core = 0;
  double gemm_fp32_flops_per_s = 0;       // per node
  struct Link {
    bool present = false;
    double latency_s = 0;
    double bandwidth = 0;
    std::string method;
  };
  Link host_p2p, host_allreduce, network_p2p, network_allreduce;
  std::string stream_method, adam_method, gemm_method;
};
CalibratedFigures calibrated_figures(const Calibration& c);

// Cores the host kernels kept busy on a node: its threads, at most its physical cores.
int busy_cores(const Calibration& c, std::size_t node);

struct NodeFileOptions {
  std::string display_name;  // "" for "<host> (measured by waferbench calibrate), GPUs of <base>"
  std::string base_name;     // the base node's file stem
  std::string command_line;  // recorded in the header comment
};

// The YAML text of the node file.
std::string node_yaml(const Calibration& c, const gpu::NodeSpec& base, const NodeFileOptions& options);

// A quantity in the units the inputs use, 4 significant digits: "29.28GB/s", "312.5ns",
// "19.63GFLOP/s", "2.951e+08", "24684084KiB" (bytes are exact KiB when whole).
std::string format_value(double value, io::Dim dim);

// What rank 0 prints: the figures, their spread over ranks and nodes, the fits and warnings.
std::string calibration_summary(const Calibration& c);

}  // namespace wb::measure
