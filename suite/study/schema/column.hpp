#pragma once
// The declaration of a result table: its group ("/timeline") and its columns, each with name,
// type, unit and one line of meaning, in the order they are written (the SST ELI habit: a
// component documents its own ports). Writers fill tables through these declarations and readers
// look columns up through them, so a column's name is typed once; docs/results.md lists the
// same columns (tests keep the two in step).
#include <cstdint>
#include <string>
#include <vector>

#include "io/table.hpp"
#include "study/schema/unit.hpp"

namespace wb::study::schema {

struct ColumnSpec {
  const char* name;
  io::ColumnType type;
  Unit unit;
  const char* description;
  // Measured on the run's machine (a wall time, the ranks it ran on) rather than computed by the
  // model: two runs of the same study differ here and nowhere else (`compare` leaves these aside).
  bool run_environment = false;

  const char* units() const { return unit_string(unit); }
};

class TableSpec {
 public:
  TableSpec(std::string group, std::vector<const ColumnSpec*> columns);

  const std::string& group() const { return group_; }  // "timeline", written as /timeline
  const std::string& path() const { return path_; }    // "/timeline"
  const std::vector<const ColumnSpec*>& columns() const { return columns_; }
  const ColumnSpec* find(const std::string& name) const;
  // The columns with their units and descriptions, no rows.
  io::Table empty() const;

 private:
  std::string group_, path_;
  std::vector<const ColumnSpec*> columns_;
};

// Appends one value to a table made by TableSpec::empty(); the value's type must be the column's.
void put(io::Table& table, const ColumnSpec& column, double value);
void put(io::Table& table, const ColumnSpec& column, std::int64_t value);
void put(io::Table& table, const ColumnSpec& column, const std::string& value);

// Appends the rows of `from` to `into` (same columns in the same order; std::logic_error otherwise).
void append_rows(io::Table& into, const io::Table& from);

// The column of a table (written, or read from a file) that the declaration names; throws
// std::out_of_range when the table lacks it and std::logic_error when its type differs.
const io::Column& get(const io::Table& table, const ColumnSpec& column);
// The same when an older file may lack the column: null then.
const io::Column* find(const io::Table& table, const ColumnSpec& column);

}  // namespace wb::study::schema
