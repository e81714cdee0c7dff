#pragma once
// Compares two result files dataset by dataset. Used to prove that results do not depend on the
// number of MPI ranks, and by `waferbench compare`.
#include <set>
#include <string>
#include <vector>

namespace wb::io {

struct Difference {
  std::string where;  // "/scenarios/device_memory_bytes[3]" or "@/mpi_ranks"
  std::string a;
  std::string b;
};

// Every top-level group's columns are compared exactly (floats bit for bit, NaN equal to NaN),
// and the root attributes except those in ignore_attributes. Columns named in ignore_columns
// ("/group/column", e.g. measured wall times) are skipped. At most max_differences are listed.
std::vector<Difference> compare_result_files(const std::string& a, const std::string& b,
                                             const std::set<std::string>& ignore_attributes,
                                             std::size_t max_differences = 50,
                                             const std::set<std::string>& ignore_columns = {});

}  // namespace wb::io
