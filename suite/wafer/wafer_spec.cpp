#include "wafer/wafer_spec.hpp"

namespace wb::wafer {

using io::Dim;

WaferSpec parse_wafer(io::YamlMap& root, const std::string& name, const std::string& file) {
  WaferSpec w;
  w.name = name;
  w.provenance.file = file;
  auto& p = w.provenance;
  w.display_name = root.required("name").as_string();
  w.pes = static_cast<std::int64_t>(p.add(io::read_figure(root, "pes", Dim::count)));
  io::YamlMap fabric = root.required_map("fabric");
  w.fabric_width = static_cast<std::int64_t>(p.add(io::read_figure(fabric, "width", Dim::count)));
  w.fabric_height = static_cast<std::int64_t>(p.add(io::read_figure(fabric, "height", Dim::count)));
  w.fabric_bandwidth = p.add(io::read_figure(fabric, "bandwidth", Dim::bytes_per_s));
  fabric.done();
  w.sram_per_pe_bytes = p.add(io::read_figure(root, "sram_per_pe", Dim::bytes));
  w.sram_bytes = p.add(io::read_figure(root, "sram", Dim::bytes));
  w.simd_fp16 = static_cast<std::int64_t>(p.add(io::read_figure(root, "simd_fp16_lanes", Dim::count)));
  w.clock_hz = p.add(io::read_figure(root, "clock", Dim::hertz));
  w.memory_bandwidth = p.add(io::read_figure(root, "memory_bandwidth", Dim::bytes_per_s));
  w.peak_fp16_dense_flops = p.add(io::read_figure(root, "peak_fp16_dense", Dim::flops_per_s));
  w.io_bandwidth = p.add(io::read_figure(root, "io_bandwidth", Dim::bytes_per_s));
  w.memoryx_bytes = p.add(io::read_figure(root, "memoryx_capacity", Dim::bytes));
  w.max_systems = static_cast<std::int64_t>(p.add(io::read_figure(root, "max_systems", Dim::count)));
  w.fabric = parse_fabric_model(root, p);
  return w;
}

}  // namespace wb::wafer
