#include "study/runner.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "io/build_info.hpp"
#include "io/hdf5_file.hpp"
#include "study/evaluate.hpp"
#include "study/extra_tables.hpp"
#include "study/fabric_runner.hpp"
#include "study/reference.hpp"

namespace wb::study {

std::pair<std::int64_t, std::int64_t> block_of(std::int64_t n, int rank, int ranks) {
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

void write_root_attributes(io::ResultFileWriter& out, const Study& study, const RunOptions& options, int ranks,
                           const std::string& assumptions) {
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
  out.attribute("assumptions", assumptions);
}

RunSummary run_study(MPI_Comm comm, const Study& study, const RunOptions& options) {
  // A fabric case uses every rank at once (domain decomposition), not one scenario per rank.
  if (study.kind == StudyKind::fabric) return run_fabric_study(comm, study, options);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const std::int64_t n = static_cast<std::int64_t>(study.scenarios.size());

  // Open the output first: an unwritable path fails before any work is done.
  io::ResultFileWriter out(comm, options.output_path, options.overwrite);

  const auto [first, count] = block_of(n, rank, ranks);
  std::vector<ScenarioRow> rows;
  rows.reserve(static_cast<std::size_t>(count));
  const std::vector<std::string> groups = extra_groups(study);
  std::vector<io::Table> extra;
  for (const auto& g : groups) extra.push_back(empty_table(g));
  const auto t0 = std::chrono::steady_clock::now();
  for (std::int64_t i = 0; i < count; ++i) {
    ScenarioResult result = evaluate(study, study.scenarios[static_cast<std::size_t>(first + i)]);
    rows.push_back(std::move(result.row));
    for (std::size_t g = 0; g < groups.size(); ++g) {
      auto it = result.tables.find(groups[g]);
      if (it != result.tables.end()) append_rows(extra[g], it->second);
    }
    if (options.progress && rank == 0) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double eta = elapsed / static_cast<double>(i + 1) * static_cast<double>(count - i - 1);
      std::fprintf(stderr, "\r[waferbench] %lld/%lld scenarios on rank 0 (%lld in all), %.1fs elapsed, ~%.1fs left ",
                   static_cast<long long>(i + 1), static_cast<long long>(count), static_cast<long long>(n), elapsed, eta);
    }
  }
  if (options.progress && rank == 0 && count > 0) std::fprintf(stderr, "\n");

  write_root_attributes(out, study, options, ranks, assumptions_text(study));

  out.write_table("/scenarios", make_scenario_table(rows));
  out.write_table("/reference", reference_table(study, first, rows));
  for (std::size_t g = 0; g < groups.size(); ++g) out.write_table("/" + groups[g], extra[g]);
  out.commit();

  RunSummary summary;
  summary.path = options.output_path;
  summary.scenarios = n;
  summary.references = static_cast<std::int64_t>(study.references.size());
  return summary;
}

}  // namespace wb::study
