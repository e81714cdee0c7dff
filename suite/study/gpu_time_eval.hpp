#pragma once
// Fills the time-model columns of a GPU scenario (kinds training and inference) and its
// /timeline rows.
#include <mpi.h>

#include "gpu/hardware.hpp"
#include "study/evaluate.hpp"

namespace wb::study {

void evaluate_gpu_time(const Study& study, const Scenario& sc, const gpu::ClusterSpec& cluster, ScenarioResult& result,
                       MPI_Comm sim_comm);

// Columns of the /timeline group.
io::Table timeline_table();

}  // namespace wb::study
