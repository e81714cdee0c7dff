#include "study/merge.hpp"

#include <algorithm>
#include <map>

#include "io/compare.hpp"
#include "io/error.hpp"
#include "io/hdf5_file.hpp"
#include "io/utc.hpp"
#include "study/extra_tables.hpp"
#include "study/runner.hpp"

namespace wb::study {

namespace {

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
    p.attrs = io::read_attributes(path);
    auto v = p.attrs.find("schema_version");
    if (v == p.attrs.end() || io::attribute_text(v->second) != std::to_string(kResultsSchemaVersion))
      throw io::IoError(path + ": schema_version is not " + std::to_string(kResultsSchemaVersion) +
                        "; this waferbench merges only files it could have written");
    p.index = int_attribute(p, "slice_index");
    p.count = int_attribute(p, "slice_count");
    p.scenarios = int_attribute(p, "study_scenarios");
    parts.push_back(std::move(p));
  }

  // One study, one program, one set of inputs: every attribute that describes the results agrees.
  const Part& first = parts.front();
  const auto& ignore = io::run_attributes();
  for (const auto& p : parts) {
    if (p.count != first.count)
      throw io::IoError(p.path + ": slice of " + std::to_string(p.count) + ", but " + first.path + " is a slice of " +
                        std::to_string(first.count));
    std::vector<std::string> names;
    for (const auto& [k, val] : first.attrs) names.push_back(k);
    for (const auto& [k, val] : p.attrs) names.push_back(k);
    for (const auto& k : names) {
      if (ignore.count(k)) continue;
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
      if (groups[g] == "scenarios") {
        const auto expect = block_of(p.scenarios, p.index, p.count).second;
        if (static_cast<std::int64_t>(t.rows()) != expect)
          throw io::IoError(p.path + ": slice " + std::to_string(p.index) + "/" + std::to_string(p.count) + " of " +
                            std::to_string(p.scenarios) + " scenarios should hold " + std::to_string(expect) +
                            " rows, it holds " + std::to_string(t.rows()));
        scenarios += expect;
      }
      if (groups[g] == "fabric") fabric_cases += static_cast<std::int64_t>(t.rows());
      if (rank == 0) append_rows(merged[g], t);
    }
  }

  io::ResultFileWriter out(comm, output, overwrite);
  std::int64_t ranks = 0;
  for (const auto& p : parts) ranks += int_attribute(p, "mpi_ranks");
  for (const auto& [k, val] : first.attrs)
    if (!ignore.count(k)) out.attribute(k, val);
  out.attribute("mpi_ranks", ranks);
  out.attribute("created_utc", io::utc_now());
  out.attribute("merged_parts", static_cast<std::int64_t>(parts.size()));
  for (std::size_t g = 0; g < groups.size(); ++g) out.write_table("/" + groups[g], merged[g]);
  out.commit();

  MergeSummary summary;
  summary.path = output;
  summary.parts = static_cast<std::int64_t>(parts.size());
  summary.scenarios = scenarios;
  summary.fabric_cases = fabric_cases;
  return summary;
}

}  // namespace wb::study
