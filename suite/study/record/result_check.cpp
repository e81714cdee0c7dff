#include "study/record/result_check.hpp"

#include "io/error.hpp"
#include "io/hdf5_file.hpp"
#include "study/schema/result_file.hpp"

namespace wb::study::record {

void require_result_file(const std::string& path) {
  const auto attrs = io::read_attributes(path);
  const auto v = attrs.find(schema::attr::schema_version);
  if (v == attrs.end() || !std::holds_alternative<std::int64_t>(v->second))
    throw io::IoError(path + ": not a waferbench result file (an HDF5 file without the " +
                      std::string(schema::attr::schema_version) + " attribute waferbench writes)");
  const std::int64_t version = std::get<std::int64_t>(v->second);
  if (version > schema::kResultsSchemaVersion)
    throw io::IoError(path + ": written with results schema " + std::to_string(version) + "; this waferbench reads up to " +
                      std::to_string(schema::kResultsSchemaVersion) + " (use the waferbench that wrote it)");
  io::verify_datasets(path);
}

}  // namespace wb::study::record
