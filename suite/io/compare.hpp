#pragma once
// Compares two result files dataset by dataset. Used to prove that results do not depend on the
// number of MPI ranks (or on how a study was sliced and merged), and by `waferbench compare`.
#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "io/table.hpp"

namespace wb::io {

struct Difference {
  std::string where;  // "/scenarios/device_memory_bytes[3]" or "@/mpi_ranks"
  std::string a;
  std::string b;
};

// Whether row i of column a holds the same value as row j of column b: floats bit for bit (NaN
// equal to NaN), integers and strings exactly. The columns must have the same type.
bool same_value(const Column& a, std::size_t i, const Column& b, std::size_t j);

// Compares two tables column by column (same names, types, sizes, units, values) and appends the
// differences to `out` (at most max_differences in all), naming them below `where` ("/timeline").
// Returns how many differences there were, including those not listed.
// Columns whose path ("/scenarios/sim_wall_s") is in ignore_values are compared by type and
// length only.
std::size_t compare_tables(const Table& a, const Table& b, const std::string& where, std::vector<Difference>& out,
                           std::size_t max_differences, const std::set<std::string>& ignore_values = {});

// Every top-level group's columns are compared exactly (floats bit for bit, NaN equal to NaN),
// and the root attributes except those in ignore_attributes; columns named in ignore_columns
// ("/scenarios/sim_wall_s": measurements of the run, not results) only by type and length. At
// most max_differences are listed.
std::vector<Difference> compare_result_files(const std::string& a, const std::string& b,
                                             const std::set<std::string>& ignore_attributes,
                                             std::size_t max_differences = 50,
                                             const std::set<std::string>& ignore_columns = {});

}  // namespace wb::io
