#include "wafer/fabric_run.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace wb::wafer {

double host_launch_cycles(const FabricCaseSpec& spec, const WaferSpec& chip) {
  constexpr double kFp16Bytes = 2;
  const double bytes = kFp16Bytes * static_cast<double>(spec.batch) * static_cast<double>(spec.m + spec.n);
  return bytes / chip.io_bandwidth * chip.clock_hz;
}

FabricRunResult run_fabric_case(MPI_Comm comm, const FabricCaseSpec& spec, const WaferSpec& chip,
                                const FabricModel& model, bool want_busy_map, std::int64_t max_cycles) {
  const FabricProgram prog = build_fabric_program(spec, chip, model);
  sim::MeshEngine engine(comm, prog.mesh);
  FabricRunResult r;
  r.stats = engine.run(max_cycles);
  // Timed repeats run back to back, so a repeat's share of the timed span is what the launch
  // scripts print (they divide by the repeat count).
  const double repeats = static_cast<double>(spec.repeats);
  r.cycles_max = static_cast<double>(r.stats.cycles - r.stats.start_min) / repeats;
  r.cycles_mean = r.stats.program_pes > 0 ? static_cast<double>(r.stats.span_sum) /
                                                (static_cast<double>(r.stats.program_pes) * repeats)
                                          : 0.0;
  r.launch_cycles = host_launch_cycles(spec, chip);
  r.sram_bytes_max = prog.sram_bytes_max;
  r.outputs = prog.outputs;
  r.fabric_width = prog.mesh.width;
  r.fabric_height = prog.mesh.height;
  if (want_busy_map) r.busy = engine.gather(sim::MeshEngine::Field::busy);
  if (spec.check) {
    // Gather the SRAM of every PE that holds a result, compare with a double-precision product.
    std::map<std::int64_t, std::size_t> wanted;
    for (const auto& locs : prog.results)
      for (const auto& l : locs) wanted[static_cast<std::int64_t>(l.pe_y) * prog.mesh.width + l.pe_x] = 0;
    const int width = prog.mesh.width;
    const auto images = engine.gather_sram([&](int gx, int gy) {
      return wanted.count(static_cast<std::int64_t>(gy) * width + gx) > 0;
    });
    double worst = 0;
    if (engine.rank() == 0) {
      std::map<std::int64_t, const std::vector<float>*> by_pe;
      for (const auto& [key, img] : images) by_pe[key] = &img;
      for (std::int64_t b = 0; b < spec.batch; ++b)
        for (std::int64_t col = 0; col < prog.outputs; ++col) {
          double ref = 0, mag = 0;
          for (std::int64_t k = 0; k < spec.m; ++k) {
            const double t = reference_input(b, k, prog.seed_x) * reference_weight(k, col, prog.seed_w, prog.zero_threshold);
            ref += t;
            mag += std::fabs(t);
          }
          const auto& locs = prog.results[static_cast<std::size_t>(b * prog.outputs + col)];
          if (locs.empty()) worst = INFINITY;
          for (const auto& l : locs) {
            const auto* img = by_pe.at(static_cast<std::int64_t>(l.pe_y) * width + l.pe_x);
            const double got = (*img)[static_cast<std::size_t>(l.word)];
            worst = std::max(worst, std::fabs(got - ref) / std::max(mag, 1e-30));
          }
        }
    }
    MPI_Bcast(&worst, 1, MPI_DOUBLE, 0, comm);
    r.checked = true;
    r.max_error = worst;
  }
  return r;
}

}  // namespace wb::wafer
