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
  bool progress = false;  // rank 0's choice is used: it draws the progress of all ranks on stderr
  std::string kokkos_execution_space = "unknown";
  // Run only slice slice_index of slice_count: the scenarios block_of(n, slice_index,
  // slice_count) would give that rank of a run on slice_count ranks. Merging the slices' files
  // in order (merge.hpp) gives the file of the whole study.
  std::int64_t slice_index = 0;
  std::int64_t slice_count = 1;
  // Testing aid (tests/integration): this rank throws while evaluating its first scenario, as a
  // bug or a node failure would, to prove the job ends with one message instead of hanging.
  int inject_fault_rank = -1;
  // Finish an interrupted run from its checkpoints (`<output>.partial/`, see checkpoint.hpp).
  bool resume = false;
  // Completed scenarios reach the checkpoint at least this often (and on SIGTERM).
  double checkpoint_interval_s = 2.0;
  // Testing aid: sleep this long before each scenario, so tests can interrupt a run mid-way.
  double inject_delay_s = 0.0;
};

struct RunSummary {
  std::string path;
  std::int64_t scenarios = 0;  // in this run (the slice's, when sliced)
  std::int64_t references = 0;
};

// First scenario and count owned by `rank` of `ranks` when n scenarios are dealt in blocks.
std::pair<std::int64_t, std::int64_t> block_of(std::int64_t n, std::int64_t rank, std::int64_t ranks);

RunSummary run_study(MPI_Comm comm, const Study& study, const RunOptions& options);

// Ends the whole job from one rank: prints "waferbench: error on rank R: why" and calls
// MPI_Abort. For failures only this rank sees (others would wait for it in a collective).
[[noreturn]] void abort_job(MPI_Comm comm, const std::string& why);
// The root attributes of every result file (docs/results.md); `assumptions` has one per line.
void write_root_attributes(io::ResultFileWriter& out, const Study& study, const RunOptions& options, int ranks,
                           const std::string& assumptions);

}  // namespace wb::study
