#include "io/table.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace wb::io {

std::size_t Column::size() const {
  switch (type) {
    case ColumnType::f64: return f64.size();
    case ColumnType::i64: return i64.size();
    case ColumnType::str: return str.size();
  }
  return 0;
}

std::string Column::text(std::size_t row, int significant) const {
  switch (type) {
    case ColumnType::str: return str.at(row);
    case ColumnType::i64: return std::to_string(i64.at(row));
    case ColumnType::f64: {
      const double v = f64.at(row);
      if (std::isnan(v)) return "nan";
      char buf[48];
      std::snprintf(buf, sizeof buf, "%.*g", significant, v);
      return buf;
    }
  }
  return {};
}

double Column::number(std::size_t row) const {
  switch (type) {
    case ColumnType::f64: return f64.at(row);
    case ColumnType::i64: return static_cast<double>(i64.at(row));
    case ColumnType::str: break;
  }
  throw std::invalid_argument("column '" + name + "' holds text, not numbers");
}

Column& Table::add(std::string name, ColumnType type, std::string units, std::string description) {
  Column c;
  c.name = std::move(name);
  c.type = type;
  c.units = std::move(units);
  c.description = std::move(description);
  columns.push_back(std::move(c));
  return columns.back();
}

const Column* Table::find(const std::string& name) const {
  for (const auto& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

Column* Table::find(const std::string& name) {
  for (auto& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

const Column& Table::at(const std::string& name) const {
  const Column* c = find(name);
  if (!c) throw std::out_of_range("no column '" + name + "'");
  return *c;
}

}  // namespace wb::io
