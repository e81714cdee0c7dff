#pragma once
// Merges the result files of the slices of one study (`waferbench run --slice K/N`) into the file
// a single run of the whole study writes: every group's rows concatenated in slice order, the
// root attributes of the parts (which must agree) with the run attributes of the merge. The
// merged file's datasets equal those of a direct run bit for bit (tests/mpi, tests/integration).
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace wb::study::record {

struct MergeSummary {
  std::string path;
  std::int64_t parts = 0;
  std::int64_t scenarios = 0;
  std::int64_t fabric_cases = 0;  // rows of /fabric (fabric studies)
};

// Collective over comm (every rank reads the parts; rank 0 writes the rows). The parts may be
// given in any order; they must be all slices 0..N-1 of one study, each exactly once, from the
// same program and inputs. Problems raise io::IoError naming the file.
MergeSummary merge_slices(MPI_Comm comm, const std::vector<std::string>& parts, const std::string& output,
                          bool overwrite);

}  // namespace wb::study::record
