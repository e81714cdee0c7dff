#pragma once
// Human-readable reports of a result file: the scenarios and the comparison with published
// values, as aligned text tables.
#include <ostream>
#include <string>
#include <vector>

#include "io/table.hpp"

namespace wb::study {

// Prints rows as a table with a header line, columns padded to their widest cell; columns whose
// header starts with '>' are right-aligned (the marker is not printed).
void print_aligned(std::ostream& os, const std::vector<std::string>& header,
                   const std::vector<std::vector<std::string>>& rows);

struct ReportCounts {
  std::size_t references = 0;
  std::size_t failed = 0;
};

// Prints the file's provenance, scenarios and reference comparison. Returns the counts of
// reference rows and of those that did not meet their tolerance.
ReportCounts print_report(std::ostream& os, const std::string& path);

// Step and training time per scenario, when the file has any (study/report_training.cpp).
void print_training_table(std::ostream& os, const io::Table& scenarios);

// Only the reference comparison (what `run` prints at the end).
ReportCounts print_reference(std::ostream& os, const std::string& path);

}  // namespace wb::study
