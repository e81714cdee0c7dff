#pragma once
// Reads GPU and node files (inputs/systems/<name>.yaml with kind: gpu or kind: node).
#include <functional>
#include <string>

#include "gpu/hardware.hpp"
#include "io/key_spec.hpp"
#include "io/yaml_reader.hpp"

namespace wb::gpu {

// `root` is the document's top-level map after schema_version and kind were read.
GpuSpec parse_gpu(io::YamlMap& root, const std::string& name, const std::string& file);

// Resolves the GPU a node names (`gpu: a100-40gb`) to its spec.
using GpuResolver = std::function<GpuSpec(const io::YamlValue& gpu_name)>;
NodeSpec parse_node(io::YamlMap& root, const std::string& name, const std::string& file, const GpuResolver& resolve);

// The keys of a GPU file and of a node file (`waferbench list systems --keys`).
const io::KeyTable& gpu_system_keys();
const io::KeyTable& node_system_keys();

}  // namespace wb::gpu
