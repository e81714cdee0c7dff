#pragma once
// Runs a validated study on an MPI communicator: scenarios are dealt to ranks in contiguous
// blocks (dealing.hpp), evaluated by their system kind's evaluator, checkpointed as they finish,
// and written collectively to one HDF5 file with the /reference rows and the root attributes.
// A fabric study runs its cases one after another on all ranks instead (fabric_runner.hpp).
#include <mpi.h>

#include <cstdint>
#include <string>

#include "study/plan/study.hpp"

namespace wb::study::run {

struct RunOptions {
  std::string output_path;
  bool overwrite = false;
  bool progress = false;  // rank 0's choice is used: it draws the progress of all ranks on stderr
  std::string kokkos_execution_space = "unknown";
  // Run only slice slice_index of slice_count: the scenarios block_of(n, slice_index,
  // slice_count) would give that rank of a run on slice_count ranks. Merging the slices' files
  // in order (record/merge.hpp) gives the file of the whole study.
  std::int64_t slice_index = 0;
  std::int64_t slice_count = 1;
  // Testing aid (tests/integration): this rank throws while evaluating its first scenario, as a
  // bug or a node failure would, to prove the job ends with one message instead of hanging.
  int inject_fault_rank = -1;
  // Finish an interrupted run from its checkpoints (`<output>.partial/`, see checkpoint.hpp).
  bool resume = false;
  // The output is a scratch file removed after printing (`run --scenario` or `run -` without -o):
  // an interruption then keeps nothing to resume from, and says so.
  bool scratch_output = false;
  // Completed scenarios reach the checkpoint at least this often (and on SIGTERM).
  double checkpoint_interval_s = 2.0;
  // Testing aid: sleep this long before each scenario (each case of a fabric study) and before
  // each table written, so tests can interrupt a run mid-way, or mid-write.
  double inject_delay_s = 0.0;
};

struct RunSummary {
  std::string path;
  std::int64_t scenarios = 0;  // in this run (the slice's, when sliced)
  std::int64_t references = 0;
};

// The study must have been validated (run::validate); std::logic_error otherwise.
RunSummary run_study(MPI_Comm comm, const plan::Study& study, const RunOptions& options);

// Ends the whole job from one rank: prints "waferbench: error on rank R: why" and calls
// MPI_Abort. For failures only this rank sees (others would wait for it in a collective).
[[noreturn]] void abort_job(MPI_Comm comm, const std::string& why);

}  // namespace wb::study::run
