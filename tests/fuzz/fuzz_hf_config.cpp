// libFuzzer target: any bytes given as a Hugging Face config.json end in a model or in one
// InputError; a model read is written as a model file that reads back to the same count.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "io/error.hpp"
#include "io/yaml_reader.hpp"
#include "model/hf_config.hpp"
#include "model/model_yaml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  wb::model::HfImport r;
  try {
    r = wb::model::import_hf_config(text, "config.json");
  } catch (const wb::io::InputError&) {
    return 0;
  }
  r.model.display_name = r.hub_name;
  r.model.source = r.family;
  const std::string yaml = wb::model::model_yaml(r.model, r.hub_name);
  try {
    const auto back = wb::model::parse_model(wb::io::parse_yaml(yaml, "fuzzed.yaml"), "fuzzed");
    if (wb::model::count_params(back).total != wb::model::count_params(r.model).total) std::abort();
  } catch (const wb::io::InputError&) {
    std::abort();  // an accepted config must give a loadable model file
  }
  return 0;
}
