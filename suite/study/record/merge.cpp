#include "study/record/merge.hpp"

#include <algorithm>
#include <map>

#include "io/error.hpp"
#include "io/hdf5_file.hpp"
#include "io/utc.hpp"
#include "study/record/result_check.hpp"
#include "study/run/dealing.hpp"
#include "study/schema/fabric.hpp"
#include "study/schema/result_file.hpp"
#include "study/schema/scenarios.hpp"

namespace wb::study::record {

namespace {

namespace attr = schema::attr;

struct Part {
  std::string path;
  std::map<std::string, io::AttributeValue> attrs;
  std::int64_t index = -1, count = -1, scenarios = -1;
};

std::int64_t int_attribute(const Part& p, const std::string& name) {
  auto it = p.attrs.find(name);
  if (it == p.attrs.end() || !std::holds_alternative<std::int64_t>(it->second))
    throw io::IoError(p.path + ": not the result of one slice of a study (no integer attribute '" + name +
                      "'); make the parts with `waferbench run STUDY --slice K/N`");
  return std::get<std::int64_t>(it->second);
}

// Same columns (names, types, units, order) in both tables.
void check_same_columns(const io::Table& a, const io::Table& b, const std::string& what) {
  bool same = a.columns.size() == b.columns.size();
  for (std::size_t c = 0; same && c < a.columns.size(); ++c)
    same = a.columns[c].name == b.columns[c].name && a.columns[c].type == b.columns[c].type &&
           a.columns[c].units == b.columns[c].units;
  if (!same) throw io::IoError(what + " has other columns than in the first slice; were the parts made by the same waferbench?");
}

// The lines of a text attribute ("" when absent).
std::vector<std::string> lines_of(const Part& p, const char* name) {
  std::vector<std::string> out;
  auto it = p.attrs.find(name);
  if (it == p.attrs.end()) return out;
  const std::string text = io::attribute_text(it->second);
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The assumptions of the whole study from those of its slices (in slice order). Every slice
// states the study's own lines; the notes its evaluations added (what a strategy search chose)
// are its own, and sit between the same neighbours in every slice. Each slice's new lines go
// before the first line after them that the merge already holds, which puts every slice's notes
// after the previous slice's, as a direct run orders them.
std::string merged_assumptions(const std::vector<Part>& parts) {
  std::vector<std::string> merged;
  for (const Part& p : parts) {
    const std::vector<std::string> lines = lines_of(p, attr::assumptions);
    std::vector<std::string> pending;
    for (const std::string& line : lines) {
      auto at = std::find(merged.begin(), merged.end(), line);
      if (at == merged.end()) {
        pending.push_back(line);
        continue;
      }
      merged.insert(at, pending.begin(), pending.end());
      pending.clear();
    }
    merged.insert(merged.end(), pending.begin(), pending.end());
  }
  std::string out;
  for (const auto& line : merged) out += line + "\n";
  return out;
}

}  // namespace

MergeSummary merge_slices(MPI_Comm comm, const std::vector<std::string>& paths, const std::string& output,
                          bool overwrite) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (paths.empty()) throw io::IoError("merge: no parts given");

  std::vector<Part> parts;
  for (const auto& path : paths) {
    Part p;
    p.path = path;
    require_result_file(path);
    p.attrs = io::read_attributes(path);
    auto v = p.attrs.find(attr::schema_version);
    if (v == p.attrs.end() || io::attribute_text(v->second) != std::to_string(schema::kResultsSchemaVersion))
      throw io::IoError(path + ": schema_version is not " + std::to_string(schema::kResultsSchemaVersion) +
                        "; this waferbench merges only files it could have written");
    p.index = int_attribute(p, attr::slice_index);
    p.count = int_attribute(p, attr::slice_count);
    p.scenarios = int_attribute(p, attr::study_scenarios);
    parts.push_back(std::move(p));
  }

  // One study, one program, one set of inputs: every attribute that describes the results agrees.
  const Part& first = parts.front();
  const auto& ignore = schema::run_attributes();
  for (const auto& p : parts) {
    if (p.count != first.count)
      throw io::IoError(p.path + ": slice of " + std::to_string(p.count) + ", but " + first.path + " is a slice of " +
                        std::to_string(first.count));
    std::vector<std::string> names;
    for (const auto& [k, val] : first.attrs) names.push_back(k);
    for (const auto& [k, val] : p.attrs) names.push_back(k);
    for (const auto& k : names) {
      if (ignore.count(k) || k == attr::assumptions) continue;
      auto a = first.attrs.find(k), b = p.attrs.find(k);
      if (a == first.attrs.end() || b == p.attrs.end() || io::attribute_text(a->second) != io::attribute_text(b->second))
        throw io::IoError(p.path + ": attribute '" + k + "' differs from " + first.path +
                          "; the parts come from different studies, inputs or builds");
    }
  }
  std::sort(parts.begin(), parts.end(), [](const Part& a, const Part& b) { return a.index < b.index; });
  std::string missing;
  for (std::int64_t k = 0, i = 0; k < first.count; ++k) {
    std::int64_t seen = 0;
    while (i < static_cast<std::int64_t>(parts.size()) && parts[static_cast<std::size_t>(i)].index == k) ++seen, ++i;
    if (seen > 1) throw io::IoError("merge: slice " + std::to_string(k) + "/" + std::to_string(first.count) + " given " +
                                    std::to_string(seen) + " times");
    if (seen == 0) missing += (missing.empty() ? "" : ", ") + std::to_string(k);
  }
  for (const auto& p : parts)
    if (p.index < 0 || p.index >= first.count)
      throw io::IoError(p.path + ": slice_index " + std::to_string(p.index) + " is out of range");
  if (!missing.empty())
    throw io::IoError("merge: slice(s) " + missing + " of " + std::to_string(first.count) +
                      " missing; every slice must be given once");

  // Every group of every part, concatenated in slice order.
  const std::vector<std::string> groups = io::list_groups(first.path);
  std::vector<io::Table> merged;
  for (const auto& g : groups) {
    io::Table t = io::read_table(first.path, "/" + g);
    for (auto& c : t.columns) c.f64.clear(), c.i64.clear(), c.str.clear();
    merged.push_back(std::move(t));
  }
  std::int64_t scenarios = 0, fabric_cases = 0;
  for (const auto& p : parts) {
    if (io::list_groups(p.path) != groups)
      throw io::IoError(p.path + ": holds other groups than " + first.path);
    for (std::size_t g = 0; g < groups.size(); ++g) {
      const io::Table t = io::read_table(p.path, "/" + groups[g]);
      check_same_columns(merged[g], t, p.path + ":/" + groups[g]);
      if (groups[g] == schema::scenarios::table().group()) {
        const auto expect = run::block_of(p.scenarios, p.index, p.count).second;
        if (static_cast<std::int64_t>(t.rows()) != expect)
          throw io::IoError(p.path + ": slice " + std::to_string(p.index) + "/" + std::to_string(p.count) + " of " +
                            std::to_string(p.scenarios) + " scenarios should hold " + std::to_string(expect) +
                            " rows, it holds " + std::to_string(t.rows()));
        scenarios += expect;
      }
      if (groups[g] == schema::fabric::table().group()) fabric_cases += static_cast<std::int64_t>(t.rows());
      if (rank == 0) schema::append_rows(merged[g], t);
    }
  }

  io::ResultFileWriter out(comm, output, overwrite);
  std::int64_t ranks = 0;
  for (const auto& p : parts) ranks += int_attribute(p, attr::mpi_ranks);
  for (const auto& [k, val] : first.attrs)
    if (!ignore.count(k) && k != attr::assumptions) out.attribute(k, val);
  out.attribute(attr::assumptions, merged_assumptions(parts));
  out.attribute(attr::mpi_ranks, ranks);
  out.attribute(attr::created_utc, io::utc_now());
  out.attribute(attr::merged_parts, static_cast<std::int64_t>(parts.size()));
  for (std::size_t g = 0; g < groups.size(); ++g) out.write_table("/" + groups[g], merged[g]);
  out.commit();

  MergeSummary summary;
  summary.path = output;
  summary.parts = static_cast<std::int64_t>(parts.size());
  summary.scenarios = scenarios;
  summary.fabric_cases = fabric_cases;
  return summary;
}

}  // namespace wb::study::record
