#pragma once
// Reads a model file (inputs/models/<name>.yaml) into a TransformerConfig.
#include <string>

#include "io/yaml_reader.hpp"
#include "model/transformer.hpp"

namespace wb::model {

// `name` is the file stem, the model's stable identifier.
TransformerConfig parse_model(const io::YamlValue& document, const std::string& name);

}  // namespace wb::model
