#include "study/schema/result_file.hpp"

#include "study/schema/fabric.hpp"
#include "study/schema/scenarios.hpp"
#include "study/schema/timeline.hpp"
#include "study/schema/wafer_layers.hpp"

namespace wb::study::schema {

const std::set<std::string>& run_attributes() {
  // mpi_ranks and created_utc change with every run; slice_* mark one slice of a study and
  // merged_parts a file merged from slices (waferbench run --slice, waferbench merge).
  static const std::set<std::string> names{attr::mpi_ranks,   attr::created_utc,     attr::slice_index,
                                           attr::slice_count, attr::study_scenarios, attr::merged_parts};
  return names;
}

const std::set<std::string>& run_environment_columns() {
  static const std::set<std::string> paths = [] {
    std::vector<const TableSpec*> tables{&scenarios::table(), &fabric::table(), &fabric_heatmap::table()};
    tables.insert(tables.end(), per_scenario_tables().begin(), per_scenario_tables().end());
    std::set<std::string> out;
    for (const TableSpec* t : tables)
      for (const ColumnSpec* c : t->columns())
        if (c->run_environment) out.insert(t->path() + "/" + c->name);
    return out;
  }();
  return paths;
}

const std::vector<const TableSpec*>& per_scenario_tables() {
  static const std::vector<const TableSpec*> tables{&wafer_layers::table(), &timeline::table()};
  return tables;
}

const TableSpec* per_scenario_table(const std::string& group) {
  for (const TableSpec* t : per_scenario_tables())
    if (t->group() == group) return t;
  return nullptr;
}

}  // namespace wb::study::schema
