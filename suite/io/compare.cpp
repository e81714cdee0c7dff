#include "io/compare.hpp"

#include <cmath>
#include <cstring>

#include "io/hdf5_file.hpp"

namespace wb::io {

bool same_value(const Column& a, std::size_t i, const Column& b, std::size_t j) {
  switch (a.type) {
    case ColumnType::f64: {
      const double x = a.f64[i], y = b.f64[j];
      if (std::isnan(x) && std::isnan(y)) return true;
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    case ColumnType::i64: return a.i64[i] == b.i64[j];
    case ColumnType::str: return a.str[i] == b.str[j];
  }
  return false;
}

std::size_t compare_tables(const Table& ta, const Table& tb, const std::string& where, std::vector<Difference>& out,
                           std::size_t max_differences, const std::set<std::string>& ignore_values) {
  std::size_t count = 0;
  auto add = [&](std::string at, std::string x, std::string y) {
    ++count;
    if (out.size() < max_differences) out.push_back({std::move(at), std::move(x), std::move(y)});
  };
  for (const auto& ca : ta.columns) {
    const std::string at = where + "/" + ca.name;
    const Column* cb = tb.find(ca.name);
    if (!cb) {
      add(at, "present", "(missing)");
      continue;
    }
    if (ca.type != cb->type || ca.size() != cb->size() || ca.units != cb->units) {
      add(at, "type/size/units " + std::to_string(ca.size()) + " " + ca.units,
          "type/size/units " + std::to_string(cb->size()) + " " + cb->units);
      continue;
    }
    if (ignore_values.count(at)) continue;
    for (std::size_t i = 0; i < ca.size(); ++i)
      if (!same_value(ca, i, *cb, i)) add(at + "[" + std::to_string(i) + "]", ca.text(i, 17), cb->text(i, 17));
  }
  for (const auto& cb : tb.columns)
    if (!ta.find(cb.name)) add(where + "/" + cb.name, "(missing)", "present");
  return count;
}

std::vector<Difference> compare_result_files(const std::string& a, const std::string& b,
                                             const std::set<std::string>& ignore_attributes,
                                             std::size_t max_differences,
                                             const std::set<std::string>& ignore_columns) {
  std::vector<Difference> out;
  auto add = [&](std::string where, std::string x, std::string y) {
    if (out.size() < max_differences) out.push_back({std::move(where), std::move(x), std::move(y)});
  };
  const auto attrs_a = read_attributes(a), attrs_b = read_attributes(b);
  for (const auto& [k, v] : attrs_a) {
    if (ignore_attributes.count(k)) continue;
    auto it = attrs_b.find(k);
    if (it == attrs_b.end()) add("@/" + k, attribute_text(v), "(missing)");
    else if (attribute_text(v) != attribute_text(it->second)) add("@/" + k, attribute_text(v), attribute_text(it->second));
  }
  for (const auto& [k, v] : attrs_b)
    if (!ignore_attributes.count(k) && !attrs_a.count(k)) add("@/" + k, "(missing)", attribute_text(v));

  const auto groups_a = list_groups(a), groups_b = list_groups(b);
  if (groups_a != groups_b) {
    std::string ga, gb;
    for (const auto& g : groups_a) ga += g + " ";
    for (const auto& g : groups_b) gb += g + " ";
    add("groups", ga, gb);
  }
  for (const auto& g : groups_a) {
    bool in_b = false;
    for (const auto& h : groups_b) in_b = in_b || h == g;
    if (!in_b) continue;
    compare_tables(read_table(a, "/" + g), read_table(b, "/" + g), "/" + g, out, max_differences, ignore_columns);
  }
  return out;
}

}  // namespace wb::io
