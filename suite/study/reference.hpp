#pragma once
// The /reference table: each published value beside the model's prediction, its relative error
// and whether it meets the study's tolerance.
#include <cstdint>
#include <vector>

#include "io/table.hpp"
#include "study/columns.hpp"
#include "study/study.hpp"

namespace wb::study {

// The /reference rows of the given scenarios (rows[i] belongs to scenarios[first + i]).
// `aggregates` holds the predicted value of every sum or ratio reference, in study order
// (aggregate_predictions in reference_aggregate.hpp); it may be empty when there are none.
io::Table reference_table(const Study& study, std::int64_t first, const std::vector<ScenarioRow>& rows,
                          const std::vector<double>& aggregates = {});

// Whether predicted meets the reference (compare and tolerance), and its relative error
// ((predicted - published) / published; NaN when published is 0).
bool reference_passes(const Reference& ref, double predicted);
double relative_error(double published, double predicted);

}  // namespace wb::study
