#pragma once
// The evaluator interface: one implementation per system kind (GPU clusters: gpu_evaluator.hpp;
// wafer-scale systems: wafer_evaluator.hpp). At plan time validate() checks a spec against its
// system without computing it; when the scenario is dealt to a rank, evaluate() computes its
// /scenarios row, its rows of per-scenario tables and any notes for the file's assumptions.
// Adding a system kind: a catalog kind (plan/catalog.hpp), a layout in plan::Layout, an
// evaluator here, and evaluator_for() naming it.
#include <mpi.h>

#include <map>
#include <string>
#include <vector>

#include "io/table.hpp"
#include "study/plan/study.hpp"
#include "study/schema/column.hpp"
#include "study/schema/scenarios.hpp"

namespace wb::study::run {

struct ScenarioResult {
  schema::scenarios::Row row;
  // Rows of the per-scenario tables (schema/result_file.hpp), by group; each has the group's
  // columns.
  std::map<std::string, io::Table> tables;
  // Lines for the result file's assumptions (what a strategy search considered and chose).
  std::vector<std::string> notes;
};

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  // Plan time, on every rank alike: fails (InputError at the spec's YAML) when the layout cannot
  // run on the system, and completes what the layout fixes (the global batch). No simulation.
  virtual void validate(const plan::Study& study, plan::ScenarioSpec& spec) const = 0;
  // Every rank of comm calls it for the same scenario and gets the same result (comm: the ranks
  // a simulation may spread over; MPI_COMM_SELF for this rank alone).
  virtual ScenarioResult evaluate(const plan::Study& study, const plan::ScenarioSpec& spec, MPI_Comm comm) const = 0;
  // The per-scenario tables this kind writes for the study (decided from the study alone, so
  // every rank writes the same groups).
  virtual std::vector<const schema::TableSpec*> tables(const plan::Study& study) const = 0;
};

const Evaluator& evaluator_for(plan::SystemKind kind);

// Checks every spec of the study with its evaluator and marks the study validated.
void validate(plan::Study& study);

// The columns every evaluator fills alike: the scenario's id, sweep, model, system, count, host
// and the model's parameter count.
void set_setting(const plan::ScenarioSpec& spec, schema::scenarios::Row& row);

// Why a scenario does not fit (the fits_reason column): each memory that overflows, as
// "<what>: <used> of <capacity> GiB", joined by "; "; empty when both fit.
std::string out_of_memory_reason(const std::string& device, double device_used, double device_capacity,
                                 const std::string& host, double host_used, double host_capacity);

// The spec's evaluator's evaluate().
ScenarioResult evaluate(const plan::Study& study, const plan::ScenarioSpec& spec, MPI_Comm comm = MPI_COMM_SELF);

// The groups of per-scenario tables the study writes, in file order.
std::vector<std::string> per_scenario_groups(const plan::Study& study);

}  // namespace wb::study::run
