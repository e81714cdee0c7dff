#pragma once
// The /reference rows of a run: each published value beside the model's prediction. A
// one-scenario reference reads its scenario's row; an aggregate (sum, min, ratio) combines rows
// that may sit on other ranks, or in other slices, so its inputs are gathered first. The row of
// an aggregate belongs to its last scenario.
#include <mpi.h>

#include <cstdint>
#include <map>
#include <vector>

#include "io/table.hpp"
#include "study/plan/study.hpp"
#include "study/schema/scenarios.hpp"

namespace wb::study::run {

using Row = schema::scenarios::Row;

// The /reference rows of the given scenarios (rows[i] belongs to scenario first + i).
// `aggregates` holds the predicted value of every reference in study order (aggregate_predictions);
// it may be empty when the study has no aggregate.
io::Table reference_table(const plan::Study& study, std::int64_t first, const std::vector<Row>& rows,
                          const std::vector<double>& aggregates = {});

// The predicted value of every reference in study order: aggregates from the metric values of
// all ranks' rows (gathered over comm), others NaN (reference_table takes them from the rows).
// Collective. `outside` holds rows of scenarios outside every rank's block that aggregates still
// need (a slice run evaluates them); every rank passes the same map, rank 0 contributes it.
std::vector<double> aggregate_predictions(MPI_Comm comm, const plan::Study& study, std::int64_t first,
                                          const std::vector<Row>& rows, const std::map<std::int64_t, Row>& outside = {});

// Scenarios outside [begin, end) that the aggregates of references inside [begin, end) need.
std::vector<std::int64_t> aggregate_terms_outside(const plan::Study& study, std::int64_t begin, std::int64_t end);

}  // namespace wb::study::run
