#include "study/schema/column.hpp"

#include <stdexcept>

namespace wb::study::schema {

TableSpec::TableSpec(std::string group, std::vector<const ColumnSpec*> columns)
    : group_(std::move(group)), path_("/" + group_), columns_(std::move(columns)) {}

const ColumnSpec* TableSpec::find(const std::string& name) const {
  for (const ColumnSpec* c : columns_)
    if (name == c->name) return c;
  return nullptr;
}

io::Table TableSpec::empty() const {
  io::Table t;
  for (const ColumnSpec* c : columns_) t.add(c->name, c->type, c->units(), c->description);
  return t;
}

namespace {

io::Column& column_of(io::Table& table, const ColumnSpec& column, io::ColumnType type) {
  io::Column* c = table.find(column.name);
  if (!c) throw std::logic_error(std::string("no column '") + column.name + "' in this table");
  if (c->type != type || column.type != type)
    throw std::logic_error(std::string("column '") + column.name + "' holds another type");
  return *c;
}

}  // namespace

void put(io::Table& table, const ColumnSpec& column, double value) {
  column_of(table, column, io::ColumnType::f64).f64.push_back(value);
}

void put(io::Table& table, const ColumnSpec& column, std::int64_t value) {
  column_of(table, column, io::ColumnType::i64).i64.push_back(value);
}

void put(io::Table& table, const ColumnSpec& column, const std::string& value) {
  column_of(table, column, io::ColumnType::str).str.push_back(value);
}

void append_rows(io::Table& into, const io::Table& from) {
  if (into.columns.size() != from.columns.size()) throw std::logic_error("append_rows: tables with different columns");
  for (std::size_t c = 0; c < into.columns.size(); ++c) {
    io::Column& a = into.columns[c];
    const io::Column& b = from.columns[c];
    if (a.name != b.name || a.type != b.type) throw std::logic_error("append_rows: column " + a.name + " differs");
    a.f64.insert(a.f64.end(), b.f64.begin(), b.f64.end());
    a.i64.insert(a.i64.end(), b.i64.begin(), b.i64.end());
    a.str.insert(a.str.end(), b.str.begin(), b.str.end());
  }
}

const io::Column* find(const io::Table& table, const ColumnSpec& column) {
  const io::Column* c = table.find(column.name);
  if (c && c->type != column.type) throw std::logic_error(std::string("column '") + column.name + "' holds another type");
  return c;
}

const io::Column& get(const io::Table& table, const ColumnSpec& column) {
  const io::Column* c = find(table, column);
  if (!c) throw std::out_of_range(std::string("no column '") + column.name + "' in this table");
  return *c;
}

}  // namespace wb::study::schema
