#pragma once
// A column-oriented table: what a result group in HDF5 holds (one 1-D dataset per column, each
// with a `units` attribute). Used for scenario rows, reference rows and per-layer breakdowns.
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace wb::io {

enum class ColumnType { f64, i64, str };

// What an i64 column holds where it does not apply to a row (and the HDF5 fill value of every
// integer dataset); NaN and "" play that part for f64 and str columns.
inline constexpr std::int64_t kMissingInteger = -1;

struct Column {
  std::string name;
  std::string units;        // "bytes", "s", "1" for dimensionless, "" for labels
  std::string description;  // one line, written as an attribute
  ColumnType type = ColumnType::f64;
  std::vector<double> f64;
  std::vector<std::int64_t> i64;
  std::vector<std::string> str;

  std::size_t size() const;
  // Value as text for reports ("" for strings that are empty, "nan" for missing numbers).
  std::string text(std::size_t row, int significant = 6) const;
  double number(std::size_t row) const;  // f64 or i64 as double; throws for strings
};

struct Table {
  // A deque so that the reference add() returns stays valid while more columns are added.
  std::deque<Column> columns;

  std::size_t rows() const { return columns.empty() ? 0 : columns.front().size(); }
  Column& add(std::string name, ColumnType type, std::string units, std::string description = {});
  const Column* find(const std::string& name) const;
  Column* find(const std::string& name);
  const Column& at(const std::string& name) const;  // throws std::out_of_range naming the column
};

}  // namespace wb::io
