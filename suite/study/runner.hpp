#pragma once
// Runs a study on an MPI communicator: scenarios are dealt to ranks in contiguous blocks (so
// every rank's rows are one contiguous slab of every table and the files do not depend on the
// rank count), evaluated, and written collectively to one HDF5 file.
#include <mpi.h>

#include <cstdint>
#include <string>

#include "study/study.hpp"

namespace wb::io {
class ResultFileWriter;
}

namespace wb::study {

// The results schema version written to every file (docs/results.md).
inline constexpr std::int64_t kResultsSchemaVersion = 1;

struct RunOptions {
  std::string output_path;
  bool overwrite = false;
  bool progress = false;  // rank 0 prints a progress line on stderr
  std::string kokkos_execution_space = "unknown";
};

struct RunSummary {
  std::string path;
  std::int64_t scenarios = 0;
  std::int64_t references = 0;
};

// First scenario and count owned by `rank` of `ranks` when n scenarios are dealt in blocks.
std::pair<std::int64_t, std::int64_t> block_of(std::int64_t n, int rank, int ranks);

RunSummary run_study(MPI_Comm comm, const Study& study, const RunOptions& options);

// The root attributes of every result file (docs/results.md); `assumptions` has one per line.
void write_root_attributes(io::ResultFileWriter& out, const Study& study, const RunOptions& options, int ranks,
                           const std::string& assumptions);

}  // namespace wb::study
