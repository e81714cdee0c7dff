#pragma once
// Per-scenario tables besides /scenarios and /reference (e.g. /timeline, /wafer_layers). Every
// rank must write the same groups with the same columns, including ranks that have no rows, so
// which groups a study writes is decided from the study alone, and each group's columns come
// from its empty_table().
#include <string>
#include <vector>

#include "io/table.hpp"
#include "study/study.hpp"

namespace wb::study {

// Groups the study writes besides /scenarios and /reference, in a fixed order.
std::vector<std::string> extra_groups(const Study& study);

// The columns (without rows) of a group; throws std::logic_error for an unknown group.
io::Table empty_table(const std::string& group);

// Appends the rows of `from` to `into` (same columns in the same order).
void append_rows(io::Table& into, const io::Table& from);

}  // namespace wb::study
