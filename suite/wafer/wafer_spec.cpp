#include "wafer/wafer_spec.hpp"

#include <algorithm>
#include <cmath>

namespace wb::wafer {

using io::Dim;

double WaferSpec::usable_sram_bytes() const {
  return static_cast<double>(program_pes()) * std::max(0.0, sram_per_pe_bytes - mapping.sram_reserved_per_pe_bytes);
}

namespace {

// Whole numbers that fit an int64 exactly (read_count_figure rejects 9e300 before any cast).
std::int64_t count_figure(io::Provenance& p, io::YamlMap& m, const std::string& key) {
  return p.add_count(io::read_count_figure(m, key));
}

}  // namespace

WaferSpec parse_wafer(io::YamlMap& root, const std::string& name, const std::string& file) {
  WaferSpec w;
  w.name = name;
  w.provenance.file = file;
  auto& p = w.provenance;
  w.display_name = root.required("name").as_string();
  w.pes = count_figure(p, root, "pes");
  io::YamlMap fabric = root.required_map("fabric");
  w.fabric_width = count_figure(p, fabric, "width");
  w.fabric_height = count_figure(p, fabric, "height");
  w.fabric_bandwidth = p.add(io::read_figure(fabric, "bandwidth", Dim::bytes_per_s));
  fabric.done();
  if (w.fabric_width * w.fabric_height > w.pes)
    root.fail("the fabric rectangle (" + std::to_string(w.fabric_width) + " x " + std::to_string(w.fabric_height) +
              ") has more PEs than the chip (" + std::to_string(w.pes) + ")");
  w.sram_per_pe_bytes = p.add(io::read_figure(root, "sram_per_pe", Dim::bytes));
  w.sram_bytes = p.add(io::read_figure(root, "sram", Dim::bytes));
  w.simd_fp16 = count_figure(p, root, "simd_fp16_lanes");
  w.clock_hz = p.add(io::read_figure(root, "clock", Dim::hertz));
  w.memory_bandwidth = p.add(io::read_figure(root, "memory_bandwidth", Dim::bytes_per_s));
  w.peak_fp16_dense_flops = p.add(io::read_figure(root, "peak_fp16_dense", Dim::flops_per_s));
  w.io_bandwidth = p.add(io::read_figure(root, "io_bandwidth", Dim::bytes_per_s));
  w.max_systems = count_figure(p, root, "max_systems");

  io::YamlMap mapping = root.required_map("mapping");
  w.mapping.task_overhead_cycles = p.add(io::read_figure(mapping, "task_overhead_cycles", Dim::count, false));
  w.mapping.reduce_cycles_per_element = p.add(io::read_figure(mapping, "reduce_cycles_per_element", Dim::count));
  w.mapping.values_per_wavelet = p.add(io::read_figure(mapping, "values_per_wavelet", Dim::count));
  w.mapping.hop_cycles = p.add(io::read_figure(mapping, "hop_cycles", Dim::count));
  w.mapping.sram_reserved_per_pe_bytes = p.add(io::read_figure(mapping, "sram_reserved_per_pe", Dim::bytes, false));
  mapping.done();
  if (w.mapping.sram_reserved_per_pe_bytes >= w.sram_per_pe_bytes)
    root.fail("mapping.sram_reserved_per_pe leaves no SRAM for training");

  if (auto mv = root.optional("memoryx")) {
    io::YamlMap m(*mv);
    MemoryXParams x;
    x.capacity_bytes = p.add(io::read_figure(m, "capacity", Dim::bytes));
    x.bandwidth = p.add(io::read_figure(m, "bandwidth", Dim::bytes_per_s));
    x.update_bandwidth = p.add(io::read_figure(m, "update_bandwidth", Dim::bytes_per_s));
    x.update_bytes_per_param = p.add(io::read_figure(m, "update_bytes_per_param", Dim::bytes));
    x.state_bytes_per_param = p.add(io::read_figure(m, "state_bytes_per_param", Dim::bytes));
    x.checkpoint_bandwidth = p.add(io::read_figure(m, "checkpoint_bandwidth", Dim::bytes_per_s));
    m.done();
    w.memoryx = x;
  }
  if (auto sv = root.optional("swarmx")) {
    io::YamlMap s(*sv);
    SwarmXParams x;
    x.link_bandwidth = p.add(io::read_figure(s, "link_bandwidth", Dim::bytes_per_s));
    x.fanout = count_figure(p, s, "fanout");
    if (x.fanout < 2) s.fail("swarmx.fanout must be at least 2");
    x.hop_latency_s = p.add(io::read_figure(s, "hop_latency", Dim::seconds, false));
    s.done();
    w.swarmx = x;
  }
  if (w.max_systems > 1 && !w.swarmx) root.fail("max_systems > 1 needs a swarmx block (how the systems are joined)");

  io::YamlMap fmt = root.required_map("format");
  w.format.weight_bytes = p.add(io::read_figure(fmt, "weight", Dim::bytes));
  w.format.gradient_bytes = p.add(io::read_figure(fmt, "gradient", Dim::bytes));
  w.format.accumulator_bytes = p.add(io::read_figure(fmt, "accumulator", Dim::bytes));
  w.format.sparse_index_bytes = p.add(io::read_figure(fmt, "sparse_index", Dim::bytes));
  w.format.pipelined_state_bytes_per_param = p.add(io::read_figure(fmt, "pipelined_state_per_param", Dim::bytes));
  fmt.done();

  io::YamlMap rel = root.required_map("reliability");
  w.reliability.mtbf_s = p.add(io::read_figure(rel, "mtbf", Dim::seconds));
  w.reliability.restart_s = p.add(io::read_figure(rel, "restart", Dim::seconds, false));
  rel.done();
  w.fabric = parse_fabric_model(root, p);
  return w;
}

const io::KeyTable& wafer_system_keys() {
  using V = io::KeyValue;
  static const io::KeyTable keys = [] {
    io::KeyTable k = {
        {"schema_version", V::integer, Dim::count, true, "input schema version (1)"},
        {"kind", V::word, Dim::count, true, "wafer"},
        {"name", V::text, Dim::count, true, "the system's name as its maker gives it"},
        {"pes", V::figure, Dim::count, true, "processing elements (cores) of the wafer"},
        {"fabric", V::block, Dim::count, true, "the PE mesh programs see"},
        {"fabric.width", V::figure, Dim::count, true, "PE columns"},
        {"fabric.height", V::figure, Dim::count, true, "PE rows"},
        {"fabric.bandwidth", V::figure, Dim::bytes_per_s, true, "fabric bandwidth of the wafer"},
        {"sram_per_pe", V::figure, Dim::bytes, true, "SRAM of one PE"},
        {"sram", V::figure, Dim::bytes, true, "SRAM of the whole wafer"},
        {"simd_fp16_lanes", V::figure, Dim::count, true, "FP16 lanes per PE"},
        {"clock", V::figure, Dim::hertz, true, "PE clock"},
        {"memory_bandwidth", V::figure, Dim::bytes_per_s, true, "SRAM bandwidth of the wafer"},
        {"peak_fp16_dense", V::figure, Dim::flops_per_s, true, "dense FP16 peak (MFU is against it)"},
        {"io_bandwidth", V::figure, Dim::bytes_per_s, true, "system I/O to MemoryX and SwarmX, each direction"},
        {"max_systems", V::figure, Dim::count, true, "largest cluster of this system"},
        {"mapping", V::block, Dim::count, true, "the analytic PE mapping's constants"},
        {"mapping.task_overhead_cycles", V::figure, Dim::count, true, "PE cycles to start one vector task"},
        {"mapping.reduce_cycles_per_element", V::figure, Dim::count, true,
         "PE cycles per partial sum received, added and forwarded in a chain"},
        {"mapping.values_per_wavelet", V::figure, Dim::count, true, "16-bit values one 32-bit wavelet carries"},
        {"mapping.hop_cycles", V::figure, Dim::count, true, "cycles for a wavelet to move one PE"},
        {"mapping.sram_reserved_per_pe", V::figure, Dim::bytes, true, "SRAM per PE held by code, stacks and routing tables"},
        {"memoryx", V::block, Dim::count, false, "the external parameter store weights stream from (none: layer-pipelined only)"},
        {"memoryx.capacity", V::figure, Dim::bytes, true, "parameter store capacity"},
        {"memoryx.bandwidth", V::figure, Dim::bytes_per_s, true, "bandwidth MemoryX feeds and absorbs per system stream"},
        {"memoryx.update_bandwidth", V::figure, Dim::bytes_per_s, true, "optimizer-state traffic during the update"},
        {"memoryx.update_bytes_per_param", V::figure, Dim::bytes, true, "optimizer-state bytes read and written per parameter and update"},
        {"memoryx.state_bytes_per_param", V::figure, Dim::bytes, true, "bytes stored per parameter (master weights and optimizer)"},
        {"memoryx.checkpoint_bandwidth", V::figure, Dim::bytes_per_s, true, "bandwidth to durable storage"},
        {"swarmx", V::block, Dim::count, false, "the interconnect joining systems (required when max_systems > 1)"},
        {"swarmx.link_bandwidth", V::figure, Dim::bytes_per_s, true, "bandwidth per system port, each direction"},
        {"swarmx.fanout", V::figure, Dim::count, true, "children per tree node (at least 2)"},
        {"swarmx.hop_latency", V::figure, Dim::seconds, true, "latency per tree level, each way"},
        {"format", V::block, Dim::count, true, "number formats"},
        {"format.weight", V::figure, Dim::bytes, true, "streamed weight precision"},
        {"format.gradient", V::figure, Dim::bytes, true, "streamed gradient precision"},
        {"format.accumulator", V::figure, Dim::bytes, true, "on-wafer partial sums"},
        {"format.sparse_index", V::figure, Dim::bytes, true, "index carried with each non-zero in the sparse stream"},
        {"format.pipelined_state_per_param", V::figure, Dim::bytes, true,
         "weights, gradients and optimizer states held on the wafer per parameter (layer-pipelined)"},
        {"reliability", V::block, Dim::count, true, "failures"},
        {"reliability.mtbf", V::figure, Dim::seconds, true, "mean time between failures of one system"},
        {"reliability.restart", V::figure, Dim::seconds, true, "time from a failure until training resumes from the last checkpoint"},
        {"fabric_model", V::block, Dim::count, false, "the cycle-driven fabric simulator's constants (needed by fabric studies)"},
    };
    io::append(k, io::under("fabric_model", fabric_model_keys()));
    return k;
  }();
  return keys;
}

}  // namespace wb::wafer
