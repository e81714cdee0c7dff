// wb_fabric_fit: fits the free parameters of the fabric model to published cycle counts.
//
//   wb_fabric_fit inputs/studies/fabric_calibration_wse3.yaml --task-overhead 10:30 --read-cycles 1:3
//
// For every (read_cycles, task_overhead) in the ranges it simulates each case of the fabric study
// that has a published cycle count and compares the on-chip cycles (what the PE timers report: the
// case's statistic, max or mean, without the host's launch and readback, which the timers do not
// see) with it; it keeps the pair with the smallest largest relative error over the references
// marked for the fit (published.fit, default true) and prints every reference's error. The values
// go into the `fabric_model:` block of the system file by hand, with this command as their source
// (docs/fabric-model.md). Queue depths are taken from the system file unchanged.
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <Kokkos_Core.hpp>
#include <cmath>
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "io/error.hpp"
#include "io/file_source.hpp"
#include "study/plan/catalog.hpp"
#include "study/plan/study.hpp"
#include "wafer/fabric_run.hpp"

namespace {

struct Point {
  std::string name;
  double published;
  double simulated;  // on-chip cycles (the case's statistic)
  bool fit;
};

// Largest |(simulated - published) / published| over the points marked for the fit.
double max_fit_error(const std::vector<Point>& pts) {
  double worst = 0;
  for (const auto& p : pts)
    if (p.fit) worst = std::max(worst, std::fabs((p.simulated - p.published) / p.published));
  return worst;
}

int fit(const std::string& study_path, const std::string& inputs, int t_lo, int t_hi, int r_lo, int r_hi) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  wb::io::BroadcastFiles files(MPI_COMM_WORLD);
  auto text = files.read(study_path);
  if (!text) throw wb::io::InputError(study_path + ": no such study file");
  wb::study::plan::Catalog catalog(wb::study::plan::resolve_inputs_dir(inputs, study_path), files);
  const wb::study::plan::Study study = wb::study::plan::load_study(*text, study_path, catalog);
  double overall = INFINITY;
  int best_t = t_lo, best_r = r_lo;
  for (int rc = r_lo; rc <= r_hi; ++rc)
  for (int t = t_lo; t <= t_hi; ++t) {
    std::vector<Point> pts;
    for (const auto& c : study.fabric_cases) {
      if (!c.published) continue;
      wb::wafer::WaferSpec chip = *c.system->wafer();
      wb::wafer::FabricModel model = chip.fabric;
      model.task_overhead = t;
      model.read_cycles = rc;
      const auto r = wb::wafer::run_fabric_case(MPI_COMM_WORLD, c.spec, chip, model, false);
      pts.push_back({c.name, c.published->cycles,
                     c.statistic == "mean" ? r.cycles_mean : r.cycles_max, c.published->fit});
    }
    const double err = max_fit_error(pts);
    if (rank == 0) {
      std::printf("read_cycles %d task_overhead %d: max fit error %.1f%%\n", rc, t, 100.0 * err);
      for (const auto& p : pts)
        std::printf("  %-40s published %8.0f  model %9.1f  error %+6.1f%%%s\n", p.name.c_str(), p.published, p.simulated,
                    100.0 * (p.simulated - p.published) / p.published, p.fit ? "" : "  (not fitted)");
      std::fflush(stdout);
    }
    if (err < overall) {
      overall = err;
      best_t = t;
      best_r = rc;
    }
  }
  if (rank == 0)
    std::printf("best: read_cycles %d, task_overhead %d (max error over the fitted points %.1f%%)\n", best_r, best_t,
                100.0 * overall);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int status = 0;
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    CLI::App app{"Fits the fabric model's task overhead and read cycles to the published cycle counts of a fabric study."};
    std::string study, inputs, range = "10:30", rrange = "1:1";
    app.add_option("study", study, "Fabric study with published cycle counts")->required();
    app.add_option("--task-overhead", range, "Range lo:hi of task_overhead values to try (default 10:30)");
    app.add_option("--read-cycles", rrange, "Range lo:hi of read_cycles values to try (default 1:1)");
    app.add_option("--inputs", inputs, "Inputs directory");
    try {
      app.parse(argc, argv);
      const auto colon = range.find(':');
      const int lo = std::max(0, std::stoi(range.substr(0, colon)));
      const int hi = colon == std::string::npos ? lo : std::stoi(range.substr(colon + 1));
      const auto rcolon = rrange.find(':');
      const int rlo = std::max(1, std::stoi(rrange.substr(0, rcolon)));
      const int rhi = rcolon == std::string::npos ? rlo : std::stoi(rrange.substr(rcolon + 1));
      status = fit(study, inputs, lo, hi, rlo, rhi);
    } catch (const CLI::ParseError& e) {
      status = app.exit(e);
    } catch (const std::exception& e) {
      std::cerr << "wb_fabric_fit: error: " << e.what() << "\n";
      status = 2;
    }
  }
  MPI_Finalize();
  return status;
}
