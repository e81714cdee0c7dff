#include "study/extra_tables.hpp"

#include <stdexcept>

#include "study/wafer_scenario.hpp"
#include "study/gpu_time_eval.hpp"

namespace wb::study {

std::vector<std::string> extra_groups(const Study& study) {
  std::vector<std::string> groups;
  if (has_wafer_scenarios(study)) groups.push_back("wafer_layers");  // issue 4
  if (study.kind == StudyKind::training && study.time.timeline) groups.push_back("timeline");  // issue 3
  return groups;
}

io::Table empty_table(const std::string& group) {
  if (group == "wafer_layers") return wafer_layers_table();
  if (group == "timeline") return timeline_table();
  throw std::logic_error("no table schema for group " + group);
}

void append_rows(io::Table& into, const io::Table& from) {
  if (into.columns.size() != from.columns.size())
    throw std::logic_error("append_rows: tables with different columns");
  for (std::size_t c = 0; c < into.columns.size(); ++c) {
    io::Column& a = into.columns[c];
    const io::Column& b = from.columns[c];
    if (a.name != b.name || a.type != b.type) throw std::logic_error("append_rows: column " + a.name + " differs");
    a.f64.insert(a.f64.end(), b.f64.begin(), b.f64.end());
    a.i64.insert(a.i64.end(), b.i64.begin(), b.i64.end());
    a.str.insert(a.str.end(), b.str.begin(), b.str.end());
  }
}

}  // namespace wb::study
