#include "study/record/compare_runs.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "io/compare.hpp"
#include "io/hdf5_file.hpp"
#include "study/record/result_check.hpp"
#include "study/schema/fabric.hpp"
#include "study/schema/reference.hpp"
#include "study/schema/result_file.hpp"
#include "study/schema/scenarios.hpp"

namespace wb::study::record {

bool RunComparison::changed() const {
  if (!removed.empty() || !added.empty() || !changes.empty()) return true;
  for (const auto& g : groups)
    if (g.differs) return true;
  return false;
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

namespace rc = schema::reference;

// The groups whose rows are keyed results, and the column that names each row.
const std::vector<std::pair<std::string, std::string>>& keyed_groups() {
  static const std::vector<std::pair<std::string, std::string>> k = {
      {schema::scenarios::table().group(), schema::scenarios::id.name},
      {schema::fabric::table().group(), schema::fabric::case_name.name}};
  return k;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  for (const auto& x : v)
    if (x == s) return true;
  return false;
}

// Row keys of a table; a key seen before gets "#2", "#3" appended so that every row is matched.
std::vector<std::string> row_keys(const io::Table& t, const std::vector<std::string>& key_columns) {
  std::vector<std::string> keys;
  std::map<std::string, int> seen;
  for (std::size_t i = 0; i < t.rows(); ++i) {
    std::string k;
    for (const auto& c : key_columns) k += (k.empty() ? "" : " ") + t.at(c).text(i, 17);
    const int n = ++seen[k];
    keys.push_back(n == 1 ? k : k + " #" + std::to_string(n));
  }
  return keys;
}

// Compares rows matched by key in the columns `compare` (all but the key columns when empty).
// Returns the number of keys with a change; adds removed/added keys when `membership`.
std::size_t diff_rows(const std::string& group, const io::Table& ta, const io::Table& tb,
                      const std::vector<std::string>& key_columns, std::vector<std::string> compare, double tolerance,
                      RunComparison& out, bool membership, const std::set<std::string>& skip = {}) {
  if (compare.empty())
    for (const auto& c : ta.columns)
      if (!has(key_columns, c.name) && !skip.count("/" + group + "/" + c.name)) compare.push_back(c.name);
  const auto keys_a = row_keys(ta, key_columns), keys_b = row_keys(tb, key_columns);
  std::map<std::string, std::size_t> index_b;
  for (std::size_t j = 0; j < keys_b.size(); ++j) index_b[keys_b[j]] = j;
  std::set<std::string> in_a(keys_a.begin(), keys_a.end());
  std::size_t changed_keys = 0;
  for (std::size_t i = 0; i < keys_a.size(); ++i) {
    auto it = index_b.find(keys_a[i]);
    if (it == index_b.end()) {
      if (membership) out.removed.push_back(keys_a[i]);
      continue;
    }
    if (membership) out.common++;
    const std::size_t j = it->second;
    bool any = false;
    for (const auto& name : compare) {
      const io::Column* ca = ta.find(name);
      const io::Column* cb = tb.find(name);
      if (!ca || !cb) {
        if (ca || cb) {
          out.changes.push_back({group, keys_a[i], name, "", ca ? ca->text(i, 17) : "(no column)",
                                 cb ? cb->text(j, 17) : "(no column)", kNaN, kNaN, kNaN, false});
          any = true;
        }
        continue;
      }
      if (ca->type != cb->type) {
        out.changes.push_back({group, keys_a[i], name, ca->units, ca->text(i, 17), cb->text(j, 17), kNaN, kNaN, kNaN, false});
        any = true;
        continue;
      }
      if (io::same_value(*ca, i, *cb, j)) continue;
      ValueChange ch{group, keys_a[i], name, ca->units, ca->text(i, 17), cb->text(j, 17), kNaN, kNaN, kNaN, false};
      if (ca->type != io::ColumnType::str) {
        ch.numeric = true;
        ch.a_value = ca->number(i);
        ch.b_value = cb->number(j);
        if (std::isfinite(ch.a_value) && ch.a_value != 0.0)
          ch.relative = (ch.b_value - ch.a_value) / std::fabs(ch.a_value);
        if (tolerance > 0 && std::isfinite(ch.relative) && std::fabs(ch.relative) <= tolerance) continue;
      }
      out.changes.push_back(std::move(ch));
      any = true;
    }
    if (any) ++changed_keys;
  }
  if (membership)
    for (const auto& k : keys_b)
      if (!in_a.count(k)) out.added.push_back(k);
  return changed_keys;
}

std::pair<std::size_t, std::size_t> checks(const io::Table& ref) {
  std::pair<std::size_t, std::size_t> c{0, 0};
  if (const io::Column* pass = schema::find(ref, rc::pass))
    for (std::size_t i = 0; i < pass->size(); ++i) {
      c.second++;
      if (pass->i64[i] == 1) c.first++;
    }
  return c;
}

}  // namespace

RunComparison compare_runs(const std::string& a, const std::string& b, double tolerance, bool include_run_info) {
  require_result_file(a);
  require_result_file(b);
  RunComparison out;
  out.a = a;
  out.b = b;
  out.tolerance = tolerance;
  out.include_run_info = include_run_info;
  // What describes a run rather than its results (when and where it ran, its wall times).
  const std::set<std::string> no_attributes, no_columns;
  const auto& skip_attributes = include_run_info ? no_attributes : schema::run_attributes();
  const auto& skip_columns = include_run_info ? no_columns : schema::run_environment_columns();

  // What the runs were made from: the study, the program, the schema (run attributes aside).
  const auto attrs_a = io::read_attributes(a), attrs_b = io::read_attributes(b);
  std::set<std::string> names;
  for (const auto& [k, v] : attrs_a) names.insert(k);
  for (const auto& [k, v] : attrs_b) names.insert(k);
  for (const auto& k : names) {
    if (skip_attributes.count(k)) continue;
    auto x = attrs_a.find(k), y = attrs_b.find(k);
    const std::string tx = x == attrs_a.end() ? "(none)" : io::attribute_text(x->second);
    const std::string ty = y == attrs_b.end() ? "(none)" : io::attribute_text(y->second);
    if (tx == ty) continue;
    // Long texts (the study YAML, the assumptions) are only said to differ.
    const bool long_text = tx.size() > 60 || ty.size() > 60 || tx.find('\n') != std::string::npos ||
                           ty.find('\n') != std::string::npos;
    if (long_text) out.inputs.push_back({k, "", "", true});
    else out.inputs.push_back({k, tx, ty, false});
  }

  const auto groups_a = io::list_groups(a), groups_b = io::list_groups(b);
  for (const auto& [group, key] : keyed_groups()) {
    if (!has(groups_a, group) && !has(groups_b, group)) continue;
    const io::Table ta = has(groups_a, group) ? io::read_table(a, "/" + group) : io::Table{};
    const io::Table tb = has(groups_b, group) ? io::read_table(b, "/" + group) : io::Table{};
    if (ta.rows() == 0 && tb.rows() == 0) continue;
    if ((ta.rows() && !ta.find(key)) || (tb.rows() && !tb.find(key))) continue;
    out.changed_keys += diff_rows(group, ta, tb, {key}, {}, tolerance, out, true, skip_columns);
  }

  // Published values, tolerances and verdicts (the predictions are compared in /scenarios).
  const std::string& reference = rc::table().group();
  if (has(groups_a, reference) && has(groups_b, reference)) {
    const io::Table ra = io::read_table(a, rc::table().path()), rb = io::read_table(b, rc::table().path());
    out.checks_a = checks(ra);
    out.checks_b = checks(rb);
    if (schema::find(ra, rc::scenario_id) && schema::find(rb, rc::scenario_id))
      diff_rows(reference, ra, rb, {rc::scenario_id.name, rc::metric.name},
                {rc::published.name, rc::compare.name, rc::tolerance.name, rc::pass.name}, tolerance, out, false);
  }

  // Per-scenario detail groups: identical or not.
  std::vector<std::string> others;
  for (const auto& g : groups_a)
    if (!has(others, g)) others.push_back(g);
  for (const auto& g : groups_b)
    if (!has(others, g)) others.push_back(g);
  for (const auto& g : others) {
    if (g == reference) continue;
    bool keyed = false;
    for (const auto& [group, key] : keyed_groups()) keyed = keyed || group == g;
    if (keyed) continue;
    if (!has(groups_a, g)) {
      out.groups.push_back({g, "only in B", true});
      continue;
    }
    if (!has(groups_b, g)) {
      out.groups.push_back({g, "only in A", true});
      continue;
    }
    std::vector<io::Difference> diffs;
    const io::Table ta = io::read_table(a, "/" + g), tb = io::read_table(b, "/" + g);
    const std::size_t n = io::compare_tables(ta, tb, "/" + g, diffs, 0, skip_columns);
    if (n == 0) out.groups.push_back({g, "identical (" + std::to_string(ta.rows()) + " rows)", false});
    else
      out.groups.push_back({g, std::to_string(n) + " difference(s); rows " + std::to_string(ta.rows()) + " vs " +
                                   std::to_string(tb.rows()), true});
  }
  return out;
}

namespace {

std::string cell_value(const ValueChange& c, bool a) {
  if (!c.numeric) return a ? c.a : c.b;
  return human_value(a ? c.a_value : c.b_value, c.units);
}

void print_json_comparison(std::ostream& os, const RunComparison& c) {
  auto list = [&](const std::vector<std::string>& v) {
    os << '[';
    for (std::size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << json_string(v[i]);
    os << ']';
  };
  os << "{\n  \"a\": " << json_string(c.a) << ",\n  \"b\": " << json_string(c.b)
     << ",\n  \"changed\": " << (c.changed() ? "true" : "false") << ",\n  \"tolerance\": " << json_number(c.tolerance)
     << ",\n  \"include_run_info\": " << (c.include_run_info ? "true" : "false")
     << ",\n  \"inputs\": {";
  for (std::size_t i = 0; i < c.inputs.size(); ++i) {
    const auto& in = c.inputs[i];
    os << (i ? ", " : "") << json_string(in.name) << ": ";
    if (in.long_text) os << "\"differs\"";
    else os << "[" << json_string(in.a) << ", " << json_string(in.b) << "]";
  }
  os << "},\n  \"common\": " << c.common << ",\n  \"removed\": ";
  list(c.removed);
  os << ",\n  \"added\": ";
  list(c.added);
  os << ",\n  \"checks\": {\"a\": {\"within_tolerance\": " << c.checks_a.first << ", \"references\": " << c.checks_a.second
     << "}, \"b\": {\"within_tolerance\": " << c.checks_b.first << ", \"references\": " << c.checks_b.second << "}}";
  os << ",\n  \"changes\": [";
  for (std::size_t i = 0; i < c.changes.size(); ++i) {
    const auto& ch = c.changes[i];
    os << (i ? ",\n" : "\n") << "    {\"group\": " << json_string(ch.group) << ", \"key\": " << json_string(ch.key)
       << ", \"metric\": " << json_string(ch.metric) << ", \"units\": " << json_string(ch.units) << ", \"a\": "
       << (ch.numeric ? json_number(ch.a_value) : json_string(ch.a)) << ", \"b\": "
       << (ch.numeric ? json_number(ch.b_value) : json_string(ch.b))
       << ", \"relative_change\": " << json_number(ch.relative) << "}";
  }
  os << (c.changes.empty() ? "]" : "\n  ]") << ",\n  \"groups\": {";
  for (std::size_t i = 0; i < c.groups.size(); ++i)
    os << (i ? ", " : "") << json_string(c.groups[i].group) << ": {\"differs\": " << (c.groups[i].differs ? "true" : "false")
       << ", \"status\": " << json_string(c.groups[i].status) << "}";
  os << "}\n}\n";
}

void print_csv_comparison(std::ostream& os, const RunComparison& c) {
  os << "group,key,metric,units,a,b,relative_change\r\n";
  const std::string& scenarios = schema::scenarios::table().group();
  for (const auto& k : c.removed) os << scenarios << ',' << csv_field(k) << ",(removed),,,,\r\n";
  for (const auto& k : c.added) os << scenarios << ',' << csv_field(k) << ",(added),,,,\r\n";
  for (const auto& ch : c.changes)
    os << csv_field(ch.group) << ',' << csv_field(ch.key) << ',' << csv_field(ch.metric) << ',' << csv_field(ch.units)
       << ',' << (ch.numeric ? (std::isfinite(ch.a_value) ? json_number(ch.a_value) : "") : csv_field(ch.a)) << ','
       << (ch.numeric ? (std::isfinite(ch.b_value) ? json_number(ch.b_value) : "") : csv_field(ch.b)) << ','
       << (std::isfinite(ch.relative) ? json_number(ch.relative) : "") << "\r\n";
}

}  // namespace

void print_comparison(std::ostream& os, const RunComparison& c, Format format, std::size_t max_rows) {
  if (format == Format::json) return print_json_comparison(os, c);
  if (format == Format::csv) return print_csv_comparison(os, c);
  const bool md = format == Format::markdown;

  Section head;
  head.title = "Comparing A = " + c.a + " with B = " + c.b;
  head.notes.push_back("Rows in both: " + std::to_string(c.common) + "; only in A (removed): " +
                       std::to_string(c.removed.size()) + "; only in B (added): " + std::to_string(c.added.size()));
  head.notes.push_back(c.inputs.empty() ? "Same study, inputs and program." : "Made from different inputs:");
  for (const auto& in : c.inputs)
    head.notes.push_back((md ? "- " : "  ") + in.name + ": " + (in.long_text ? "differs" : in.a + " -> " + in.b));
  print_section(os, head, format);
  auto list = [&](const char* title, const std::vector<std::string>& keys) {
    if (keys.empty()) return;
    Section s;
    s.title = title;
    for (std::size_t i = 0; i < keys.size() && i < max_rows; ++i) s.notes.push_back((md ? "- " : "  ") + keys[i]);
    if (keys.size() > max_rows) s.notes.push_back("  ... and " + std::to_string(keys.size() - max_rows) + " more");
    if (!md) os << '\n';
    print_section(os, s, format);
  };
  list("Removed (only in A)", c.removed);
  list("Added (only in B)", c.added);

  Section ch;
  ch.title = "Changed values (" + std::to_string(c.changes.size()) + " in " + std::to_string(c.changed_keys) + " rows" +
             (c.tolerance > 0 ? ", beyond " + percent(c.tolerance).substr(1) : "") + ")";
  ch.header = {"row", "metric", ">A", ">B", ">change"};
  for (std::size_t i = 0; i < c.changes.size() && i < max_rows; ++i) {
    const auto& v = c.changes[i];
    const std::string key = v.group == schema::scenarios::table().group() ? v.key : "/" + v.group + " " + v.key;
    ch.rows.push_back({key, v.metric, cell_value(v, true), cell_value(v, false), percent(v.relative)});
  }
  if (c.changes.size() > max_rows)
    ch.notes.push_back("... and " + std::to_string(c.changes.size() - max_rows) + " more (--format csv lists all)");
  if (!c.changes.empty()) {
    if (!md) os << '\n';
    print_section(os, ch, format);
  }

  Section tail;
  if (c.checks_a.second || c.checks_b.second)
    tail.notes.push_back("Reference checks within tolerance: A " + std::to_string(c.checks_a.first) + " of " +
                         std::to_string(c.checks_a.second) + ", B " + std::to_string(c.checks_b.first) + " of " +
                         std::to_string(c.checks_b.second));
  for (const auto& g : c.groups) tail.notes.push_back("/" + g.group + ": " + g.status);
  tail.notes.push_back(c.changed() ? "Result: changed"
                       : c.include_run_info
                           ? "Result: no changes"
                           : "Result: no changes (the same results; run attributes and run-environment columns such as "
                             "wall times are not compared: --include-run-info)");
  if (!md) os << '\n';
  print_section(os, tail, format);
}

}  // namespace wb::study::record
