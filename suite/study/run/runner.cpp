#include "study/run/runner.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <thread>

#include "io/build_info.hpp"
#include "io/file_source.hpp"
#include "io/hdf5_file.hpp"
#include "io/stop_request.hpp"
#include "study/run/checkpoint.hpp"
#include "study/run/dealing.hpp"
#include "study/run/evaluator.hpp"
#include "study/run/fabric_runner.hpp"
#include "study/run/progress.hpp"
#include "study/run/provenance.hpp"
#include "study/run/reference_rows.hpp"
#include "study/schema/reference.hpp"
#include "study/schema/result_file.hpp"

namespace wb::study::run {

namespace {

// What checkpoint records belong to: a resume with anything else is refused.
std::string checkpoint_key(const plan::Study& study, const RunOptions& options) {
  std::string key = std::string("waferbench ") + io::waferbench_version() + " " + io::git_commit() + "\nslice " +
                    std::to_string(options.slice_index) + "/" + std::to_string(options.slice_count) + "\ncolumns";
  for (const schema::ColumnSpec* c : schema::scenarios::table().columns()) key += std::string(" ") + c->name;
  return key + "\nfabric_cache " + study.fabric_cache_path + "\n" + study.text;
}

// The notes of every rank's scenarios, in scenario order (ranks hold contiguous blocks), on every
// rank. Collective.
std::vector<std::string> gather_notes(MPI_Comm comm, const std::vector<std::string>& mine) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  std::vector<std::string> all;
  for (int r = 0; r < ranks; ++r) {
    std::string packed;
    if (r == rank)
      for (const auto& n : mine) packed += n + '\n';
    std::int64_t size = static_cast<std::int64_t>(packed.size());
    MPI_Bcast(&size, 1, MPI_INT64_T, r, comm);
    packed.resize(static_cast<std::size_t>(size));
    if (size > 0) MPI_Bcast(packed.data(), static_cast<int>(size), MPI_CHAR, r, comm);
    for (std::size_t start = 0; start < packed.size();) {
      const std::size_t end = packed.find('\n', start);
      all.push_back(packed.substr(start, end - start));
      start = end + 1;
    }
  }
  return all;
}

// Writes the result file: the root attributes, /scenarios, /reference and the per-scenario
// tables. Collective.
void write_result(MPI_Comm comm, const plan::Study& study, const RunOptions& options, std::int64_t slice_first,
                  std::int64_t slice_size, std::int64_t first, const std::vector<Row>& rows,
                  const std::vector<std::string>& notes, const std::vector<std::string>& groups,
                  const std::vector<io::Table>& tables) {
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  const std::int64_t n = static_cast<std::int64_t>(study.scenarios.size());
  // A slice's references may aggregate scenarios of other slices (a ratio of GPU and wafer times):
  // every rank evaluates those here too, so the slice's /reference equals the whole run's.
  std::map<std::int64_t, Row> outside;
  try {
    for (const std::int64_t idx : aggregate_terms_outside(study, slice_first, slice_first + slice_size))
      outside.emplace(idx, evaluate(study, study.scenarios[static_cast<std::size_t>(idx)]).row);
  } catch (const std::exception& e) {
    abort_job(comm, e.what());
  }
  const io::Table reference = reference_table(study, first, rows, aggregate_predictions(comm, study, first, rows, outside));
  const std::string assumptions = scenario_assumptions(study, gather_notes(comm, notes));

  io::ResultFileWriter out(comm, options.output_path, options.overwrite);
  const auto table = [&](const std::string& path, const io::Table& t) {
    if (options.inject_delay_s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(options.inject_delay_s));
    out.write_table(path, t);
  };
  write_root_attributes(out, study, options, ranks, assumptions);
  if (options.slice_count > 1) out.attribute(schema::attr::study_scenarios, n);
  table(schema::scenarios::table().path(), schema::scenarios::make_table(rows));
  table(schema::reference::table().path(), reference);
  for (std::size_t g = 0; g < groups.size(); ++g) table("/" + groups[g], tables[g]);
  out.commit();
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

RunSummary run_study(MPI_Comm comm, const plan::Study& study, const RunOptions& options) {
  if (!study.validated)
    throw std::logic_error("run_study: the study " + study.name + " has not been validated (run::validate)");
  // A fabric case uses every rank at once (domain decomposition), not one scenario per rank.
  if (study.kind == plan::StudyKind::fabric) return run_fabric_study(comm, study, options);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const std::int64_t n = static_cast<std::int64_t>(study.scenarios.size());

  // An output that cannot be written is refused before any work is done; the file itself is
  // created once the results are complete, so an interrupted run leaves none.
  io::ResultFileWriter::check_target(comm, options.output_path, options.overwrite);

  if (options.slice_count < 1 || options.slice_index < 0 || options.slice_index >= options.slice_count)
    throw std::invalid_argument("run_study: slice " + std::to_string(options.slice_index) + "/" +
                                std::to_string(options.slice_count) + " is out of range");
  const auto [slice_first, slice_size] = block_of(n, options.slice_index, options.slice_count);
  const auto [block_first, count] = block_of(slice_size, rank, ranks);
  const std::int64_t first = slice_first + block_first;
  std::vector<Row> rows;
  std::vector<std::string> notes;
  rows.reserve(static_cast<std::size_t>(count));
  const std::vector<std::string> groups = per_scenario_groups(study);
  std::vector<io::Table> tables;
  for (const auto& g : groups) tables.push_back(schema::per_scenario_table(g)->empty());
  // Rank 0 decides (its stderr is the user's terminal); every rank must agree.
  int progress_on = options.progress ? 1 : 0;
  MPI_Bcast(&progress_on, 1, MPI_INT, 0, comm);
  Progress progress(comm, slice_size, count, progress_on != 0);
  // Evaluation is rank-local: a failure here is seen by this rank alone while the others go on
  // to collective writes. Unwinding would run the writer's collective close and hang the job, so
  // the job ends here, at once, with the rank and the reason.
  const std::string partial_dir = options.output_path + ".partial";
  int attempt = 0;
  const std::map<std::int64_t, std::string> saved = open_checkpoints(
      comm, partial_dir, checkpoint_key(study, options), options.resume, options.overwrite, attempt);
  io::StopRequest stop(comm);
  const std::string resume_hint =
      options.scratch_output
          ? std::string("waferbench: interrupted; without -o nothing is kept: run it with -o FILE to be able to --resume\n")
          : "waferbench: interrupted; finished scenarios are saved in " + partial_dir +
                "; run the same command with --resume to complete the study\n";
  io::StopRequest::set_last_words(resume_hint);
  std::int64_t reused = 0;
  try {
    CheckpointWriter checkpoint(partial_dir, attempt, rank, options.checkpoint_interval_s);
    // Usually each rank evaluates its own block. In distributed studies (time: {distributed: true})
    // every rank takes part in every scenario's simulation and the owner of its row keeps it.
    const bool distributed = study.time.distributed;
    const std::int64_t begin = distributed ? slice_first : first;
    const std::int64_t end = distributed ? slice_first + slice_size : first + count;
    for (std::int64_t index = begin; index < end; ++index) {
      // Slurm's time limit or Ctrl-C: leave the loop at a scenario boundary, on every rank (a
      // distributed scenario needs all of them, so they decide together).
      if (distributed ? stop.requested_everywhere() : stop.requested()) break;
      if (rank == options.inject_fault_rank) throw std::runtime_error("fault injected for testing (--inject-fault)");
      const bool mine = index >= first && index < first + count;
      const plan::ScenarioSpec& spec = study.scenarios[static_cast<std::size_t>(index)];
      ScenarioResult result;
      if (auto it = saved.find(index); it != saved.end()) {  // the same on every rank
        if (!mine) continue;
        result = decode_result(it->second, groups);
        ++reused;
      } else {
        if (options.inject_delay_s > 0)
          std::this_thread::sleep_for(std::chrono::duration<double>(options.inject_delay_s));
        result = evaluate(study, spec, distributed ? comm : MPI_COMM_SELF);
        if (!mine) continue;
        checkpoint.add(index, encode_result(result, groups));
      }
      rows.push_back(std::move(result.row));
      notes.insert(notes.end(), result.notes.begin(), result.notes.end());
      for (std::size_t g = 0; g < groups.size(); ++g) {
        auto it = result.tables.find(groups[g]);
        if (it != result.tables.end()) schema::append_rows(tables[g], it->second);
      }
      progress.advance(index - first + 1);
    }
  } catch (const std::exception& e) {
    abort_job(comm, e.what());
  }
  progress.finish();
  // Every rank has flushed its checkpoint (above, leaving the loop's scope) before rank 0 says so.
  if (stop.agree()) {
    if (rank == 0) std::fputs(resume_hint.c_str(), stderr);
    std::fflush(stderr);
    throw io::Interrupted(stop.exit_status());
  }
  std::int64_t reused_all = 0;
  MPI_Reduce(&reused, &reused_all, 1, MPI_INT64_T, MPI_SUM, 0, comm);
  if (rank == 0 && reused_all > 0)
    std::fprintf(stderr, "waferbench: resumed: %lld of %lld scenarios taken from %s\n",
                 static_cast<long long>(reused_all), static_cast<long long>(slice_size), partial_dir.c_str());

  // Rank-local evaluations are over: from here every failure (a full disk) is met by every rank
  // alike, and the checkpoints stay for --resume.
  try {
    write_result(comm, study, options, slice_first, slice_size, first, rows, notes, groups, tables);
  } catch (const io::IoError& e) {
    throw io::IoError(std::string(e.what()) + "; the result was not written (an existing one is untouched); the "
                      "finished scenarios are kept in " + partial_dir +
                      ": once the cause is fixed, run the same command with --resume");
  }
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

}  // namespace wb::study::run
