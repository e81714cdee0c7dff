#include "study/runner.hpp"

#include <map>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <stdexcept>

#include "io/build_info.hpp"
#include "io/hdf5_file.hpp"
#include "study/evaluate.hpp"
#include "study/extra_tables.hpp"
#include "study/progress.hpp"
#include "study/reference.hpp"
#include "study/reference_aggregate.hpp"

namespace wb::study {

std::pair<std::int64_t, std::int64_t> block_of(std::int64_t n, std::int64_t rank, std::int64_t ranks) {
  const std::int64_t begin = n * rank / ranks;
  const std::int64_t end = n * (rank + 1) / ranks;
  return {begin, end - begin};
}

namespace {

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Study assumptions, then every input figure flagged as an assumption, one per line.
std::string assumptions_text(const Study& study) {
  std::string out;
  for (const auto& a : study.assumptions) out += a + "\n";
  std::vector<std::string> seen;
  auto add_prov = [&](const io::Provenance& p) {
    for (const auto& line : p.assumptions()) {
      bool dup = false;
      for (const auto& s : seen) dup = dup || s == line;
      if (!dup) {
        seen.push_back(line);
        out += line + "\n";
      }
    }
  };
  for (const auto& sc : study.scenarios) {
    if (const auto* w = sc.system->wafer()) {
      add_prov(w->provenance);  // a wafer scenario uses no GPU framework
      continue;
    }
    add_prov(sc.framework->provenance);
    if (const auto* g = sc.system->gpu()) add_prov(g->provenance);
    if (const auto* n = sc.system->node()) {
      add_prov(n->provenance);
      add_prov(n->gpu.provenance);
    }
    if (sc.host) add_prov(sc.host->node()->provenance);
  }
  return out;
}

}  // namespace

void abort_job(MPI_Comm comm, const std::string& why) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::fprintf(stderr, "waferbench: error on rank %d: %s; ending the job\n", rank, why.c_str());
  std::fflush(stderr);
  MPI_Abort(comm, 1);
  std::abort();  // MPI_Abort does not return; this keeps the promise if it did
}

RunSummary run_study(MPI_Comm comm, const Study& study, const RunOptions& options) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const std::int64_t n = static_cast<std::int64_t>(study.scenarios.size());

  // Open the output first: an unwritable path fails before any work is done.
  io::ResultFileWriter out(comm, options.output_path, options.overwrite);

  if (options.slice_count < 1 || options.slice_index < 0 || options.slice_index >= options.slice_count)
    throw std::invalid_argument("run_study: slice " + std::to_string(options.slice_index) + "/" +
                                std::to_string(options.slice_count) + " is out of range");
  const auto [slice_first, slice_size] = block_of(n, options.slice_index, options.slice_count);
  const auto [block_first, count] = block_of(slice_size, rank, ranks);
  const std::int64_t first = slice_first + block_first;
  std::vector<ScenarioRow> rows;
  rows.reserve(static_cast<std::size_t>(count));
  const std::vector<std::string> groups = extra_groups(study);
  std::vector<io::Table> extra;
  for (const auto& g : groups) extra.push_back(empty_table(g));
  // Rank 0 decides (its stderr is the user's terminal); every rank must agree.
  int progress_on = options.progress ? 1 : 0;
  MPI_Bcast(&progress_on, 1, MPI_INT, 0, comm);
  Progress progress(comm, slice_size, count, progress_on != 0);
  // Evaluation is rank-local: a failure here is seen by this rank alone while the others go on
  // to collective writes. Unwinding would run the writer's collective close and hang the job, so
  // the job ends here, at once, with the rank and the reason.
  try {
    for (std::int64_t i = 0; i < count; ++i) {
      if (rank == options.inject_fault_rank) throw std::runtime_error("fault injected for testing (--inject-fault)");
      ScenarioResult result = evaluate(study, study.scenarios[static_cast<std::size_t>(first + i)]);
      rows.push_back(std::move(result.row));
      for (std::size_t g = 0; g < groups.size(); ++g) {
        auto it = result.tables.find(groups[g]);
        if (it != result.tables.end()) append_rows(extra[g], it->second);
      }
      progress.advance(i + 1);
    }
  } catch (const std::exception& e) {
    abort_job(comm, e.what());
  }
  progress.finish();

  out.attribute("schema_version", kResultsSchemaVersion);
  out.attribute("waferbench_version", std::string(io::waferbench_version()));
  out.attribute("git_commit", std::string(io::git_commit()));
  out.attribute("mpi_ranks", static_cast<std::int64_t>(ranks));
  out.attribute("kokkos_execution_space", options.kokkos_execution_space);
  out.attribute("created_utc", utc_now());
  out.attribute("study_name", study.name);
  out.attribute("study_kind", std::string(to_string(study.kind)));
  out.attribute("study_title", study.title);
  out.attribute("study_yaml", study.text);
  out.attribute("assumptions", assumptions_text(study));
  if (options.slice_count > 1) {
    out.attribute("slice_index", options.slice_index);
    out.attribute("slice_count", options.slice_count);
    out.attribute("study_scenarios", n);
  }

  out.write_table("/scenarios", make_scenario_table(rows));
  // A slice's references may aggregate scenarios of other slices (a ratio of GPU and wafer times):
  // every rank evaluates those here too, so the slice's /reference equals the whole run's.
  std::map<std::int64_t, ScenarioRow> outside;
  try {
    for (const std::int64_t idx : aggregate_terms_outside(study, slice_first, slice_first + slice_size))
      outside.emplace(idx, evaluate(study, study.scenarios[static_cast<std::size_t>(idx)]).row);
  } catch (const std::exception& e) {
    abort_job(comm, e.what());
  }
  out.write_table("/reference",
                  reference_table(study, first, rows, aggregate_predictions(comm, study, first, rows, outside)));
  for (std::size_t g = 0; g < groups.size(); ++g) out.write_table("/" + groups[g], extra[g]);
  out.commit();

  RunSummary summary;
  summary.path = options.output_path;
  summary.scenarios = slice_size;
  for (const auto& ref : study.references)
    if (ref.scenario_index >= slice_first && ref.scenario_index < slice_first + slice_size) summary.references++;
  return summary;
}

}  // namespace wb::study
