#pragma once
// A result file as a whole: its schema version, its root attributes (docs/results.md), which of
// them describe one run rather than its results, and the per-scenario tables besides /scenarios
// and /reference, in the order a file holds them.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "study/schema/column.hpp"

namespace wb::study::schema {

// The results schema version written to every file.
inline constexpr std::int64_t kResultsSchemaVersion = 2;

// Root attribute names.
namespace attr {
inline constexpr const char* schema_version = "schema_version";
inline constexpr const char* waferbench_version = "waferbench_version";
inline constexpr const char* git_commit = "git_commit";
inline constexpr const char* mpi_ranks = "mpi_ranks";
inline constexpr const char* kokkos_execution_space = "kokkos_execution_space";
inline constexpr const char* created_utc = "created_utc";
inline constexpr const char* study_name = "study_name";
inline constexpr const char* study_kind = "study_kind";
inline constexpr const char* study_title = "study_title";
inline constexpr const char* study_yaml = "study_yaml";
inline constexpr const char* assumptions = "assumptions";
inline constexpr const char* measured_inputs = "measured_inputs";
inline constexpr const char* fabric_cache = "fabric_cache";
inline constexpr const char* slice_index = "slice_index";
inline constexpr const char* slice_count = "slice_count";
inline constexpr const char* study_scenarios = "study_scenarios";
inline constexpr const char* merged_parts = "merged_parts";
}  // namespace attr

// Root attributes that describe one run (how and when it ran) rather than its results: two runs
// of the same study may differ in these and in the run-environment columns, and nothing else.
const std::set<std::string>& run_attributes();
// The columns declared run_environment, as paths ("/scenarios/sim_wall_s"), of every table.
const std::set<std::string>& run_environment_columns();

// The tables a scenario may add rows to besides /scenarios and /reference, in file order.
const std::vector<const TableSpec*>& per_scenario_tables();
// One of those by group name; null when none.
const TableSpec* per_scenario_table(const std::string& group);

}  // namespace wb::study::schema
