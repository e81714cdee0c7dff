#pragma once
// Runs a study of kind `fabric`: the cases one after another, each on all ranks of the
// communicator (the fabric is split into blocks, one per rank), and writes /fabric (one row per
// case), /fabric_heatmap (PE utilisation of the cases that ask for it), /reference (the published
// cycle counts beside the simulated ones) and an empty /scenarios, with the same root attributes
// and the same collective writer as every study. Only the measured columns wall_s,
// pe_cycles_per_s and ranks depend on the number of ranks.
#include <mpi.h>

#include "study/plan/study.hpp"
#include "study/run/runner.hpp"

namespace wb::study::run {

RunSummary run_fabric_study(MPI_Comm comm, const plan::Study& study, const RunOptions& options);

}  // namespace wb::study::run
