#include "study/run/provenance.hpp"

#include <algorithm>

#include "io/build_info.hpp"
#include "io/utc.hpp"
#include "study/run/runner.hpp"
#include "study/schema/result_file.hpp"

namespace wb::study::run {

namespace {

// Appends each line of `lines` not seen before.
void add_new(std::string& out, std::vector<std::string>& seen, const std::vector<std::string>& lines) {
  for (const auto& line : lines)
    if (std::find(seen.begin(), seen.end(), line) == seen.end()) {
      seen.push_back(line);
      out += line + "\n";
    }
}

// Every input figure the scenarios used that was measured on a machine (`waferbench calibrate`),
// one per line, in the same form as the assumptions.
std::string measured_text(const plan::Study& study) {
  std::string out;
  std::vector<std::string> seen;
  for (const auto& sc : study.scenarios) {
    if (const auto* n = sc.system->node()) add_new(out, seen, n->provenance.measured());
    if (sc.host) add_new(out, seen, sc.host->node()->provenance.measured());
  }
  return out;
}

}  // namespace

std::string scenario_assumptions(const plan::Study& study, const std::vector<std::string>& notes) {
  std::string out;
  for (const auto& a : study.assumptions) out += a + "\n";
  for (const auto& a : notes) out += a + "\n";
  for (const auto& a : study.method_notes) out += a + "\n";
  std::vector<std::string> seen;
  for (const auto& sc : study.scenarios) {
    if (const auto* w = sc.system->wafer()) {
      add_new(out, seen, w->provenance.assumptions());  // a wafer scenario uses no GPU framework
      continue;
    }
    add_new(out, seen, sc.framework->provenance.assumptions());
    if (const auto* g = sc.system->gpu()) add_new(out, seen, g->provenance.assumptions());
    if (const auto* n = sc.system->node()) {
      add_new(out, seen, n->provenance.assumptions());
      add_new(out, seen, n->gpu.provenance.assumptions());
    }
    if (sc.host) add_new(out, seen, sc.host->node()->provenance.assumptions());
  }
  return out;
}

std::string fabric_assumptions(const plan::Study& study) {
  std::string out;
  for (const auto& a : study.assumptions) out += a + "\n";
  std::vector<std::string> seen;
  for (const auto& c : study.fabric_cases) add_new(out, seen, c.system->wafer()->provenance.assumptions());
  return out;
}

void write_root_attributes(io::ResultFileWriter& out, const plan::Study& study, const RunOptions& options, int ranks,
                           const std::string& assumptions) {
  namespace attr = schema::attr;
  out.attribute(attr::schema_version, schema::kResultsSchemaVersion);
  out.attribute(attr::waferbench_version, std::string(io::waferbench_version()));
  out.attribute(attr::git_commit, std::string(io::git_commit()));
  out.attribute(attr::mpi_ranks, static_cast<std::int64_t>(ranks));
  out.attribute(attr::kokkos_execution_space, options.kokkos_execution_space);
  out.attribute(attr::created_utc, io::utc_now());
  out.attribute(attr::study_name, study.name);
  out.attribute(attr::study_kind, std::string(plan::to_string(study.kind)));
  out.attribute(attr::study_title, study.title);
  out.attribute(attr::study_yaml, study.text);
  out.attribute(attr::assumptions, assumptions);
  out.attribute(attr::measured_inputs, measured_text(study));
  if (!study.fabric_cache_path.empty()) out.attribute(attr::fabric_cache, study.fabric_cache_path);
  if (options.slice_count > 1) {
    out.attribute(attr::slice_index, options.slice_index);
    out.attribute(attr::slice_count, options.slice_count);
  }
}

}  // namespace wb::study::run
