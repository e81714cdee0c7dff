#pragma once
// The free parameters of the fabric simulator for one chip: what the vendor does not publish
// (router queue depth, task activation overhead, cycles per wavelet read), fitted once against
// the WSE-3 GEMV cycle counts as the PE timers see them (docs/fabric-model.md) and read from the
// `fabric_model:` block of a wafer system file. Published rules (one cycle per hop, one wavelet
// per link and cycle, SIMD width) are not parameters, and neither is the host's launch and
// readback, which the timers do not see (fabric_run.hpp computes it from the system I/O).
#include <cstdint>
#include <string>

#include "io/figure.hpp"
#include "io/key_spec.hpp"
#include "io/yaml_reader.hpp"

namespace wb::wafer {

struct FabricModel {
  bool present = false;                // the system file has a fabric_model block
  std::int64_t queue_depth = 0;        // router input queue per colour, wavelets
  std::int64_t pe_queue_depth = 0;     // PE input queue per colour (ramp down), wavelets
  std::int64_t task_overhead = 0;      // cycles from a task's trigger to its first instruction
  std::int64_t read_cycles = 1;        // cycles an instruction spends per wavelet it reads from the fabric
  std::string fit;                     // how the values were obtained (one line)
};

// Reads the optional `fabric_model:` block of a wafer system file; figures go to `provenance`.
FabricModel parse_fabric_model(io::YamlMap& root, io::Provenance& provenance);
// Its keys, below `fabric_model` (`waferbench list systems --keys`).
const io::KeyTable& fabric_model_keys();

}  // namespace wb::wafer
