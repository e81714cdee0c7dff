#pragma once
// Reads a model file (inputs/models/<name>.yaml) into a TransformerConfig, and writes one.
#include <string>

#include "io/key_spec.hpp"
#include "io/yaml_reader.hpp"
#include "model/transformer.hpp"

namespace wb::model {

// The keys of a model file (`waferbench list models --keys`).
const io::KeyTable& model_keys();

// `name` is the file stem, the model's stable identifier.
TransformerConfig parse_model(const io::YamlValue& document, const std::string& name);

// The model file of `m` (its architecture; no training run), led by `comment` as # lines.
// parse_model reads it back to the same architecture.
std::string model_yaml(const TransformerConfig& m, const std::string& comment);

}  // namespace wb::model
