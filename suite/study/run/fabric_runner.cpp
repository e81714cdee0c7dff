#include "study/run/fabric_runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <thread>

#include "io/hdf5_file.hpp"
#include "io/stop_request.hpp"
#include "study/run/dealing.hpp"
#include "study/run/provenance.hpp"
#include "study/schema/fabric.hpp"
#include "study/schema/reference.hpp"
#include "study/schema/result_file.hpp"
#include "study/schema/scenarios.hpp"
#include "wafer/fabric_run.hpp"

namespace wb::study::run {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::int64_t kHeatmapBins = 256;  // bins per side at most

struct CaseOutcome {
  double cycles_max = 0, cycles_mean = 0;  // on-chip (PE timers), extended to the whole kernel when sampled
  wafer::FabricRunResult last;  // the (largest) run actually simulated
  double pe_cycles = 0;         // simulated, summed over the runs of the case
  double wall_s = 0;
  std::int64_t sampled = 0;     // s of a sampled case (outputs or steps), 0 when run whole
};

// The loop steps of a shift GEMM's whole kernel (fabric_shift_programs.cpp).
std::int64_t kernel_steps(const wafer::FabricCaseSpec& spec) {
  return spec.mapping == wafer::FabricMapping::summa ? spec.p_rows : spec.p_rows - 1;
}

// One case; sampled (s outputs of a weight-streaming layer, or s steps of a shift GEMM), runs s
// and 2s and extends the per-output (per-step) slope to the whole kernel.
CaseOutcome run_case(MPI_Comm comm, const plan::FabricCase& c) {
  const wafer::WaferSpec& chip = *c.system->wafer();
  CaseOutcome o;
  auto account = [&](const wafer::FabricRunResult& r) {
    o.pe_cycles += static_cast<double>(r.stats.cycles) * static_cast<double>(r.stats.pes);
    o.wall_s += r.stats.wall_s;
  };
  const bool steps = wafer::is_shift_gemm(c.spec.mapping);
  const std::int64_t s = steps ? c.spec.sampled_steps : c.spec.sampled_outputs;
  const std::int64_t whole = steps ? kernel_steps(c.spec) : c.spec.n;
  if (s > 0 && 2 * s < whole) {
    wafer::FabricCaseSpec a = c.spec, b = c.spec;
    (steps ? a.sampled_steps : a.sampled_outputs) = s;
    (steps ? b.sampled_steps : b.sampled_outputs) = 2 * s;
    const auto ra = wafer::run_fabric_case(comm, a, chip, chip.fabric, false);
    account(ra);
    o.last = wafer::run_fabric_case(comm, b, chip, chip.fabric, c.heatmap);
    account(o.last);
    const double scale = static_cast<double>(whole - 2 * s) / static_cast<double>(s);
    o.cycles_max = o.last.cycles_max + (o.last.cycles_max - ra.cycles_max) * scale;
    o.cycles_mean = o.last.cycles_mean + (o.last.cycles_mean - ra.cycles_mean) * scale;
    o.sampled = s;
  } else {
    wafer::FabricCaseSpec full = c.spec;
    full.sampled_outputs = 0;
    full.sampled_steps = 0;
    o.last = wafer::run_fabric_case(comm, full, chip, chip.fabric, c.heatmap);
    account(o.last);
    o.cycles_max = o.last.cycles_max;
    o.cycles_mean = o.last.cycles_mean;
  }
  return o;
}

}  // namespace

RunSummary run_fabric_study(MPI_Comm comm, const plan::Study& study, const RunOptions& options) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  // Cases are not checkpointed (a case is one MPI-wide simulation, minutes at most); a long
  // study is bounded by running it in slices instead, as a Slurm job array does.
  if (options.resume)
    throw io::IoError(study.file + ": a fabric study has no checkpoints to resume from; run it in slices "
                      "(--slice K/N, then waferbench merge) to bound what an interruption loses");
  io::ResultFileWriter::check_target(comm, options.output_path, options.overwrite);
  io::StopRequest stop(comm);
  const std::string stop_note = "waferbench: interrupted; a fabric study is not checkpointed: run it again, or in "
                                "slices (--slice K/N, then waferbench merge) so that an interruption costs one slice\n";
  io::StopRequest::set_last_words(stop_note);

  namespace fc = schema::fabric;
  namespace hm = schema::fabric_heatmap;
  namespace rc = schema::reference;
  io::Table fab = fc::table().empty();
  io::Table heat = hm::table().empty();
  io::Table ref = rc::table().empty();
  const auto t0 = std::chrono::steady_clock::now();
  // A slice runs a contiguous block of the cases; rows keep their study-wide case index, so the
  // slices' files concatenated in order (waferbench merge) are the whole study's file.
  const auto [first, cases] = block_of(static_cast<std::int64_t>(study.fabric_cases.size()), options.slice_index,
                                       options.slice_count);
  const std::size_t begin = static_cast<std::size_t>(first), n = static_cast<std::size_t>(first + cases);
  for (std::size_t i = begin; i < n; ++i) {
    // Every case takes all ranks: they decide together to stop before the next one.
    if (stop.requested_everywhere()) break;
    if (options.inject_delay_s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(options.inject_delay_s));
    const plan::FabricCase& c = study.fabric_cases[i];
    CaseOutcome o;
    try {
      o = run_case(comm, c);
    } catch (const io::InputError& e) {  // too large for the machine: every rank alike
      throw io::InputError(study.file + ": fabric case '" + c.name + "': " + e.what());
    }
    const double cycles = c.statistic == "mean" ? o.cycles_mean : o.cycles_max;
    const auto& st = o.last.stats;
    if (options.progress && rank == 0) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(stderr, "\r[waferbench] case %zu/%zu %s: %.0f cycles, %.2fs; %.1fs elapsed          ", i + 1 - begin, n - begin,
                   c.name.c_str(), cycles, o.wall_s, elapsed);
      if (i + 1 == n) std::fprintf(stderr, "\n");
    }
    if (rank != 0) continue;  // rank 0 holds every row, so the files do not depend on the rank count
    const wafer::WaferSpec& chip = *c.system->wafer();
    double published = kNaN, rel = kNaN;
    if (c.published) {
      published = c.published->cycles;
      rel = rc::relative_error_of(published, cycles);
      const double tolerance = c.published->tolerance;
      schema::put(ref, rc::scenario_id, c.name);
      schema::put(ref, rc::scenario_index, static_cast<std::int64_t>(i));
      schema::put(ref, rc::metric, std::string(fc::cycles.name));
      schema::put(ref, rc::units, std::string(fc::cycles.units()));
      schema::put(ref, rc::published, published);
      schema::put(ref, rc::predicted, cycles);
      schema::put(ref, rc::relative_error, rel);
      schema::put(ref, rc::compare, std::string(rc::to_string(rc::Compare::within)));
      schema::put(ref, rc::tolerance, tolerance);
      schema::put(ref, rc::pass, std::int64_t{rc::passes(published, rc::Compare::within, tolerance, cycles) ? 1 : 0});
      schema::put(ref, rc::source, c.published->source);
      schema::put(ref, rc::note, c.published->note);
      schema::put(ref, rc::known_miss, c.published->known_miss);
    }
    const double rect_pes = static_cast<double>(c.spec.p_rows * c.spec.p_cols);
    auto put = [&](const schema::ColumnSpec& col, double v) { schema::put(fab, col, v); };
    auto put_i = [&](const schema::ColumnSpec& col, std::int64_t v) { schema::put(fab, col, v); };
    auto put_s = [&](const schema::ColumnSpec& col, const std::string& v) { schema::put(fab, col, v); };
    put_s(fc::case_name, c.name);
    put_s(fc::origin, c.origin);
    put_s(fc::chip, c.system->name);
    put_s(fc::mapping, wafer::to_string(c.spec.mapping));
    put_i(fc::p_rows, c.spec.p_rows);
    put_i(fc::p_cols, c.spec.p_cols);
    put_i(fc::m, c.spec.m);
    put_i(fc::n, c.spec.n);
    put_i(fc::batch, c.spec.batch);
    put(fc::sparsity, c.spec.sparsity);
    put_s(fc::statistic, c.statistic);
    put(fc::cycles, cycles);
    put(fc::cycles_max, o.cycles_max);
    put(fc::cycles_mean, o.cycles_mean);
    put(fc::launch_cycles, o.last.launch_cycles);
    put(fc::time_s, cycles / chip.clock_hz);
    put_i(fc::repeats, c.spec.repeats);
    put_i(fc::sampled_outputs, wafer::is_shift_gemm(c.spec.mapping) ? 0 : o.sampled);
    put_i(fc::sampled_steps, wafer::is_shift_gemm(c.spec.mapping) ? o.sampled : 0);
    put_i(fc::fabric_width, o.last.fabric_width);
    put_i(fc::fabric_height, o.last.fabric_height);
    put(fc::pe_cycles, o.pe_cycles);
    put(fc::busy_pe_cycles, static_cast<double>(st.busy));
    put(fc::stall_in_pe_cycles, static_cast<double>(st.stall_in));
    put(fc::stall_out_pe_cycles, static_cast<double>(st.stall_out));
    put(fc::idle_pe_cycles, static_cast<double>(st.idle));
    put(fc::utilisation, st.cycles > 0 ? static_cast<double>(st.busy) / (rect_pes * static_cast<double>(st.cycles)) : kNaN);
    put(fc::sram_bytes_max, static_cast<double>(o.last.sram_bytes_max));
    put(fc::check_error, o.last.checked ? o.last.max_error : kNaN);
    put(fc::wall_s, o.wall_s);
    put(fc::pe_cycles_per_s, o.wall_s > 0 ? o.pe_cycles / o.wall_s : kNaN);
    put_i(fc::ranks, ranks);
    put(fc::published_cycles, published);
    put(fc::relative_error, rel);

    if (c.heatmap && !o.last.busy.empty()) {
      const std::int64_t W = o.last.fabric_width, H = o.last.fabric_height;
      const std::int64_t bw = (W + kHeatmapBins - 1) / kHeatmapBins, bh = (H + kHeatmapBins - 1) / kHeatmapBins;
      const std::int64_t nbx = (W + bw - 1) / bw, nby = (H + bh - 1) / bh;
      std::vector<double> sum(static_cast<std::size_t>(nbx * nby), 0.0);
      std::vector<double> count(sum.size(), 0.0);
      for (std::int64_t y = 0; y < H; ++y)
        for (std::int64_t x = 0; x < W; ++x) {
          const std::size_t b = static_cast<std::size_t>((y / bh) * nbx + x / bw);
          sum[b] += static_cast<double>(o.last.busy[static_cast<std::size_t>(y * W + x)]);
          count[b] += 1.0;
        }
      for (std::int64_t by = 0; by < nby; ++by)
        for (std::int64_t bx = 0; bx < nbx; ++bx) {
          const std::size_t b = static_cast<std::size_t>(by * nbx + bx);
          schema::put(heat, hm::case_name, c.name);
          schema::put(heat, hm::x, bx * bw);
          schema::put(heat, hm::y, by * bh);
          schema::put(heat, hm::bin_width, bw);
          schema::put(heat, hm::bin_height, bh);
          schema::put(heat, hm::busy_fraction, st.cycles > 0 ? sum[b] / (count[b] * static_cast<double>(st.cycles)) : 0.0);
        }
    }
  }

  if (stop.agree()) {
    if (rank == 0) std::fputs(stop_note.c_str(), stderr);
    std::fflush(stderr);
    throw io::Interrupted(stop.exit_status());
  }

  io::ResultFileWriter out(comm, options.output_path, options.overwrite);
  write_root_attributes(out, study, options, ranks, fabric_assumptions(study));
  // A fabric study has no scenarios; a slice says so for waferbench merge.
  if (options.slice_count > 1) out.attribute(schema::attr::study_scenarios, static_cast<std::int64_t>(0));
  out.write_table(schema::scenarios::table().path(), schema::scenarios::make_table({}));
  out.write_table(rc::table().path(), ref);
  out.write_table(fc::table().path(), fab);
  out.write_table(hm::table().path(), heat);
  out.commit();

  RunSummary summary;
  summary.path = options.output_path;
  summary.scenarios = 0;
  summary.references = static_cast<std::int64_t>(ref.rows());
  return summary;
}

}  // namespace wb::study::run
