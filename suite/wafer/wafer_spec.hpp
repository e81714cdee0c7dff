#pragma once
// A wafer-scale system (Cerebras CS-1 / CS-2 / CS-3): the chip's PE mesh and SRAM, its clock and
// SIMD width, its I/O to MemoryX/SwarmX, and the constants of the training model (analytic PE
// mapping, streaming formats, reliability). Figures that are not published are flagged as
// assumptions in the input file and carried in `provenance`, so results can list them.
#include <cstdint>
#include <optional>
#include <string>

#include "io/figure.hpp"
#include "io/yaml_reader.hpp"
#include "wafer/fabric_model.hpp"

namespace wb::wafer {

// Constants of the analytic PE mapping (docs/wafer-model.md, "Per-layer compute").
struct MappingParams {
  double task_overhead_cycles = 0;       // PE cycles to start one vector (AXPY/dot) task
  double reduce_cycles_per_element = 0;  // PE cycles per partial sum received, added and forwarded in a chain
  double values_per_wavelet = 0;         // 16-bit values carried by one 32-bit wavelet
  double hop_cycles = 0;                 // cycles for a wavelet to move one PE
  double sram_reserved_per_pe_bytes = 0; // SRAM per PE held by code, stacks and routing tables
};

// MemoryX: the external parameter store that streams weights and runs the optimizer.
struct MemoryXParams {
  double capacity_bytes = 0;
  double bandwidth = 0;               // bytes/s MemoryX can feed (and absorb) per system stream
  double update_bandwidth = 0;        // bytes/s of optimizer-state traffic during the update
  double update_bytes_per_param = 0;  // optimizer-state bytes read+written per parameter per update
  double state_bytes_per_param = 0;   // bytes stored per parameter (master weights + optimizer)
  double checkpoint_bandwidth = 0;    // bytes/s to durable storage
};

// SwarmX: the broadcast/reduce fabric between MemoryX and the systems.
struct SwarmXParams {
  double link_bandwidth = 0;  // bytes/s per system port, each direction
  std::int64_t fanout = 0;    // children per tree node
  double hop_latency_s = 0;   // per tree level, each way
};

// Number formats of training on the wafer.
struct TrainingFormat {
  double weight_bytes = 0;        // streamed weight precision
  double gradient_bytes = 0;      // streamed gradient precision
  double accumulator_bytes = 0;   // on-wafer partial sums
  double sparse_index_bytes = 0;  // index carried with each non-zero in the sparse stream format
  double pipelined_state_bytes_per_param = 0;  // weights+grads+optimizer held on the wafer (layer-pipelined)
};

struct Reliability {
  double mtbf_s = 0;     // mean time between failures of one system
  double restart_s = 0;  // from a failure until training resumes from the last checkpoint
};

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
  double io_bandwidth = 0;         // system I/O (MemoryX/SwarmX), bytes/s, each direction
  std::int64_t max_systems = 0;    // largest cluster of this system
  MappingParams mapping;
  std::optional<MemoryXParams> memoryx;  // absent: weight streaming impossible
  std::optional<SwarmXParams> swarmx;    // absent: one system only
  TrainingFormat format;
  Reliability reliability;
  FabricModel fabric;              // fabric simulator parameters (optional block)
  io::Provenance provenance;

  std::int64_t program_pes() const { return fabric_width * fabric_height; }
  // SRAM the training program can use: the program rectangle minus the reserved part per PE.
  double usable_sram_bytes() const;
};

WaferSpec parse_wafer(io::YamlMap& root, const std::string& name, const std::string& file);

// The keys of a wafer system file (`waferbench list systems --keys`).
const io::KeyTable& wafer_system_keys();

}  // namespace wb::wafer
