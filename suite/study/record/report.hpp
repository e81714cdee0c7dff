#pragma once
// Reports of a result file: for people (aligned text, Markdown) the provenance, the scenarios
// (memory; time when the file has it; fabric cases) and the comparison with published values;
// for programs (CSV, JSON) the raw tables in SI units.
#include <ostream>
#include <string>

#include "study/record/table_output.hpp"
#include "study/record/verdicts.hpp"

namespace wb::study::record {

struct ReportOptions {
  Format format = Format::text;
  // One group to print ("scenarios", "reference", "timeline", ...): every column, raw values.
  // Empty: text and Markdown print the report, CSV the scenarios, JSON every group.
  std::string table;
};

// Prints the report. Returns the counts of reference rows and of those that did not meet their
// tolerance (whatever the format). Unreadable files raise io::IoError.
ReportCounts print_report(std::ostream& os, const std::string& path, const ReportOptions& options = {});

// Only the reference comparison as text (what `run` prints at the end).
ReportCounts print_reference(std::ostream& os, const std::string& path);

}  // namespace wb::study::record
