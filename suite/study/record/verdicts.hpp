#pragma once
// The verdicts of a result file's /reference rows, as `report`, `run --check` and `compare` read
// them: how many predictions meet their published value, how many miss, and which misses the
// study documents (known_miss). A documented miss counts as failed only when it no longer
// misses (strict, like xfail): its explanation must then be revisited.
#include <cstddef>

#include "io/table.hpp"

namespace wb::study::record {

struct ReportCounts {
  std::size_t references = 0;
  std::size_t failed = 0;        // misses, and documented misses that now pass
  std::size_t known_misses = 0;  // documented misses (known_miss) that still miss
};

// Counts the rows of a /reference table (empty table: none).
ReportCounts count_references(const io::Table& reference);

// Whether row i documents a known miss (files from before the known_miss column document none).
bool expected_miss(const io::Table& reference, std::size_t i);

}  // namespace wb::study::record
