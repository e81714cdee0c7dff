#pragma once
// The fabric cache a training study names (`fabric_cache:` or `run --fabric-cache`): the /fabric
// rows of a fabric layer-cache result, read through the table's declaration (schema/fabric.hpp)
// and handed to the wafer model as its lookup table (wafer/fabric_cache.hpp). The wafer layer
// knows the cache's keys, not the file: reading it here keeps the column names in one place.
#include <memory>
#include <string>

#include "wafer/fabric_cache.hpp"

namespace wb::study::plan {

// Every /fabric row of the result file at `path`; io::IoError when it cannot be read.
std::shared_ptr<const wafer::FabricCache> read_fabric_cache(const std::string& path);

}  // namespace wb::study::plan
