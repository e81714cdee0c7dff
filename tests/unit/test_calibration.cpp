// The pieces of `waferbench calibrate` that need no MPI: the alpha-beta fit, the OS text
// parsers, number formatting, and the node file: written from a calibration, read back by the
// loader with every figure intact, measured figures marked, copied ones keeping their sources.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "gpu/hardware_yaml.hpp"
#include "io/error.hpp"
#include "io/file_source.hpp"
#include "io/units.hpp"
#include "measure/calibration_yaml.hpp"
#include "measure/comm_bench.hpp"
#include "measure/fit.hpp"
#include "sim/memory_budget.hpp"
#include "measure/host_info.hpp"
#include "study/plan/catalog.hpp"
#include "test_catalog.hpp"

using namespace wb;
using measure::AlphaBetaFit;

namespace {

using test::catalog;

gpu::NodeSpec parse_node_text(const std::string& text) {
  const io::YamlValue doc = io::parse_yaml(text, "calibrated.yaml");
  io::YamlMap root(doc);
  io::check_schema_version(root);
  root.required("kind");
  gpu::NodeSpec n = gpu::parse_node(root, "calibrated", "calibrated.yaml",
                                    [](const io::YamlValue& g) { return *catalog().system(g.as_string()).gpu(); });
  root.done();
  return n;
}

// A sweep that follows t = alpha + n / beta exactly.
measure::CommSweep exact_sweep(double alpha, double beta, int ranks) {
  measure::CommSweep s;
  s.ranks = ranks;
  std::vector<double> x, y;
  for (double n = 8; n <= 16.0 * 1048576; n *= 4) {
    const double t = alpha + n / beta;
    s.points.push_back({n, t, t, t});
    x.push_back(n);
    y.push_back(t);
  }
  s.fit = measure::fit_alpha_beta(x, y);
  return s;
}

measure::Calibration synthetic_calibration(bool two_nodes) {
  measure::Calibration c;
  c.utc = "2026-01-31T12:00:05Z";
  c.ranks = two_nodes ? 8 : 4;
  c.hostnames = two_nodes ? std::vector<std::string>{"n01", "n02"} : std::vector<std::string>{"n01"};
  c.ranks_per_node = two_nodes ? std::vector<int>{4, 4} : std::vector<int>{4};
  measure::HostInfo h;
  h.hostname = "n01";
  h.cpu_model = "AMD EPYC 7742 64-Core Processor";
  h.sockets = 2;
  h.cores_per_socket = 2;
  h.memory_bytes = 1056000000.0 * 1024;  // whole KiB, as /proc/meminfo gives
  h.llc_bytes = 512.0 * 1048576;
  c.hosts = {h};
  if (two_nodes) {
    measure::HostInfo h2 = h;
    h2.hostname = "n02";
    h2.memory_bytes -= 1024.0 * 1024;  // the smaller node sets host_memory
    c.hosts.push_back(h2);
  }
  const std::size_t nodes = c.hostnames.size();
  c.rates.stream_bytes_per_s.per_node.assign(nodes, 150e9);
  c.rates.stream_bytes_per_s.per_rank.assign(static_cast<std::size_t>(c.ranks), 37.5e9);
  c.rates.adam_params_per_s.per_node.assign(nodes, 1.2e9);  // 4 busy cores -> 3e8 per core
  c.rates.adam_params_per_s.per_rank.assign(static_cast<std::size_t>(c.ranks), 3e8);
  c.rates.gemm_flops_per_s.per_node.assign(nodes, 80e9);
  c.rates.gemm_flops_per_s.per_rank.assign(static_cast<std::size_t>(c.ranks), 20e9);
  c.rates.threads_per_node.assign(nodes, 4);
  c.kokkos_host_space = "Serial";
  c.plan = measure::plan_calibration(measure::Effort::standard, h);
  c.host_p2p = exact_sweep(0.5e-6, 10e9, 2);
  c.host_allreduce = exact_sweep(3e-6, 6e9, 4);
  if (two_nodes) {
    c.network_p2p = exact_sweep(2e-6, 12e9, 2);
    c.network_allreduce = exact_sweep(8e-6, 12e9, 2);
  }
  return c;
}

const io::Figure* figure(const gpu::NodeSpec& n, const std::string& key) {
  for (const auto& f : n.provenance.figures)
    if (f.key == key) return &f;
  return nullptr;
}

}  // namespace

TEST(AlphaBetaFit, RecoversAnExactLine) {
  const auto s = exact_sweep(1.7e-6, 4.2e9, 2);
  EXPECT_NEAR(s.fit.alpha_s, 1.7e-6, 1e-15);
  EXPECT_NEAR(s.fit.beta_bytes_per_s / 4.2e9, 1.0, 1e-9);
  EXPECT_LT(s.fit.rms_relative_residual, 1e-9);
  EXPECT_NEAR(s.fit.r_squared, 1.0, 1e-12);
  EXPECT_TRUE(s.fit.valid());
}

TEST(AlphaBetaFit, WeighsRelativeErrorSoSmallMessagesSetTheLatency) {
  // A 10 % bump on the largest message only: an unweighted fit would move alpha by orders of
  // magnitude; the relative one keeps it close.
  std::vector<double> x, y;
  for (double n = 8; n <= 4.0 * 1048576; n *= 4) {
    x.push_back(n);
    y.push_back(1e-6 + n / 1e10);
  }
  y.back() *= 1.1;
  const AlphaBetaFit f = measure::fit_alpha_beta(x, y);
  EXPECT_NEAR(f.alpha_s, 1e-6, 0.1e-6);
  EXPECT_GT(f.max_relative_residual, 0.01);
  EXPECT_THROW(measure::fit_alpha_beta({8}, {1e-6}), std::invalid_argument);
  EXPECT_THROW(measure::fit_alpha_beta({8, 8}, {1e-6, 2e-6}), std::invalid_argument);
  EXPECT_THROW(measure::fit_alpha_beta({8, 16}, {1e-6, 0}), std::invalid_argument);
}

TEST(AlphaBetaFit, RingEquivalentLinkInvertsTheAllreduceCost) {
  // 4 ranks: t = 6 (alpha) + 1.5 n / beta; a fit of t = 6 us + n / 1 GB/s gives alpha = 1 us,
  // beta = 1.5 GB/s.
  AlphaBetaFit f;
  f.alpha_s = 6e-6;
  f.beta_bytes_per_s = 1e9;
  const auto l = measure::ring_equivalent_link(f, 4);
  EXPECT_DOUBLE_EQ(l.latency_s, 1e-6);
  EXPECT_DOUBLE_EQ(l.bandwidth_bytes_per_s, 1.5e9);
  EXPECT_THROW(measure::ring_equivalent_link(f, 1), std::invalid_argument);
}

TEST(CommSweep, MessageSizesSpanTheRange) {
  measure::CommEffort e;
  e.min_bytes = 8;
  e.max_bytes = 1 << 20;
  e.size_factor = 4;
  const auto s = measure::message_sizes(e);
  ASSERT_EQ(s.size(), 10u);
  EXPECT_EQ(s.front(), 8);
  EXPECT_EQ(s[1], 32);
  EXPECT_EQ(s.back(), 1 << 20);
  e.size_factor = 3;
  const auto t = measure::message_sizes(e);
  EXPECT_EQ(t.back(), 1 << 20);
  for (std::size_t i = 1; i < t.size(); ++i) {
    EXPECT_GT(t[i], t[i - 1]);
    EXPECT_EQ(t[i] % 8, 0);
  }
}

TEST(HostInfo, ParsesLinuxText) {
  EXPECT_DOUBLE_EQ(measure::parse_meminfo_total_bytes("MemTotal:       24684084 kB\nMemFree:  1 kB\n"), 24684084.0 * 1024);
  EXPECT_THROW(measure::parse_meminfo_total_bytes("MemFree: 1 kB\n"), std::runtime_error);
  EXPECT_DOUBLE_EQ(sim::parse_meminfo_bytes("MemTotal: 8 kB\nMemAvailable:    3 kB\n", "MemAvailable"), 3072.0);
  EXPECT_GT(sim::available_memory_bytes(), 0.0);  // Linux: MemAvailable, or a cgroup's headroom
  EXPECT_EQ(measure::parse_cpu_model("processor\t: 0\nmodel name\t: AMD EPYC 7742 64-Core Processor\n"),
            "AMD EPYC 7742 64-Core Processor");
  EXPECT_EQ(measure::parse_cpu_model("processor\t: 0\ncpu\t\t: POWER9 (raw), altivec supported\n"),
            "POWER9 (raw), altivec supported");
  EXPECT_EQ(measure::parse_cpu_model("processor\t: 0\nBogoMIPS\t: 50.00\nCPU part\t: 0xd0c\n"), "");
  EXPECT_DOUBLE_EQ(measure::parse_cache_size("491520K\n"), 491520.0 * 1024);
  EXPECT_DOUBLE_EQ(measure::parse_cache_size("32M"), 32.0 * 1048576);
  EXPECT_DOUBLE_EQ(measure::parse_cache_size(""), 0.0);
}

TEST(HostInfo, ReadsThisMachine) {
  const auto h = measure::read_host_info();
  EXPECT_FALSE(h.hostname.empty());
  EXPECT_GT(h.memory_bytes, 0);
  EXPECT_GE(h.cores(), 1);
  EXPECT_LE(h.cores(), h.logical_cpus);
  EXPECT_GE(h.usable_cpus, 1);
}

TEST(CalibrationYaml, FormatsValuesTheLoaderParses) {
  using io::Dim;
  EXPECT_EQ(measure::format_value(29.28e9, Dim::bytes_per_s), "29.28GB/s");
  EXPECT_EQ(measure::format_value(999.97e6, Dim::bytes_per_s), "1GB/s");
  EXPECT_EQ(measure::format_value(3.037e-7, Dim::seconds), "303.7ns");
  EXPECT_EQ(measure::format_value(1.5, Dim::seconds), "1.5s");
  EXPECT_EQ(measure::format_value(39.43e9, Dim::flops_per_s), "39.43GFLOP/s");
  EXPECT_EQ(measure::format_value(2.981e8, Dim::count), "2.981e+08");
  EXPECT_EQ(measure::format_value(24684084.0 * 1024, Dim::bytes), "24684084KiB");
  for (auto [v, d] : std::vector<std::pair<double, Dim>>{{12345.678e9, Dim::bytes_per_s}, {4.2e-9, Dim::seconds},
                                                          {77e-3, Dim::seconds}, {3.3e15, Dim::flops_per_s},
                                                          {123456789, Dim::count}, {1.5e9 + 7, Dim::bytes}})
    EXPECT_NEAR(io::parse_quantity(measure::format_value(v, d), d) / v, 1.0, 5e-4) << measure::format_value(v, d);
}

TEST(CalibrationYaml, NodeFileRoundTripsThroughTheLoader) {
  const auto c = synthetic_calibration(false);
  const gpu::NodeSpec& base = *catalog().system("dgx-a100-40gb").node();
  measure::NodeFileOptions o;
  o.base_name = "dgx-a100-40gb";
  const std::string text = measure::node_yaml(c, base, o);
  const gpu::NodeSpec n = parse_node_text(text);

  EXPECT_EQ(n.gpu.name, "a100-40gb");
  EXPECT_EQ(n.gpus, 8);
  EXPECT_DOUBLE_EQ(n.host_memory_bytes, 1056000000.0 * 1024);
  EXPECT_EQ(n.cpu.model, "AMD EPYC 7742 64-Core Processor");
  EXPECT_EQ(n.cpu.cores(), 4);
  EXPECT_NEAR(n.cpu.memory_bandwidth / 150e9, 1, 5e-4);
  ASSERT_TRUE(n.cpu.adam_params_per_s_per_core);
  EXPECT_NEAR(*n.cpu.adam_params_per_s_per_core / 3e8, 1, 5e-4);  // node rate / busy cores
  ASSERT_TRUE(n.cpu.gemm_fp32_flops_per_s);
  EXPECT_NEAR(*n.cpu.gemm_fp32_flops_per_s / 80e9, 1, 5e-4);
  ASSERT_TRUE(n.host_p2p);
  EXPECT_NEAR(n.host_p2p->latency_s / 0.5e-6, 1, 5e-4);
  EXPECT_NEAR(n.host_p2p->bandwidth / 10e9, 1, 5e-4);
  ASSERT_TRUE(n.host_allreduce);  // 4 ranks: alpha / 6 and beta * 1.5
  EXPECT_NEAR(n.host_allreduce->latency_s / 0.5e-6, 1, 5e-4);
  EXPECT_NEAR(n.host_allreduce->bandwidth / 9e9, 1, 5e-4);
  EXPECT_FALSE(n.network_p2p);
  EXPECT_FALSE(n.network_allreduce);
  // What could not be measured is the base's, with the base's sources.
  EXPECT_DOUBLE_EQ(n.pcie_bandwidth, base.pcie_bandwidth);
  EXPECT_DOUBLE_EQ(n.nic_bandwidth, base.nic_bandwidth);
  EXPECT_EQ(n.nics, base.nics);
  EXPECT_EQ(figure(n, "links.pcie")->source, figure(base, "links.pcie")->source);
  EXPECT_TRUE(figure(n, "links.pcie")->measured.empty());
  // Every measured figure says so, with host, time and method.
  for (const char* key : {"host_memory", "cpu.memory_bandwidth", "cpu.adam_params_per_s_per_core", "cpu.gemm_fp32",
                          "links.host_p2p_latency", "links.host_allreduce_bandwidth"}) {
    const io::Figure* f = figure(n, key);
    ASSERT_TRUE(f) << key;
    EXPECT_EQ(f->measured, "2026-01-31T12:00:05Z") << key;
    EXPECT_EQ(f->source.rfind("measured by waferbench calibrate on n01, 2026-01-31T12:00:05Z, ", 0), 0u) << f->source;
    EXPECT_FALSE(f->assumption);
  }
  EXPECT_EQ(n.provenance.measured().size(), 8u);
}

TEST(CalibrationYaml, TwoNodesAddTheNetworkAndTakeTheSmallerMemory) {
  const auto c = synthetic_calibration(true);
  measure::NodeFileOptions o;
  o.base_name = "dgx-a100-40gb";
  o.display_name = "My \"DGX\" node";
  const gpu::NodeSpec n = parse_node_text(measure::node_yaml(c, *catalog().system("dgx-a100-40gb").node(), o));
  EXPECT_EQ(n.display_name, "My \"DGX\" node");
  EXPECT_DOUBLE_EQ(n.host_memory_bytes, 1056000000.0 * 1024 - 1024.0 * 1024);
  ASSERT_TRUE(n.network_p2p);
  EXPECT_NEAR(n.network_p2p->latency_s / 2e-6, 1, 5e-4);
  EXPECT_NEAR(n.network_p2p->bandwidth / 12e9, 1, 5e-4);
  ASSERT_TRUE(n.network_allreduce);  // 2 ranks: alpha / 2, beta * 1
  EXPECT_NEAR(n.network_allreduce->latency_s / 4e-6, 1, 5e-4);
  EXPECT_NEAR(n.network_allreduce->bandwidth / 12e9, 1, 5e-4);
  EXPECT_NE(figure(n, "network.p2p_latency")->source.find("between n01 and n02"), std::string::npos);
}

TEST(CalibrationYaml, AFitWithoutMeaningFallsBackToDirectReadings) {
  auto c = synthetic_calibration(false);
  // Times that fall with size: the fitted slope is negative.
  c.host_p2p->points = {{8, 4e-6, 4e-6, 4e-6}, {1024, 3e-6, 3e-6, 3e-6}, {1048576, 2e-6, 2e-6, 2e-6}};
  c.host_p2p->fit = measure::fit_alpha_beta({8, 1024, 1048576}, {4e-6, 3e-6, 2e-6});
  ASSERT_FALSE(c.host_p2p->fit.valid());
  const auto f = measure::calibrated_figures(c);
  EXPECT_DOUBLE_EQ(f.host_p2p.latency_s, 4e-6);
  EXPECT_DOUBLE_EQ(f.host_p2p.bandwidth, 1048576 / 2e-6);
  EXPECT_NE(f.host_p2p.method.find("non-positive"), std::string::npos);
}

TEST(NodeSchema, MeasuredKeysAreOptionalAndComeInPairs) {
  const gpu::NodeSpec& dgx = *catalog().system("dgx-a100-40gb").node();
  EXPECT_FALSE(dgx.cpu.adam_params_per_s_per_core);
  EXPECT_FALSE(dgx.host_p2p);
  EXPECT_FALSE(dgx.network_allreduce);
  const std::string text = R"(schema_version: 1
kind: node
name: x
gpu: a100-40gb
gpus: 1
host_memory: {value: 64GiB, source: s}
cpu: {model: m, sockets: 1, cores_per_socket: 8, memory_bandwidth: {value: 50GB/s, source: s}}
links:
  pcie: {value: 32GB/s, source: s}
  gpu_to_gpu: {value: 32GB/s, source: s}
  host_p2p_latency: {value: 1us, source: s}
network: {nics: 1, nic_bandwidth: {value: 100Gb/s, source: s}}
)";
  try {
    parse_node_text(text);
    FAIL() << "a latency without its bandwidth was accepted";
  } catch (const io::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'host_p2p_latency' needs 'host_p2p_bandwidth' beside it"), std::string::npos)
        << e.what();
  }
}

// With more threads than physical cores (SMT, oversubscription) the rate is still per core.
TEST(CalibrationYaml, AdamRateIsPerPhysicalCore) {
  auto c = synthetic_calibration(false);
  c.rates.threads_per_node = {8};  // 4 physical cores
  EXPECT_EQ(measure::busy_cores(c, 0), 4);
  EXPECT_NEAR(measure::calibrated_figures(c).adam_params_per_s_per_core, 3e8, 1);
  c.rates.threads_per_node = {2};
  EXPECT_EQ(measure::busy_cores(c, 0), 2);
  EXPECT_NEAR(measure::calibrated_figures(c).adam_params_per_s_per_core, 6e8, 1);
}
