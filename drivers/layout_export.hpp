#pragma once
// `waferbench report FILE --export deepspeed|megatron`: the layout of one GPU training scenario
// as the framework takes it: a DeepSpeed config (ds_config.json) or a Megatron-LM argument line.
#include <string>
#include <vector>

namespace wb::driver {

struct LayoutExport {
  std::string scenario;            // the scenario exported
  std::string text;                // the config or argument line
  std::vector<std::string> notes;  // what the framework needs beyond it (model code, launcher)
};

// `scenario` empty: the fitting GPU training scenario with the shortest time to train (else step
// time). Throws io::InputError when the file has none, or the layout cannot be written for that
// framework (ZeRO-2/3 or offload in Megatron-LM), io::IoError when the file cannot be read.
LayoutExport export_layout(const std::string& result_path, const std::string& framework, const std::string& scenario);

}  // namespace wb::driver
