#include "study/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "io/hdf5_file.hpp"
#include "io/units.hpp"
#include "study/fabric_runner.hpp"

namespace wb::study {

void print_aligned(std::ostream& os, const std::vector<std::string>& header,
                   const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size(), 0);
  std::vector<bool> right(header.size(), false);
  std::vector<std::string> names(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    right[c] = !header[c].empty() && header[c][0] == '>';
    names[c] = right[c] ? header[c].substr(1) : header[c];
    width[c] = names[c].size();
  }
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size() && c < width.size(); ++c) width[c] = std::max(width[c], r[c].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < width.size(); ++c) {
      const std::string& cell = c < cells.size() ? cells[c] : std::string();
      const std::string pad(width[c] - std::min(width[c], cell.size()), ' ');
      out += right[c] ? pad + cell : cell + (c + 1 < width.size() ? pad : std::string());
      if (c + 1 < width.size()) out += "  ";
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    os << out << '\n';
  };
  line(names);
  std::string rule;
  for (std::size_t c = 0; c < width.size(); ++c) rule += std::string(width[c], '-') + (c + 1 < width.size() ? "  " : "");
  os << rule << '\n';
  for (const auto& r : rows) line(r);
}

namespace {

std::string gib(double bytes) {
  if (std::isnan(bytes)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", bytes / 1073741824.0);
  return buf;
}

std::string value_in_units(double v, const std::string& units) {
  if (std::isnan(v)) return "nan";
  if (units == "bytes") return io::format_quantity(v, io::Dim::bytes, 4);
  if (units == "s") return io::format_quantity(v, io::Dim::seconds, 4);
  if (units == "FLOP") return io::format_quantity(v, io::Dim::flops, 3);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string percent(double x) {
  if (std::isnan(x)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", 100.0 * x);
  return buf;
}

}  // namespace

ReportCounts print_reference(std::ostream& os, const std::string& path) {
  ReportCounts counts;
  const io::Table ref = io::read_table(path, "/reference");
  if (ref.rows() == 0) {
    os << "No published values to compare with in this study.\n";
    return counts;
  }
  std::vector<std::vector<std::string>> rows;
  const auto& units = ref.at("units");
  for (std::size_t i = 0; i < ref.rows(); ++i) {
    const bool ok = ref.at("pass").i64[i] == 1;
    counts.references++;
    if (!ok) counts.failed++;
    const std::string u = units.str[i];
    const double t = ref.at("tolerance").f64[i];
    char buf[48];
    if (ref.at("published").f64[i] == 0.0) std::snprintf(buf, sizeof buf, "%s %.3g", ref.at("compare").str[i].c_str(), t);
    else std::snprintf(buf, sizeof buf, "%s %.3g%%", ref.at("compare").str[i].c_str(), 100.0 * t);
    const std::string tol = buf;
    rows.push_back({ref.at("scenario_id").str[i], ref.at("metric").str[i], value_in_units(ref.at("published").f64[i], u),
                    value_in_units(ref.at("predicted").f64[i], u), percent(ref.at("relative_error").f64[i]), tol,
                    ok ? "ok" : "MISS", ref.at("source").str[i]});
  }
  os << "Predicted vs published (" << counts.references - counts.failed << " of " << counts.references
     << " within tolerance):\n";
  print_aligned(os, {"scenario", "metric", ">published", ">predicted", ">error", "tolerance", "check", "source"}, rows);
  return counts;
}

ReportCounts print_report(std::ostream& os, const std::string& path) {
  const auto attrs = io::read_attributes(path);
  auto attr = [&](const char* k) {
    auto it = attrs.find(k);
    return it == attrs.end() ? std::string("?") : io::attribute_text(it->second);
  };
  os << "Study " << attr("study_name") << " (" << attr("study_kind") << "): " << attr("study_title") << "\n";
  os << "waferbench " << attr("waferbench_version") << " (" << attr("git_commit") << "), " << attr("mpi_ranks")
     << " MPI ranks, Kokkos " << attr("kokkos_execution_space") << ", " << attr("created_utc") << "\n\n";

  if (io::has_group(path, "/fabric")) print_fabric_table(os, path);  // fabric studies have no scenarios
  const io::Table sc = io::read_table(path, "/scenarios");
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < sc.rows(); ++i) {
    rows.push_back({sc.at("id").str[i], std::to_string(sc.at("params").i64[i]), sc.at("fits").i64[i] ? "yes" : "NO",
                    gib(sc.at("device_memory_bytes").f64[i]), gib(sc.at("device_capacity_bytes").f64[i]),
                    gib(sc.at("mem_params_bytes").f64[i]), gib(sc.at("mem_grads_bytes").f64[i]),
                    gib(sc.at("mem_optimizer_bytes").f64[i]), gib(sc.at("mem_activations_bytes").f64[i]),
                    gib(sc.at("mem_buffers_bytes").f64[i] + sc.at("mem_framework_bytes").f64[i]),
                    gib(sc.at("host_memory_bytes").f64[i]), gib(sc.at("host_capacity_bytes").f64[i])});
  }
  if (sc.rows() > 0) {
    os << "Memory per GPU and per host node (GiB):\n";
    print_aligned(os,
                  {"scenario", ">params", "fits", ">device", ">of", ">weights", ">grads", ">optim", ">activ", ">other",
                   ">host", ">of"},
                  rows);
    os << "\n";
  }
  const auto it = attrs.find("assumptions");
  if (it != attrs.end() && !io::attribute_text(it->second).empty())
  {
    os << "Assumptions:\n";
    std::string text = io::attribute_text(it->second);
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      os << "  - " << text.substr(start, end - start) << "\n";
      start = end + 1;
    }
    os << "\n";
  }
  return print_reference(os, path);
}

}  // namespace wb::study
