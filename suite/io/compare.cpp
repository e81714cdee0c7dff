#include "io/compare.hpp"

#include <cmath>
#include <cstring>

#include "io/hdf5_file.hpp"

namespace wb::io {

namespace {

bool same_double(double x, double y) {
  if (std::isnan(x) && std::isnan(y)) return true;
  return std::memcmp(&x, &y, sizeof x) == 0;
}

}  // namespace

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
    const Table ta = read_table(a, "/" + g), tb = read_table(b, "/" + g);
    for (const auto& ca : ta.columns) {
      const std::string where = "/" + g + "/" + ca.name;
      if (ignore_columns.count(where)) continue;
      const Column* cb = tb.find(ca.name);
      if (!cb) {
        add(where, "present", "(missing)");
        continue;
      }
      if (ca.type != cb->type || ca.size() != cb->size() || ca.units != cb->units) {
        add(where, "type/size/units " + std::to_string(ca.size()) + " " + ca.units,
            "type/size/units " + std::to_string(cb->size()) + " " + cb->units);
        continue;
      }
      for (std::size_t i = 0; i < ca.size(); ++i) {
        bool same = true;
        switch (ca.type) {
          case ColumnType::f64: same = same_double(ca.f64[i], cb->f64[i]); break;
          case ColumnType::i64: same = ca.i64[i] == cb->i64[i]; break;
          case ColumnType::str: same = ca.str[i] == cb->str[i]; break;
        }
        if (!same) add(where + "[" + std::to_string(i) + "]", ca.text(i, 17), cb->text(i, 17));
      }
    }
    for (const auto& cb : tb.columns)
      if (!ta.find(cb.name)) add("/" + g + "/" + cb.name, "(missing)", "present");
  }
  return out;
}

}  // namespace wb::io
