#pragma once
// The /scenarios table's schema: every column a study can produce, with its units and meaning.
// Every study writes every column (NaN, -1 or "" where a column does not apply), so the schema is
// the same for every file this version writes; later versions add columns, never remove them.
// docs/results.md documents the same list (a test keeps the two in step).
#include <cstdint>
#include <string>
#include <vector>

#include "io/table.hpp"
#include "io/units.hpp"

namespace wb::study {

struct ColumnSpec {
  const char* name;
  io::ColumnType type;
  const char* units;  // attribute written to HDF5
  io::Dim dim;        // how a published value for this column is parsed
  const char* description;
};

const std::vector<ColumnSpec>& scenario_columns();
const ColumnSpec* find_column(const std::string& name);

// One scenario's values, indexed like scenario_columns(). Unset numbers are NaN, unset integers
// -1, unset strings "".
class ScenarioRow {
 public:
  ScenarioRow();
  void set(const std::string& column, double value);
  void set(const std::string& column, std::int64_t value);
  void set(const std::string& column, const std::string& value);
  double number(const std::string& column) const;
  std::string text(const std::string& column) const;

  std::vector<double> f64;
  std::vector<std::int64_t> i64;
  std::vector<std::string> str;

 private:
  std::size_t index(const std::string& column, io::ColumnType type) const;
};

// Assembles rows into a table with the full schema.
io::Table make_scenario_table(const std::vector<ScenarioRow>& rows);

}  // namespace wb::study
