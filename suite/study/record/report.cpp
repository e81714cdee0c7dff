#include "study/record/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "io/error.hpp"
#include "io/hdf5_file.hpp"
#include "io/units.hpp"
#include "study/record/result_check.hpp"
#include "study/record/verdicts.hpp"
#include "study/schema/fabric.hpp"
#include "study/schema/reference.hpp"
#include "study/schema/result_file.hpp"
#include "study/schema/scenarios.hpp"

namespace wb::study::record {

namespace {

namespace col = schema::scenarios;
namespace rc = schema::reference;
namespace fc = schema::fabric;
using schema::get;

constexpr double kGiB = 1073741824.0;

std::string gib(double bytes) {
  if (std::isnan(bytes)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", bytes / kGiB);
  return buf;
}

std::string number(double v, const char* format = "%.4g") {
  if (!std::isfinite(v)) return "-";
  char buf[40];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string duration(double s) { return std::isfinite(s) ? io::format_quantity(s, io::Dim::seconds, 4) : "-"; }

Section reference_section(const io::Table& ref, ReportCounts& counts) {
  counts = count_references(ref);
  Section s;
  if (ref.rows() == 0) {
    s.notes.push_back("No published values to compare with in this study.");
    return s;
  }
  s.title = "Predicted vs published (" + std::to_string(counts.references - counts.failed - counts.known_misses) +
            " of " + std::to_string(counts.references) + " within tolerance";
  if (counts.known_misses > 0)
    s.title += ", " + std::to_string(counts.known_misses) + " known miss" + (counts.known_misses > 1 ? "es" : "") +
               " explained in the study";
  s.title += ")";
  s.header = {"scenario", "metric", ">published", ">predicted", ">error", "tolerance", "check", "source"};
  const auto& units = get(ref, rc::units);
  for (std::size_t i = 0; i < ref.rows(); ++i) {
    const bool ok = get(ref, rc::pass).i64[i] == 1;
    const std::string u = units.str[i];
    const double t = get(ref, rc::tolerance).f64[i];
    char buf[48];
    if (get(ref, rc::published).f64[i] == 0.0) std::snprintf(buf, sizeof buf, "%s %.3g", get(ref, rc::compare).str[i].c_str(), t);
    else std::snprintf(buf, sizeof buf, "%s %.3g%%", get(ref, rc::compare).str[i].c_str(), 100.0 * t);
    s.rows.push_back({get(ref, rc::scenario_id).str[i], get(ref, rc::metric).str[i], human_value(get(ref, rc::published).f64[i], u),
                      human_value(get(ref, rc::predicted).f64[i], u), percent(get(ref, rc::relative_error).f64[i]), buf,
                      ok ? (expected_miss(ref, i) ? "PASSES (known_miss is stale)" : "ok")
                         : (expected_miss(ref, i) ? "known miss" : "MISS"),
                      get(ref, rc::source).str[i]});
  }
  return s;
}

// The scenario as printed: its id, and for a strategy search's `best` row (whose id names the
// search, not the layout) the layout it found.
std::string scenario_label(const io::Table& sc, std::size_t i) {
  const std::string& id = get(sc, col::id).str[i];
  const io::Column* strategy = schema::find(sc, col::strategy);
  if (!strategy || strategy->str[i].empty()) return id;
  const std::string& s = strategy->str[i];
  const bool named = id.size() > s.size() && id.compare(id.size() - s.size(), s.size(), s) == 0 &&
                     id[id.size() - s.size() - 1] == '/';
  return named ? id : id + " = " + s;
}

Section memory_section(const io::Table& sc) {
  Section s;
  s.title = "Memory per device and per host node (GiB)";
  s.header = {"scenario", ">params", "fits", ">device", ">of", ">weights", ">grads", ">optim", ">activ", ">other",
              ">host", ">of"};
  for (std::size_t i = 0; i < sc.rows(); ++i) {
    s.rows.push_back({scenario_label(sc, i), std::to_string(get(sc, col::params).i64[i]), get(sc, col::fits).i64[i] ? "yes" : "NO",
                      gib(get(sc, col::device_memory_bytes).f64[i]), gib(get(sc, col::device_capacity_bytes).f64[i]),
                      gib(get(sc, col::mem_params_bytes).f64[i]), gib(get(sc, col::mem_grads_bytes).f64[i]),
                      gib(get(sc, col::mem_optimizer_bytes).f64[i]), gib(get(sc, col::mem_activations_bytes).f64[i]),
                      gib(get(sc, col::mem_buffers_bytes).f64[i] + get(sc, col::mem_framework_bytes).f64[i]),
                      gib(get(sc, col::host_memory_bytes).f64[i]), gib(get(sc, col::host_capacity_bytes).f64[i])});
  }
  // Why a row does not fit, in its own column when any row says (files before the column lack it).
  if (const io::Column* why = schema::find(sc, col::fits_reason)) {
    bool any = false;
    for (std::size_t i = 0; i < sc.rows(); ++i) any = any || !why->str[i].empty();
    if (any) {
      s.header.push_back("why not");
      for (std::size_t i = 0; i < sc.rows(); ++i) s.rows[i].push_back(why->str[i]);
    }
  }
  return s;
}

// Time columns (docs/results.md; written by training and inference studies). A column appears
// when the file has it and some scenario has a value in it; a scenario appears when it has a
// value in one of them.
struct TimeColumn {
  const schema::ColumnSpec* column;
  const char* header;
  std::function<std::string(const io::Column&, std::size_t)> cell;
  bool context = false;  // what was run (batch, tokens): shown beside the times, not a reason to show a row
};

bool has_value(const io::Column& c, std::size_t i) {
  switch (c.type) {
    case io::ColumnType::f64: return std::isfinite(c.f64[i]);
    case io::ColumnType::i64: return c.i64[i] >= 0;
    case io::ColumnType::str: return !c.str[i].empty();
  }
  return false;
}

// The columns of `candidates` that hold a value somewhere, for the rows that have any.
Section columns_section(const io::Table& sc, const std::string& title, const std::vector<TimeColumn>& candidates) {
  std::vector<std::pair<const io::Column*, const TimeColumn*>> used;
  for (const auto& tc : candidates) {
    const io::Column* c = schema::find(sc, *tc.column);
    if (!c) continue;
    bool any = false;
    for (std::size_t i = 0; i < c->size() && !any; ++i) any = has_value(*c, i);
    if (any) used.emplace_back(c, &tc);
  }
  Section s;
  bool timed = false;
  for (const auto& [c, tc] : used) timed = timed || (c->type == io::ColumnType::f64 && !tc->context);
  if (!timed) return s;
  s.title = title;
  s.header.push_back("scenario");
  for (const auto& [c, tc] : used) s.header.push_back(tc->header);
  for (std::size_t i = 0; i < sc.rows(); ++i) {
    bool any = false;
    for (const auto& [c, tc] : used) any = any || (!tc->context && has_value(*c, i));
    if (!any) continue;
    std::vector<std::string> row{scenario_label(sc, i)};
    for (const auto& [c, tc] : used) row.push_back(has_value(*c, i) ? tc->cell(*c, i) : "-");
    s.rows.push_back(std::move(row));
  }
  return s;
}

Section time_section(const io::Table& sc) {
  const auto f64 = [](const char* format) {
    return [format](const io::Column& c, std::size_t i) { return number(c.number(i), format); };
  };
  const auto count = [](const io::Column& c, std::size_t i) { return std::to_string(c.i64[i]); };
  std::vector<TimeColumn> candidates;
  // What each training row trains (an inference row's are in its own section).
  const io::Column* task = schema::find(sc, col::task);
  if (task && std::find(task->str.begin(), task->str.end(), "train") != task->str.end())
    candidates = {{&col::global_batch, ">batch", count, true},
                  {&col::seq_len, ">seq", count, true},
                  {&col::train_tokens, ">tokens", [](const io::Column& c, std::size_t i) { return number(c.f64[i], "%.4g"); }, true}};
  candidates.insert(candidates.end(), {
      {&col::placement, "placement", [](const io::Column& c, std::size_t i) { return c.str[i]; }},
      {&col::step_time_s, ">step", [](const io::Column& c, std::size_t i) { return duration(c.f64[i]); }},
      {&col::tokens_per_s, ">tokens/s", f64("%.4g")},
      {&col::flops_per_device, ">TFLOP/s/dev",
       [](const io::Column& c, std::size_t i) { return number(c.f64[i] / 1e12, "%.4g"); }},
      {&col::mfu, ">MFU", [](const io::Column& c, std::size_t i) { return number(100.0 * c.f64[i], "%.1f%%"); }},
      {&col::bound, "bound", [](const io::Column& c, std::size_t i) { return c.str[i]; }},
      {&col::generate_time_s, ">generate", [](const io::Column& c, std::size_t i) { return duration(c.f64[i]); }},
      {&col::time_to_train_s, ">time to train", [](const io::Column& c, std::size_t i) { return duration(c.f64[i]); }},
      {&col::scaling_efficiency, ">scaling eff.", f64("%.3f")},
      {&col::device_seconds, ">device-hours",
       [](const io::Column& c, std::size_t i) { return number(c.f64[i] / 3600.0, "%.4g"); }},
      {&col::goodput, ">goodput", f64("%.3f")},
  });
  return columns_section(sc, "Time", candidates);
}

// Where a training step's time goes (GPU: the critical path; wafer: its parts), per phase
// where the framework reports phases, and what inference time is made of.
Section breakdown_section(const io::Table& sc) {
  const auto dur = [](const io::Column& c, std::size_t i) { return duration(c.f64[i]); };
  return columns_section(sc, "Step breakdown",
                         {{&col::step_compute_s, ">compute", dur}, {&col::step_exposed_comm_s, ">exposed comm", dur},
                          {&col::step_offload_transfer_s, ">offload copy", dur}, {&col::step_cpu_optimizer_s, ">CPU optimizer", dur},
                          {&col::step_pipeline_bubble_s, ">bubble", dur}, {&col::step_straggler_wait_s, ">straggler", dur},
                          {&col::step_forward_s, ">forward", dur}, {&col::step_backward_s, ">backward", dur},
                          {&col::step_optimizer_s, ">optimizer", dur}});
}

Section inference_section(const io::Table& sc) {
  const auto dur = [](const io::Column& c, std::size_t i) { return duration(c.f64[i]); };
  return columns_section(sc, "Time to generate",
                         {{&col::load_time_s, ">load", dur}, {&col::prefill_time_s, ">prefill", dur}, {&col::decode_time_s, ">decode", dur},
                          {&col::generate_time_s, ">generate", dur}});
}

// Fabric simulation cases (study kind fabric): simulated cycles beside the published ones, busy
// fraction and simulator throughput per case.
Section fabric_section(const io::Table& fb) {
  Section s;
  s.title = "Fabric cases (on-chip cycles as the PE timers report them; host launch and I/O apart)";
  s.header = {"case", "chip", "mapping", ">PEs", ">m x n x batch", ">sparsity", "stat", ">cycles", ">launch", ">published",
              ">error", ">time us", ">busy", ">wall s", ">M PE-cycles/s"};
  auto text = [&](const schema::ColumnSpec& column, std::size_t i, double scale = 1.0, const char* fmt = "%.0f") {
    const io::Column* c = schema::find(fb, column);
    if (!c) return std::string("-");
    if (c->type == io::ColumnType::str) return c->str[i];
    const double v = c->number(i);
    return std::isnan(v) ? std::string("-") : number(scale * v, fmt);
  };
  for (std::size_t i = 0; i < fb.rows(); ++i)
    s.rows.push_back({text(fc::case_name, i), text(fc::chip, i), text(fc::mapping, i), text(fc::p_rows, i) + "x" + text(fc::p_cols, i),
                      text(fc::m, i) + "x" + text(fc::n, i) + "x" + text(fc::batch, i), text(fc::sparsity, i, 100.0, "%.0f%%"),
                      text(fc::statistic, i), text(fc::cycles, i), text(fc::launch_cycles, i), text(fc::published_cycles, i),
                      text(fc::relative_error, i, 100.0, "%+.1f%%"), text(fc::time_s, i, 1e6, "%.2f"),
                      text(fc::utilisation, i, 100.0, "%.1f%%"), text(fc::wall_s, i, 1.0, "%.2f"),
                      text(fc::pe_cycles_per_s, i, 1e-6, "%.1f")});
  return s;
}

bool unitless(const std::string& units) {
  const auto unit = schema::unit_from_string(units);
  return unit == schema::Unit::label || unit == schema::Unit::one;
}

// Any group, every column, for people.
Section raw_section(const io::Table& t, const std::string& name) {
  Section s;
  s.title = "/" + name;
  for (const auto& c : t.columns)
    s.header.push_back((c.type == io::ColumnType::str ? "" : ">") + c.name + (unitless(c.units) ? "" : " [" + c.units + "]"));
  for (std::size_t i = 0; i < t.rows(); ++i) {
    std::vector<std::string> row;
    for (const auto& c : t.columns) row.push_back(c.text(i, 6));
    s.rows.push_back(std::move(row));
  }
  return s;
}

std::string attribute(const std::map<std::string, io::AttributeValue>& attrs, const char* k) {
  auto it = attrs.find(k);
  return it == attrs.end() ? std::string("?") : io::attribute_text(it->second);
}

io::Table table_or_empty(const std::string& path, const schema::TableSpec& table) {
  return io::has_group(path, table.path()) ? io::read_table(path, table.path()) : io::Table{};
}

void print_json(std::ostream& os, const std::string& path, const std::map<std::string, io::AttributeValue>& attrs,
                const std::vector<std::string>& groups, const ReportCounts& counts) {
  os << "{\n  \"file\": " << json_string(path) << ",\n  \"attributes\": {";
  bool first = true;
  for (const auto& [k, v] : attrs) {
    os << (first ? "\n    " : ",\n    ") << json_string(k) << ": ";
    if (const auto* s = std::get_if<std::string>(&v)) os << json_string(*s);
    else if (const auto* i = std::get_if<std::int64_t>(&v)) os << *i;
    else os << json_number(std::get<double>(v));
    first = false;
  }
  os << "\n  },\n  \"reference_summary\": {\"references\": " << counts.references
     << ", \"within_tolerance\": " << counts.references - counts.failed << "},\n  \"tables\": {";
  first = true;
  for (const auto& g : groups) {
    os << (first ? "\n    " : ",\n    ") << json_string(g) << ": ";
    print_json_table(os, io::read_table(path, "/" + g), "    ");
    first = false;
  }
  os << "\n  }\n}\n";
}

}  // namespace

ReportCounts print_reference(std::ostream& os, const std::string& path) {
  ReportCounts counts;
  print_section(os, reference_section(io::read_table(path, rc::table().path()), counts), Format::text);
  return counts;
}

ReportCounts print_report(std::ostream& os, const std::string& path, const ReportOptions& options) {
  require_result_file(path);
  const auto attrs = io::read_attributes(path);
  const io::Table ref = table_or_empty(path, rc::table());
  ReportCounts counts = count_references(ref);

  if (options.format == Format::json) {
    std::vector<std::string> groups = io::list_groups(path);
    if (!options.table.empty()) {
      if (!io::has_group(path, "/" + options.table)) throw io::IoError(path + ": has no group /" + options.table);
      groups = {options.table};
    }
    print_json(os, path, attrs, groups, counts);
    return counts;
  }
  if (options.format == Format::csv) {
    print_csv(os, io::read_table(path, options.table.empty() ? col::table().path() : "/" + options.table));
    return counts;
  }
  if (!options.table.empty()) {
    print_section(os, raw_section(io::read_table(path, "/" + options.table), options.table), options.format);
    return counts;
  }

  const bool md = options.format == Format::markdown;
  const std::string head = "Study " + attribute(attrs, schema::attr::study_name) + " (" + attribute(attrs, schema::attr::study_kind) +
                           "): " + attribute(attrs, schema::attr::study_title);
  const std::string prov = "waferbench " + attribute(attrs, schema::attr::waferbench_version) + " (" + attribute(attrs, schema::attr::git_commit) +
                           "), " + attribute(attrs, schema::attr::mpi_ranks) + " MPI ranks, Kokkos " +
                           attribute(attrs, schema::attr::kokkos_execution_space) + ", " + attribute(attrs, schema::attr::created_utc);
  if (md) os << "## " << head << "\n\n" << prov << "\n\n";
  else os << head << "\n" << prov << "\n\n";

  const io::Table sc = table_or_empty(path, col::table());
  if (sc.rows() > 0) {
    print_section(os, memory_section(sc), options.format);
    if (!md) os << "\n";
    for (const Section& part : {time_section(sc), breakdown_section(sc), inference_section(sc)}) {
      if (part.rows.empty()) continue;
      print_section(os, part, options.format);
      if (!md) os << "\n";
    }
  }
  const io::Table fb = table_or_empty(path, fc::table());
  if (fb.rows() > 0) {
    print_section(os, fabric_section(fb), options.format);
    if (!md) os << "\n";
  }
  const auto it = attrs.find(schema::attr::assumptions);
  if (it != attrs.end() && !io::attribute_text(it->second).empty()) {
    Section a;
    a.title = "Assumptions";
    const std::string text = io::attribute_text(it->second);
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      a.notes.push_back((md ? "- " : "  - ") + text.substr(start, end - start));
      start = end + 1;
    }
    if (md) {
      os << "### Assumptions\n\n";
      for (const auto& n : a.notes) os << n << "\n";
      os << "\n";
    } else {
      print_section(os, a, options.format);
      os << "\n";
    }
  }
  print_section(os, reference_section(ref, counts), options.format);
  return counts;
}

}  // namespace wb::study::record
