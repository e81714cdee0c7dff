// waferbench: one executable, subcommands.
//   waferbench run STUDY.yaml [-o FILE.h5]     simulate a study (under mpirun for several ranks)
//   waferbench list models|systems|studies     what the inputs directory holds
//   waferbench report FILE.h5                  print a result file
// Exit codes: 0 success, 2 bad input or unusable file, 3 `run --check` found a reference miss,
// 1 internal error.
#include <mpi.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <Kokkos_Core.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "gpu/hardware.hpp"
#include "io/build_info.hpp"
#include "io/error.hpp"
#include "io/file_source.hpp"
#include "model/transformer.hpp"
#include "study/catalog.hpp"
#include "study/report.hpp"
#include "study/runner.hpp"
#include "study/study.hpp"

namespace {

namespace fs = std::filesystem;

int g_rank = 0;

// Prints only on rank 0.
void say(const std::string& text) {
  if (g_rank == 0) std::cout << text << std::flush;
}

struct RunArgs {
  std::string study;
  std::string output;
  std::string inputs;
  bool force = false;
  bool quiet = false;
  bool check = false;
};

int cmd_run(const RunArgs& a) {
  wb::io::BroadcastFiles files(MPI_COMM_WORLD);
  auto text = files.read(a.study);
  if (!text) throw wb::io::InputError(a.study + ": cannot read the study file");
  wb::study::Catalog catalog(wb::study::resolve_inputs_dir(a.inputs, a.study), files);
  const wb::study::Study study = wb::study::load_study(*text, a.study, catalog);

  std::string output = a.output;
  if (output.empty()) {
    output = (fs::path("results") / (study.name + ".h5")).string();
    if (g_rank == 0) {
      std::error_code ec;
      fs::create_directories("results", ec);
    }
    MPI_Barrier(MPI_COMM_WORLD);
  }
  wb::study::RunOptions options;
  options.output_path = output;
  options.overwrite = a.force;
  options.progress = !a.quiet && isatty(STDERR_FILENO);
  options.kokkos_execution_space = Kokkos::DefaultExecutionSpace::name();
  int ranks = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  if (!a.quiet)
    say("waferbench: study " + study.name + ": " +
        (study.kind == wb::study::StudyKind::fabric ? std::to_string(study.fabric_cases.size()) + " fabric cases"
                                                    : std::to_string(study.scenarios.size()) + " scenarios") +
        " on " + std::to_string(ranks) + " rank(s)\n");
  const wb::study::RunSummary summary = wb::study::run_study(MPI_COMM_WORLD, study, options);

  int failed = 0;
  if (g_rank == 0) {
    std::ostringstream os;
    const auto counts = a.quiet ? wb::study::print_reference(os, summary.path) : wb::study::print_report(os, summary.path);
    failed = static_cast<int>(counts.failed);
    std::cout << os.str() << "Results: " << summary.path << "\n" << std::flush;
  }
  MPI_Bcast(&failed, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (a.check && failed > 0) {
    say("waferbench: " + std::to_string(failed) + " prediction(s) outside their tolerance (--check)\n");
    return 3;
  }
  return 0;
}

int cmd_list(const std::string& what, const std::string& inputs) {
  wb::io::BroadcastFiles files(MPI_COMM_WORLD);
  wb::study::Catalog catalog(wb::study::resolve_inputs_dir(inputs, ""), files);
  std::vector<std::vector<std::string>> rows;
  if (what == "models") {
    for (const auto& name : catalog.names("models")) {
      const auto& m = catalog.model(name);
      const auto pc = wb::model::count_params(m);
      rows.push_back({name, m.display_name, std::to_string(pc.total), std::to_string(m.layers),
                      std::to_string(m.d_model), std::to_string(m.heads)});
    }
    if (g_rank == 0) wb::study::print_aligned(std::cout, {"name", "model", ">params", ">layers", ">d_model", ">heads"}, rows);
  } else if (what == "systems") {
    for (const auto& name : catalog.names("systems")) {
      const auto& s = catalog.system(name);
      rows.push_back({name, wb::study::to_string(s.kind), s.display_name()});
    }
    if (g_rank == 0) wb::study::print_aligned(std::cout, {"name", "kind", "system"}, rows);
  } else if (what == "studies") {
    for (const auto& name : catalog.names("studies")) {
      auto text = files.read(catalog.path("studies", name));
      std::string title;
      try {
        const auto doc = wb::io::parse_yaml(text ? *text : std::string(), name);
        if (doc.is_map() && doc.node()["title"]) title = doc.node()["title"].Scalar();
      } catch (const wb::io::InputError& e) {
        title = std::string("(unreadable: ") + e.what() + ")";
      }
      rows.push_back({name, title});
    }
    if (g_rank == 0) wb::study::print_aligned(std::cout, {"name", "title"}, rows);
  } else if (what == "frameworks") {
    for (const auto& name : catalog.names("frameworks")) {
      const auto& f = catalog.framework(name);
      rows.push_back({name, wb::gpu::to_string(f.accounting), f.display_name});
    }
    if (g_rank == 0) wb::study::print_aligned(std::cout, {"name", "accounting", "framework"}, rows);
  }
  return 0;
}

int cmd_report(const std::string& path) {
  if (g_rank == 0) wb::study::print_report(std::cout, path);
  return 0;
}

int dispatch(int argc, char** argv) {
  CLI::App app{"waferbench: LLM training time and memory on GPU clusters vs wafer-scale systems, by simulation.\n"
               "Run a study with `waferbench run inputs/studies/seed_memory.yaml` (under mpirun for several ranks)."};
  app.set_version_flag("--version", std::string("waferbench ") + wb::io::waferbench_version() + " (" +
                                        wb::io::git_commit() + ")");
  app.require_subcommand(1);

  RunArgs run_args;
  auto* run = app.add_subcommand("run", "Simulate a study and write its results to HDF5.\n"
                                        "Example: mpirun -np 2 waferbench run inputs/studies/seed_memory.yaml -o seed.h5");
  run->add_option("study", run_args.study, "Study file (inputs/studies/*.yaml)")->required();
  run->add_option("-o,--output", run_args.output, "Result file (default results/<study>.h5)");
  run->add_option("--inputs", run_args.inputs,
                  "Inputs directory with models/ systems/ frameworks/ (default: the study's, $WAFERBENCH_INPUTS, or the "
                  "bundled one)");
  run->add_flag("--force", run_args.force, "Replace the result file if it exists");
  run->add_flag("-q,--quiet", run_args.quiet, "Print only the comparison with published values");
  run->add_flag("--check", run_args.check, "Exit with status 3 when a prediction misses its published tolerance");

  std::string list_what, list_inputs;
  auto* list = app.add_subcommand("list", "List the models, systems, studies or frameworks available.\n"
                                          "Example: waferbench list models");
  list->add_option("what", list_what, "models | systems | studies | frameworks")
      ->required()
      ->check(CLI::IsMember({"models", "systems", "studies", "frameworks"}));
  list->add_option("--inputs", list_inputs, "Inputs directory (default: $WAFERBENCH_INPUTS or the bundled one)");

  std::string report_path;
  auto* report = app.add_subcommand("report", "Print a result file: scenarios and the comparison with published "
                                              "values.\nExample: waferbench report results/seed_memory.h5");
  report->add_option("file", report_path, "Result file (.h5)")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (g_rank == 0) return app.exit(e);
    return e.get_exit_code() == 0 ? 0 : 2;
  }
  if (*run) return cmd_run(run_args);
  if (*list) return cmd_list(list_what, list_inputs);
  if (*report) return cmd_report(report_path);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  int status = 0;
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    try {
      status = dispatch(argc, argv);
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
  MPI_Finalize();
  return status;
}
