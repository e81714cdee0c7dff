#pragma once
// A wafer-scale system (Cerebras CS-2 / CS-3): the chip's PE mesh and SRAM, its clock and SIMD
// width, its I/O to MemoryX/SwarmX. Figures that are not published are flagged as assumptions
// in the input file and carried in `provenance`.
#include <cstdint>
#include <string>

#include "io/figure.hpp"
#include "io/yaml_reader.hpp"
#include "wafer/fabric_model.hpp"

namespace wb::wafer {

struct WaferSpec {
  std::string name;          // "cs-2"
  std::string display_name;  // "Cerebras CS-2 (WSE-2)"
  std::int64_t pes = 0;            // processing elements (cores)
  std::int64_t fabric_width = 0;   // PE columns visible to programs
  std::int64_t fabric_height = 0;  // PE rows
  double sram_per_pe_bytes = 0;
  double sram_bytes = 0;           // whole wafer
  std::int64_t simd_fp16 = 0;      // FP16 lanes per PE
  double clock_hz = 0;
  double memory_bandwidth = 0;     // SRAM, bytes/s
  double fabric_bandwidth = 0;     // bytes/s
  double peak_fp16_dense_flops = 0;
  double io_bandwidth = 0;         // system I/O (MemoryX/SwarmX), bytes/s
  double memoryx_bytes = 0;        // largest external weight memory
  std::int64_t max_systems = 0;    // largest cluster of this system
  FabricModel fabric;              // fabric simulator parameters (optional block)
  io::Provenance provenance;
};

WaferSpec parse_wafer(io::YamlMap& root, const std::string& name, const std::string& file);

}  // namespace wb::wafer
