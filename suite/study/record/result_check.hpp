#pragma once
// Before a result file is read for a report, a comparison or a merge: is it one, of a schema
// version this build reads, and undamaged? A file that fails is refused whole, with the reason,
// rather than read in part and printed as if it were good.
#include <string>

namespace wb::study::record {

// Throws io::IoError "<path>: not a waferbench result file (...)" for an HDF5 file without the
// schema_version attribute, "<path>: written with results schema N; ..." for a newer schema, and
// the message of io::verify_datasets (the file and the first damaged dataset) when a checksum
// does not match.
void require_result_file(const std::string& path);

}  // namespace wb::study::record
