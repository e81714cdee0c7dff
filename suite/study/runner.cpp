#include "study/runner.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <filesystem>
#include <thread>
#include <stdexcept>

#include "io/build_info.hpp"
#include "io/file_source.hpp"
#include "io/hdf5_file.hpp"
#include "io/utc.hpp"
#include "study/checkpoint.hpp"
#include "study/evaluate.hpp"
#include "study/extra_tables.hpp"
#include "study/progress.hpp"
#include "study/fabric_runner.hpp"
#include "study/reference.hpp"
#include "study/reference_aggregate.hpp"

namespace wb::study {

std::pair<std::int64_t, std::int64_t> block_of(std::int64_t n, std::int64_t rank, std::int64_t ranks) {
  const std::int64_t begin = n * rank / ranks;
  const std::int64_t end = n * (rank + 1) / ranks;
  return {begin, end - begin};
}

namespace {

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

// Every input figure the scenarios used that was measured on a machine (`waferbench calibrate`),
// one per line, in the same form as the assumptions.
std::string measured_text(const Study& study) {
  std::string out;
  std::vector<std::string> seen;
  auto add = [&](const io::Provenance& p) {
    for (const auto& line : p.measured())
      if (std::find(seen.begin(), seen.end(), line) == seen.end()) {
        seen.push_back(line);
        out += line + "\n";
      }
  };
  for (const auto& sc : study.scenarios) {
    if (const auto* n = sc.system->node()) add(n->provenance);
    if (sc.host) add(sc.host->node()->provenance);
  }
  return out;
}

}  // namespace

// What checkpoint records belong to: a resume with anything else is refused.
std::string checkpoint_key(const Study& study, const RunOptions& options) {
  std::string key = std::string("waferbench ") + io::waferbench_version() + " " + io::git_commit() + "\nslice " +
                    std::to_string(options.slice_index) + "/" + std::to_string(options.slice_count) + "\ncolumns";
  for (const auto& c : scenario_columns()) key += std::string(" ") + c.name;
  return key + "\nfabric_cache " + study.fabric_cache_path + "\n" + study.text;
}

// Prepares `<output>.partial/` on rank 0 and tells every rank the attempt number, or fails on
// every rank alike. Returns the checkpoint records to reuse (all ranks get them).
std::map<std::int64_t, std::string> open_checkpoints(MPI_Comm comm, const std::string& dir, const std::string& key,
                                                     const RunOptions& options, int& attempt) {
  namespace fs = std::filesystem;
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string error, records;
  int verdict = 0;  // 0 ok, 1 error
  if (rank == 0) {
    std::error_code ec;
    const bool exists = fs::exists(dir, ec);
    if (exists && !options.resume && !options.overwrite) {
      error = dir + ": an interrupted run of this output left its checkpoints here; pass --resume to finish it, "
                    "or --force to start over";
    } else if (exists && options.resume) {
      std::ifstream in(fs::path(dir) / "study.key", std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      if (ss.str() != key)
        error = dir + ": the checkpoints belong to another study, slice or waferbench build; pass --force "
                      "(without --resume) to start over";
    } else if (exists) {
      fs::remove_all(dir, ec);
    }
    if (error.empty()) {
      fs::create_directories(dir, ec);
      std::ofstream(fs::path(dir) / "study.key", std::ios::binary | std::ios::trunc) << key;
      if (ec || !fs::is_directory(dir)) error = dir + ": cannot create the checkpoint directory";
    }
    if (error.empty()) {
      attempt = next_attempt(dir);
      for (const auto& [idx, bytes] : read_checkpoints(dir)) {
        const std::uint64_t i = static_cast<std::uint64_t>(idx), n = bytes.size();
        records.append(reinterpret_cast<const char*>(&i), 8).append(reinterpret_cast<const char*>(&n), 8) += bytes;
      }
    }
    verdict = error.empty() ? 0 : 1;
  }
  MPI_Bcast(&verdict, 1, MPI_INT, 0, comm);
  if (verdict) {
    io::broadcast_string(comm, error);
    throw io::IoError(error);
  }
  MPI_Bcast(&attempt, 1, MPI_INT, 0, comm);
  io::broadcast_string(comm, records);
  std::map<std::int64_t, std::string> out;
  for (std::size_t pos = 0; pos + 16 <= records.size();) {
    std::uint64_t i, n;
    std::memcpy(&i, records.data() + pos, 8);
    std::memcpy(&n, records.data() + pos + 8, 8);
    out[static_cast<std::int64_t>(i)] = records.substr(pos + 16, n);
    pos += 16 + n;
  }
  return out;
}

void abort_job(MPI_Comm comm, const std::string& why) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::fprintf(stderr, "waferbench: error on rank %d: %s; ending the job\n", rank, why.c_str());
  std::fflush(stderr);
  MPI_Abort(comm, 1);
  std::abort();  // MPI_Abort does not return; this keeps the promise if it did
}

void write_root_attributes(io::ResultFileWriter& out, const Study& study, const RunOptions& options, int ranks,
                           const std::string& assumptions) {
  out.attribute("schema_version", kResultsSchemaVersion);
  out.attribute("waferbench_version", std::string(io::waferbench_version()));
  out.attribute("git_commit", std::string(io::git_commit()));
  out.attribute("mpi_ranks", static_cast<std::int64_t>(ranks));
  out.attribute("kokkos_execution_space", options.kokkos_execution_space);
  out.attribute("created_utc", io::utc_now());
  out.attribute("study_name", study.name);
  out.attribute("study_kind", std::string(to_string(study.kind)));
  out.attribute("study_title", study.title);
  out.attribute("study_yaml", study.text);
  out.attribute("assumptions", assumptions);
  out.attribute("measured_inputs", measured_text(study));
  if (!study.fabric_cache_path.empty()) out.attribute("fabric_cache", study.fabric_cache_path);
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
  const std::string partial_dir = options.output_path + ".partial";
  int attempt = 0;
  const std::map<std::int64_t, std::string> saved =
      open_checkpoints(comm, partial_dir, checkpoint_key(study, options), options, attempt);
  install_stop_handlers();
  std::int64_t reused = 0;
  try {
    CheckpointWriter checkpoint(partial_dir, attempt, rank, options.checkpoint_interval_s);
    // Usually each rank evaluates its own block. In distributed studies (time: {distributed: true})
    // every rank takes part in every scenario's simulation and the owner of its row keeps it.
    const bool distributed = study.time.distributed;
    const std::int64_t begin = distributed ? slice_first : first;
    const std::int64_t end = distributed ? slice_first + slice_size : first + count;
    for (std::int64_t index = begin; index < end; ++index) {
      if (rank == options.inject_fault_rank) throw std::runtime_error("fault injected for testing (--inject-fault)");
      const bool mine = index >= first && index < first + count;
      ScenarioResult result;
      if (auto it = saved.find(index); it != saved.end()) {  // the same on every rank
        if (!mine) continue;
        result = decode_result(it->second, groups);
        ++reused;
      } else {
        if (options.inject_delay_s > 0)
          std::this_thread::sleep_for(std::chrono::duration<double>(options.inject_delay_s));
        result = distributed ? evaluate(study, study.scenarios[static_cast<std::size_t>(index)], comm)
                             : evaluate(study, study.scenarios[static_cast<std::size_t>(index)]);
        if (!mine) continue;
        checkpoint.add(index, encode_result(result, groups));
      }
      const std::int64_t i = index - first;
      if (stop_requested()) {
        // Slurm's time limit or Ctrl-C: keep what is done, say how to go on, leave at once (no
        // collective: the other ranks got the signal too and leave the same way).
        checkpoint.flush();
        if (rank == 0)
          std::fprintf(stderr, "waferbench: interrupted; finished scenarios are saved in %s; run the same command "
                               "with --resume to complete the study\n", partial_dir.c_str());
        std::fflush(stderr);
        std::_Exit(143);
      }
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
  std::int64_t reused_all = 0;
  MPI_Reduce(&reused, &reused_all, 1, MPI_INT64_T, MPI_SUM, 0, comm);
  if (rank == 0 && reused_all > 0)
    std::fprintf(stderr, "waferbench: resumed: %lld of %lld scenarios taken from %s\n",
                 static_cast<long long>(reused_all), static_cast<long long>(slice_size), partial_dir.c_str());

  write_root_attributes(out, study, options, ranks, assumptions_text(study));
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
  // The result is in place: the checkpoints have served.
  MPI_Barrier(comm);
  if (rank == 0) {
    std::error_code ec;
    std::filesystem::remove_all(partial_dir, ec);
  }

  RunSummary summary;
  summary.path = options.output_path;
  summary.scenarios = slice_size;
  for (const auto& ref : study.references)
    if (ref.scenario_index >= slice_first && ref.scenario_index < slice_first + slice_size) summary.references++;
  return summary;
}

}  // namespace wb::study
