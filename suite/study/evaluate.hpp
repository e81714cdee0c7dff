#pragma once
// Evaluates one scenario: its /scenarios row, plus rows of per-scenario tables (a step timeline,
// per-layer wafer costs, ...) keyed by group name. Dispatches on the system's kind.
#include <mpi.h>

#include <map>
#include <string>

#include "io/table.hpp"
#include "study/columns.hpp"
#include "study/study.hpp"

namespace wb::study {

struct ScenarioResult {
  ScenarioRow row;
  // Extra rows for groups listed by extra_groups(study) (see extra_tables.hpp); each table has
  // that group's columns (empty_table(group)).
  std::map<std::string, io::Table> tables;
};

// sim_comm: the ranks a simulation may spread over (MPI_COMM_SELF: this rank alone). Every
// rank of sim_comm must call evaluate() for the same scenario and gets the same result.
ScenarioResult evaluate(const Study& study, const Scenario& scenario, MPI_Comm sim_comm = MPI_COMM_SELF);

// GPU clusters (bare GPUs or nodes): memory plan, FLOPs; training and inference time.
ScenarioResult evaluate_gpu(const Study& study, const Scenario& scenario, MPI_Comm sim_comm = MPI_COMM_SELF);

// Wafer-scale systems: placement, SRAM, step, time to train (study/evaluate_wafer.cpp).
ScenarioResult evaluate_wafer(const Study& study, const Scenario& scenario);

}  // namespace wb::study
