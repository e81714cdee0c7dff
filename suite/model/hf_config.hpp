#pragma once
// A Hugging Face transformers config.json read as a waferbench model. Each supported family
// (its `model_type`) names the shapes with its own keys and leaves some out, for which the
// library's configuration class has a default; both are read here as that class reads them.
#include <cstdint>
#include <string>
#include <vector>

#include "model/transformer.hpp"

namespace wb::model {

struct HfImport {
  TransformerConfig model;         // name, display_name and source left to the caller
  std::string family;              // the config's model_type
  std::string hub_name;            // _name_or_path, where the file gives it
  std::int64_t stated_params = 0;  // num_parameters, where the file gives it (else 0); equals the count
  std::vector<std::string> notes;  // what the file says that the model does not represent
};

// The model_type values read (gpt2, gpt_neox, llama, mistral, falcon, opt, ...).
std::vector<std::string> hf_families();

// Throws io::InputError naming path:line:column and the key for unreadable JSON, a missing or
// wrong key, an unsupported family, an architecture feature waferbench does not model, or a
// num_parameters other than the count of the shapes read.
HfImport import_hf_config(const std::string& json_text, const std::string& path);

// 12853386240 -> "12,853,386,240", as parameter counts are printed.
std::string grouped_digits(std::int64_t n);

}  // namespace wb::model
