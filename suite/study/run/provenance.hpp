#pragma once
// What a result file says about where its numbers come from: the root attributes (program,
// ranks, study, assumptions, measured inputs; schema/result_file.hpp names them).
#include <string>
#include <vector>

#include "io/hdf5_file.hpp"
#include "study/plan/study.hpp"

namespace wb::study::run {

struct RunOptions;

// The assumptions of a study of scenarios, one per line: the study's own, the evaluations'
// notes (in scenario order), the method notes, then every input figure marked as an assumption
// that the scenarios used.
std::string scenario_assumptions(const plan::Study& study, const std::vector<std::string>& notes);
// The same for a fabric study: its own, then its chips' figures marked as assumptions.
std::string fabric_assumptions(const plan::Study& study);

// The root attributes of every result file; `assumptions` has one per line.
void write_root_attributes(io::ResultFileWriter& out, const plan::Study& study, const RunOptions& options, int ranks,
                           const std::string& assumptions);

}  // namespace wb::study::run
