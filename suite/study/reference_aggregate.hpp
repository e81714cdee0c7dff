#pragma once
// References whose predicted value combines several scenarios (a sum of times, the best of a
// set, a ratio of the best of two sets) or asks a question of one scenario (the tokens trainable in a given wall
// time). The /reference row of an aggregate belongs to its last scenario; its inputs may be on
// other ranks, so they are gathered first.
#include <mpi.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/yaml_reader.hpp"
#include "study/columns.hpp"
#include "study/study.hpp"

namespace wb::study {

// Reads `sum: [ids]`, `min: [ids]` or `ratio: {numerator: [ids], denominator: [ids]}` (with an
// optional `label`) and returns true; reads `within_time: <duration>` (kept on ref) and returns false so
// the caller reads `scenario` as usual. An item of a list may be `{sweep: <name>}`, every scenario
// of that sweep (e.g. all the strategies a search kept), and a list may be that one map; given
// `scenarios`, sweeps are resolved against them.
bool parse_reference_aggregate(io::YamlMap& r, Reference& ref, const std::map<std::string, std::int64_t>& by_id,
                               const std::vector<Scenario>* scenarios = nullptr);

// The predicted value of every reference in study order: aggregates from the metric values of
// all ranks' rows (gathered over comm), others NaN (the caller takes them from its own rows).
// rows[i] belongs to scenario first + i. Collective.
// `outside` holds rows of scenarios outside every rank's block that aggregates still need (a
// slice run evaluates them, see runner.cpp); every rank passes the same map, rank 0 contributes it.
std::vector<double> aggregate_predictions(MPI_Comm comm, const Study& study, std::int64_t first,
                                          const std::vector<ScenarioRow>& rows,
                                          const std::map<std::int64_t, ScenarioRow>& outside = {});

// Scenarios outside [begin, end) that the aggregates of references inside [begin, end) need.
std::vector<std::int64_t> aggregate_terms_outside(const Study& study, std::int64_t begin, std::int64_t end);

// The predicted value of a one-scenario reference from its row (within_time applied).
double single_prediction(const Reference& ref, const ScenarioRow& row);

}  // namespace wb::study
