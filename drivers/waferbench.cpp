// waferbench: one executable, subcommands.
//   waferbench run STUDY.yaml [-o FILE.h5]     simulate a study (under mpirun for several ranks)
//   waferbench list models|systems|...|strategies  what the inputs directory holds, strategy words
//   waferbench report FILE.h5                  print a result file (text, csv, json, markdown)
//   waferbench compare A.h5 B.h5               what changed between two runs
//   waferbench merge OUT.h5 PARTS.h5...        join the slices of a study (run --slice K/N)
//   waferbench calibrate [-o FILE.yaml]        measure this machine, write a node description
//   waferbench import-model config.json        a Hugging Face config as a model file
// Exit codes: 0 success, 2 bad input or unusable file, 3 `run --check` found a reference miss or
// `compare` found a change, 1 internal error.
#include <mpi.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <Kokkos_Core.hpp>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "adhoc_study.hpp"
#include "calibrate_command.hpp"
#include "import_model_command.hpp"
#include "layout_export.hpp"
#include "list_command.hpp"
#include "timeline_trace.hpp"
#include "gpu/hardware.hpp"
#include "io/build_info.hpp"
#include "io/error.hpp"
#include "io/file_source.hpp"
#include "io/hdf5_file.hpp"
#include "io/output_lock.hpp"
#include "io/stop_request.hpp"
#include "model/transformer.hpp"
#include "study/plan/catalog.hpp"
#include "study/record/compare_runs.hpp"
#include "study/record/merge.hpp"
#include "study/record/report.hpp"
#include "study/run/dealing.hpp"
#include "study/run/evaluator.hpp"
#include "study/run/runner.hpp"
#include "study/plan/study.hpp"

namespace {

namespace fs = std::filesystem;

int g_rank = 0;

// Prints only on rank 0.
void say(const std::string& text) {
  if (g_rank == 0) std::cout << text << std::flush;
}

struct RunArgs {
  std::string study;                    // a file, or "-" for standard input
  std::vector<std::string> scenarios;   // --scenario: an ad-hoc study instead
  wb::driver::AdhocWorkload workload;
  std::string output;
  std::string inputs;
  std::string slice;  // "K/N"
  std::string fabric_cache;
  bool force = false;
  bool quiet = false;
  bool progress = false;
  bool check = false;
  int inject_fault_rank = -1;
  bool resume = false;
  double inject_delay_s = 0;
  double checkpoint_interval_s = 2.0;
  std::int64_t max_scenarios = wb::study::plan::kDefaultMaxScenarios;
};

// "K/N" with 0 <= K < N.
std::pair<std::int64_t, std::int64_t> parse_slice(const std::string& text) {
  const auto bad = [&] {
    return wb::io::InputError("--slice: expected K/N with 0 <= K < N (slice K of N, counted from 0), got '" + text + "'");
  };
  const auto slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size()) throw bad();
  const std::string k = text.substr(0, slash), n = text.substr(slash + 1);
  if (k.find_first_not_of("0123456789") != std::string::npos || n.find_first_not_of("0123456789") != std::string::npos ||
      k.size() > 9 || n.size() > 9)
    throw bad();
  const std::int64_t ki = std::stoll(k), ni = std::stoll(n);
  if (ni < 1 || ki >= ni) throw bad();
  return {ki, ni};
}

// Under mpirun, rank 0's stderr is a pipe to mpirun (and its stdout a pseudo-terminal whatever
// mpirun writes to), so neither says whether a person watches. mpirun's own stderr does: it is
// rank 0's parent (Linux /proc; false wherever that cannot be read, e.g. under srun).
bool launcher_stderr_is_terminal() {
  const std::string fd = "/proc/" + std::to_string(getppid()) + "/fd/2";
  char target[256] = {};
  const ssize_t n = readlink(fd.c_str(), target, sizeof target - 1);
  if (n <= 0) return false;
  const std::string t(target, static_cast<std::size_t>(n));
  return t.rfind("/dev/pts/", 0) == 0 || t.rfind("/dev/tty", 0) == 0;
}

// A study from the command line (--scenario) or standard input ("-") is printed, and written to a
// file only when -o names one: its result goes to a private directory that is removed afterwards.
struct TransientOutput {
  std::string dir;
  ~TransientOutput() {
    if (dir.empty()) return;
    MPI_Barrier(MPI_COMM_WORLD);
    std::error_code ec;
    if (g_rank == 0) fs::remove_all(dir, ec);
  }
};

std::string make_transient_dir() {
  std::string dir;
  if (g_rank == 0) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/waferbench-XXXXXX";
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a directory in " + pattern + " for the result");
    dir = pattern;
  }
  wb::io::broadcast_string(MPI_COMM_WORLD, dir);
  return dir;
}

int cmd_run(const RunArgs& a) {
  if (a.study.empty() == a.scenarios.empty())
    throw wb::io::InputError("run: give a study file, `-` (a study on standard input) or --scenario, one of them");
  wb::io::BroadcastFiles files(MPI_COMM_WORLD);
  const bool from_stdin = a.study == "-";
  wb::study::plan::Catalog catalog(wb::study::plan::resolve_inputs_dir(a.inputs, from_stdin ? "" : a.study), files);
  std::string label = a.study;
  std::optional<std::string> text;
  if (!a.scenarios.empty()) {
    label = "--scenario";
    text = wb::driver::adhoc_study_text(a.scenarios, a.workload, catalog);
  } else if (from_stdin) {
    label = "<stdin>";
    std::string in;
    if (g_rank == 0) {
      std::ostringstream os;
      os << std::cin.rdbuf();
      in = os.str();
    }
    wb::io::broadcast_string(MPI_COMM_WORLD, in);
    text = std::move(in);
  } else {
    text = files.read(a.study);
  }
  if (!text) throw wb::io::InputError(a.study + ": cannot read the study file");
  wb::study::plan::Study study = wb::study::plan::load_study(*text, label, catalog, a.max_scenarios);
  const bool transient = (from_stdin || !a.scenarios.empty()) && a.output.empty();
  if (!a.scenarios.empty()) study.name = "scenarios";
  if (from_stdin) study.name = "stdin";
  wb::study::run::validate(study);
  if (!a.fabric_cache.empty()) {
    try {
      wb::study::plan::use_fabric_cache(study, a.fabric_cache);
    } catch (const std::invalid_argument& e) {
      throw wb::io::InputError("--fabric-cache: " + std::string(e.what()));
    }
  }
  std::pair<std::int64_t, std::int64_t> slice{0, 1};
  if (!a.slice.empty()) slice = parse_slice(a.slice);
  const bool sliced = slice.second > 1;

  std::string output = a.output;
  TransientOutput scratch;
  if (transient) {
    scratch.dir = make_transient_dir();
    output = (fs::path(scratch.dir) / (study.name + ".h5")).string();
  } else if (output.empty()) {
    const std::string suffix =
        sliced ? "-slice" + std::to_string(slice.first) + "of" + std::to_string(slice.second) : std::string();
    output = (fs::path("results") / (study.name + suffix + ".h5")).string();
    if (g_rank == 0) {
      std::error_code ec;
      fs::create_directories("results", ec);
    }
    MPI_Barrier(MPI_COMM_WORLD);
  }
  // One run per output, from here to the end of the run, however it ends.
  const wb::io::OutputLock lock(MPI_COMM_WORLD, output);
  if (g_rank == 0) std::cerr << lock.notes() << std::flush;
  wb::study::run::RunOptions options;
  options.output_path = output;
  options.overwrite = a.force;
  options.progress = a.progress || (!a.quiet && (isatty(STDERR_FILENO) || launcher_stderr_is_terminal()));
  options.kokkos_execution_space = Kokkos::DefaultExecutionSpace::name();
  options.slice_index = slice.first;
  options.slice_count = slice.second;
  options.inject_fault_rank = a.inject_fault_rank;
  options.resume = a.resume;
  options.scratch_output = transient;
  options.inject_delay_s = a.inject_delay_s;
  options.checkpoint_interval_s = a.checkpoint_interval_s;
  int ranks = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  if (!a.quiet) {
    const auto n = static_cast<std::int64_t>(study.scenarios.size());
    const std::string what =
        study.kind == wb::study::plan::StudyKind::fabric
            ? (sliced ? "slice " + a.slice + ": " +
                            std::to_string(wb::study::run::block_of(static_cast<std::int64_t>(study.fabric_cases.size()),
                                                               slice.first, slice.second).second) + " of " : std::string()) +
                  std::to_string(study.fabric_cases.size()) + " fabric cases"
        : sliced ? "slice " + a.slice + ": " + std::to_string(wb::study::run::block_of(n, slice.first, slice.second).second) +
                       " of " + std::to_string(n) + " scenarios"
                 : std::to_string(n) + " scenarios";
    say("waferbench: study " + study.name + ", " + what + " on " + std::to_string(ranks) + " rank(s)\n");
  }
  const wb::study::run::RunSummary summary = wb::study::run::run_study(MPI_COMM_WORLD, study, options);

  int failed = 0;
  if (g_rank == 0) {
    std::ostringstream os;
    const auto counts = a.quiet ? wb::study::record::print_reference(os, summary.path) : wb::study::record::print_report(os, summary.path);
    failed = static_cast<int>(counts.failed);
    std::cout << os.str();
    if (!transient) std::cout << "Results: " << summary.path << "\n";
    std::cout << std::flush;
  }
  MPI_Bcast(&failed, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (a.check && failed > 0) {
    say("waferbench: " + std::to_string(failed) + " prediction(s) outside their tolerance (--check)\n");
    return 3;
  }
  return 0;
}

struct ReportArgs {
  std::string path;
  std::string format = "text";
  std::string table;
  std::string export_framework;  // deepspeed | megatron
  std::string timeline_trace;    // output path of a Chrome trace
  std::string scenario;
};

// --export and --timeline-trace: one scenario's layout or simulated step instead of the report.
int report_scenario(const ReportArgs& a) {
  if (g_rank != 0) return 0;
  if (!a.export_framework.empty()) {
    const wb::driver::LayoutExport e = wb::driver::export_layout(a.path, a.export_framework, a.scenario);
    std::cerr << "waferbench: the " << a.export_framework << " layout of " << e.scenario << "\n";
    for (const auto& note : e.notes) std::cerr << "  note: " << note << "\n";
    std::cout << e.text << std::flush;
    return 0;
  }
  const wb::driver::TraceSummary t = wb::driver::write_timeline_trace(a.path, a.scenario, a.timeline_trace);
  std::cout << "Wrote " << a.timeline_trace << ": the simulated step of " << t.scenario << ", " << t.events
            << " tasks on " << t.devices << " representative GPU(s), " << t.step_s << " s; open it in https://ui.perfetto.dev or "
            << "chrome://tracing\n" << std::flush;
  return 0;
}

int cmd_report(const ReportArgs& a) {
  if (!a.export_framework.empty() || !a.timeline_trace.empty()) return report_scenario(a);
  wb::study::record::ReportOptions options;
  options.format = wb::study::record::parse_format(a.format);
  options.table = a.table;
  if (g_rank == 0) {
    // Whole output at once: an unreadable file prints one error and nothing else.
    std::ostringstream os;
    wb::study::record::print_report(os, a.path, options);
    std::cout << os.str() << std::flush;
  }
  return 0;
}

struct CompareArgs {
  std::string a, b;
  std::string format = "text";
  double tolerance = 0;
  std::size_t max_rows = 200;
  bool include_run_info = false;
};

// Every rank reads the two files (so all fail alike on a bad one); rank 0 prints.
int cmd_compare(const CompareArgs& a) {
  const wb::study::record::RunComparison c = wb::study::record::compare_runs(a.a, a.b, a.tolerance, a.include_run_info);
  if (g_rank == 0) {
    std::ostringstream os;
    wb::study::record::print_comparison(os, c, wb::study::record::parse_format(a.format), a.max_rows);
    std::cout << os.str() << std::flush;
  }
  return c.changed() ? 3 : 0;
}

struct MergeArgs {
  std::string output;
  std::vector<std::string> parts;
  bool force = false;
};

int cmd_merge(const MergeArgs& a) {
  const wb::io::OutputLock lock(MPI_COMM_WORLD, a.output);
  if (g_rank == 0) std::cerr << lock.notes() << std::flush;
  const auto summary = wb::study::record::merge_slices(MPI_COMM_WORLD, a.parts, a.output, a.force);
  const std::string what = summary.fabric_cases > 0 ? std::to_string(summary.fabric_cases) + " fabric cases"
                                                    : std::to_string(summary.scenarios) + " scenarios";
  say("waferbench: merged " + std::to_string(summary.parts) + " slice(s), " + what + ", into " + summary.path + "\n");
  return 0;
}

int dispatch(int argc, char** argv) {
  CLI::App app{"waferbench: LLM training time and memory on GPU clusters vs wafer-scale systems, by simulation.\n"
               "Run a study with `waferbench run inputs/studies/seed_memory.yaml` (under mpirun or srun for several "
               "ranks),\nprint it again with `waferbench report`, plot it with `/usr/bin/python3 "
               "results/plot/figures.py FILE.h5`,\nsubmit it to Slurm with `sbatch slurm/study.sbatch STUDY.yaml` "
               "(slurm/README.md)."};
  app.set_version_flag("--version", std::string("waferbench ") + wb::io::waferbench_version() + " (" +
                                        wb::io::git_commit() + ")");
  app.require_subcommand(1);

  RunArgs run_args;
  auto* run = app.add_subcommand("run", "Simulate a study and write its results to HDF5.\n"
                                        "Example: mpirun -np 2 waferbench run inputs/studies/seed_memory.yaml -o seed.h5");
  run->add_option("study", run_args.study,
                  "Study file (inputs/studies/*.yaml), or - to read the study from standard input");
  run->add_option("--scenario", run_args.scenarios,
                  "Run this scenario instead of a study file (repeatable): <model>@<system>x<count>[/<layout>], "
                  "the id of a result row, e.g. cerebras-gpt-13b@dgx-a100-40gbx8/best or "
                  "cerebras-gpt-13b@cs-2x4/weight-streaming (no layout: GPUs best, wafers auto). Prints the report; "
                  "writes a file only with -o")
      ->type_name("ID");
  run->add_option("--task", run_args.workload.task, "With --scenario: train (default) or infer");
  run->add_option("--seq-len", run_args.workload.seq_len,
                  "With --scenario: tokens per sequence (default the model's published run)")
      ->check(CLI::PositiveNumber);
  run->add_option("--global-batch", run_args.workload.global_batch,
                  "With --scenario: sequences per optimizer step (default: the model's published batch on every "
                  "machine compared; for inference, requests in flight)")
      ->check(CLI::PositiveNumber);
  run->add_option("--tokens", run_args.workload.tokens,
                  "With --scenario: tokens to train on (default the model's published run)")
      ->check(CLI::PositiveNumber);
  run->add_option("--prompt-tokens", run_args.workload.prompt_tokens, "With --scenario --task infer: prompt length")
      ->check(CLI::PositiveNumber);
  run->add_option("--output-tokens", run_args.workload.output_tokens, "With --scenario --task infer: tokens generated")
      ->check(CLI::PositiveNumber);
  run->add_option("--framework", run_args.workload.framework,
                  "With --scenario: the software the GPU side runs (inputs/frameworks/: deepspeed, megatron-lm, fsdp, "
                  "...; default the study default); the search ranks only layouts it can run");
  run->add_option("-o,--output", run_args.output,
                  "Result file (default results/<study>.h5; with --scenario or -, none unless given)");
  run->add_option("--inputs", run_args.inputs,
                  "Inputs directory with models/ systems/ frameworks/ (default: the study's, $WAFERBENCH_INPUTS, or the "
                  "bundled one)");
  run->add_option("--slice", run_args.slice,
                  "Run only slice K of N (K counted from 0) of the study's scenarios (or fabric cases), e.g. one task of a Slurm job "
                  "array; join the slices' files with `waferbench merge` (default output results/<study>-sliceKofN.h5)");
  run->add_option("--fabric-cache", run_args.fabric_cache,
                  "Fabric layer-cache result (.h5) for wafer layer cycles; replaces the study's fabric_cache key")
      ->type_name("FILE");
  run->add_flag("--force", run_args.force, "Replace the result file if it exists");
  run->add_flag("-q,--quiet", run_args.quiet,
                "Print only the comparison with published values, and no progress bar");
  run->add_flag("--progress", run_args.progress,
                "Draw the progress bar (scenarios done of all ranks, elapsed, estimate) on stderr even when it is "
                "not a terminal; by default it is drawn only on a terminal");
  run->add_flag("--check", run_args.check, "Exit with status 3 when a prediction misses its published tolerance");
  run->add_flag("--resume", run_args.resume,
                "Finish a run that was interrupted (time limit, kill): reuse the scenarios saved in <output>.partial/ (not for fabric studies: run those in slices)");
  run->add_option("--checkpoint-interval", run_args.checkpoint_interval_s,
                  "Seconds between checkpoint writes of finished scenarios (default 2; SIGTERM also writes)")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--max-scenarios", run_args.max_scenarios,
                  "Largest study, in scenarios, to expand (default " +
                      std::to_string(wb::study::plan::kDefaultMaxScenarios) +
                      "); a larger one stops before it is expanded, naming the sweep and its count. Each scenario "
                      "takes memory on every rank")
      ->check(CLI::PositiveNumber);
  run->add_option("--inject-fault", run_args.inject_fault_rank, "Testing aid: make this rank fail")->group("");
  run->add_option("--inject-delay", run_args.inject_delay_s,
                  "Testing aid: seconds to sleep before each scenario (or fabric case) and each table written")
      ->group("");

  wb::driver::ListArgs list_args;
  auto* list = wb::driver::add_list_command(app, list_args);

  ReportArgs report_args;
  auto* report = app.add_subcommand(
      "report",
      "Print a result file: scenarios and the comparison with published values, as aligned text, Markdown (for "
      "papers), CSV or JSON (raw values in SI units, for scripts).\n"
      "Example: waferbench report results/seed_memory.h5 --format csv > seed_memory.csv\n"
      "Example: waferbench report results/seed_finetune_search.h5 --export deepspeed > ds_config.json");
  report->add_option("file", report_args.path, "Result file (.h5)")->required();
  report->add_option("--format", report_args.format, "text (default) | markdown | csv | json")
      ->check(CLI::IsMember({"text", "markdown", "csv", "json"}));
  report->add_option("--table", report_args.table,
                     "Print one group with every column (scenarios, reference, timeline, ...); CSV prints "
                     "scenarios by default, JSON every group");
  auto* export_opt = report->add_option(
      "--export", report_args.export_framework,
      "Print one GPU training scenario's layout for its framework instead of the report: deepspeed (a "
      "ds_config.json: ZeRO stage, offload, micro-batch, gradient accumulation) or megatron (the argument line: "
      "tp, pp, virtual stages, micro/global batch, recompute); notes on stderr")
      ->check(CLI::IsMember({"deepspeed", "megatron"}));
  report->add_option("--timeline-trace", report_args.timeline_trace,
                     "Write one scenario's simulated step (/timeline) as a Chrome trace, for Perfetto or "
                     "chrome://tracing")
      ->type_name("OUT.json")
      ->excludes(export_opt);
  report->add_option("--scenario", report_args.scenario,
                     "The scenario for --export (default: the fitting GPU training scenario that trains fastest) or "
                     "--timeline-trace (default: the first with a timeline)");

  CompareArgs compare_args;
  auto* compare = app.add_subcommand(
      "compare",
      "Show what changed between two result files: scenarios matched by id, every metric that differs with its "
      "relative change, scenarios added or removed, reference checks, per-scenario tables.\n"
      "Exit status: 0 no change, 3 changes found, 2 a file cannot be read, is damaged or is not a result file.\n"
      "Example: waferbench compare results/seed_memory.h5 new/seed_memory.h5 --tolerance 0.001");
  compare->add_option("a", compare_args.a, "Result file A (before)")->required();
  compare->add_option("b", compare_args.b, "Result file B (after)")->required();
  compare->add_option("--format", compare_args.format, "text (default) | markdown | csv | json")
      ->check(CLI::IsMember({"text", "markdown", "csv", "json"}));
  compare->add_option("--tolerance", compare_args.tolerance,
                      "Relative change below which numbers count as unchanged (default 0: exact)")
      ->check(CLI::NonNegativeNumber);
  compare->add_option("--max-rows", compare_args.max_rows, "Changes listed in text and Markdown (default 200)");
  compare->add_flag("--include-run-info", compare_args.include_run_info,
                    "Compare also what describes the runs rather than their results: the run attributes (ranks, "
                    "time written, slices) and run-environment columns (wall times); left aside by default, so a "
                    "resumed run compares as the same as an uninterrupted one (docs/results.md)");

  MergeArgs merge_args;
  auto* merge = app.add_subcommand(
      "merge",
      "Join the result files of the slices of one study (waferbench run --slice K/N) into the file a single run "
      "of the whole study writes. Every slice 0..N-1 must be given once, in any order.\n"
      "Example: waferbench merge results/big.h5 parts/big-slice*.h5");
  merge->add_option("output", merge_args.output, "Merged result file (.h5)")->required();
  merge->add_option("parts", merge_args.parts, "The slices' result files")->required();
  merge->add_flag("--force", merge_args.force, "Replace the merged file if it exists");

  wb::driver::CalibrateArgs calibrate_args;
  auto* calibrate = wb::driver::add_calibrate_command(app, calibrate_args);
  wb::driver::ImportModelArgs import_args;
  auto* import_model = wb::driver::add_import_model_command(app, import_args);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (g_rank == 0) return app.exit(e);
    return e.get_exit_code() == 0 ? 0 : 2;
  }
  if (*run) return cmd_run(run_args);
  if (*list) return wb::driver::run_list(list_args);
  if (*report) return cmd_report(report_args);
  if (*compare) return cmd_compare(compare_args);
  if (*merge) return cmd_merge(merge_args);
  if (*import_model) return wb::driver::run_import_model(import_args);
  if (*calibrate) {
    std::string command_line;
    for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
    return wb::driver::run_calibrate(calibrate_args, command_line);
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  int status = 0;
  // Kokkos answers --help with its own option list; waferbench's help is CLI11's. So Kokkos sees
  // the arguments without the help flags, CLI11 sees them without Kokkos' own (--kokkos-*).
  std::vector<char*> kokkos_args, app_args;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i == 0 || (arg != "--help" && arg != "-h")) kokkos_args.push_back(argv[i]);
    if (i == 0 || arg.rfind("--kokkos-", 0) != 0) app_args.push_back(argv[i]);
  }
  int kokkos_argc = static_cast<int>(kokkos_args.size());
  kokkos_args.push_back(nullptr);
  app_args.push_back(nullptr);
  {
    Kokkos::ScopeGuard kokkos(kokkos_argc, kokkos_args.data());
    try {
      status = dispatch(static_cast<int>(app_args.size()) - 1, app_args.data());
    } catch (const wb::io::Interrupted& e) {
      // Stopped on a signal: the work done is saved and rank 0 has said how to go on.
      status = e.status();
    } catch (const wb::io::InputError& e) {
      // Every rank parsed the same bytes and failed alike; one message is enough.
      if (g_rank == 0) std::cerr << "waferbench: error: " << e.what() << "\n";
      status = 2;
    } catch (const wb::io::IoError& e) {
      if (g_rank == 0) std::cerr << "waferbench: error: " << e.what() << "\n";
      status = 2;
    } catch (const std::exception& e) {
      // Something only this rank saw: end the whole job rather than leave the others waiting.
      std::cerr << "waferbench: internal error on rank " << g_rank << ": " << e.what() << "\n" << std::flush;
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
  }
  if (wb::io::hdf5_unclosed_file()) {
    // A write failed so badly that HDF5 could not close the file; MPI_Finalize finalises HDF5,
    // which would crash on that handle. The message is out; leave with its status.
    std::fflush(nullptr);
    std::_Exit(status);
  }
  MPI_Finalize();
  return status;
}
