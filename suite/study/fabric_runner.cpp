#include "study/fabric_runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

#include "io/hdf5_file.hpp"
#include "study/columns.hpp"
#include "study/reference.hpp"
#include "study/report.hpp"
#include "wafer/fabric_run.hpp"

namespace wb::study {

namespace {

using io::ColumnType;

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
CaseOutcome run_case(MPI_Comm comm, const FabricCase& c) {
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

std::string fabric_assumptions(const Study& study) {
  std::string out;
  for (const auto& a : study.assumptions) out += a + "\n";
  std::vector<std::string> seen;
  for (const auto& c : study.fabric_cases)
    for (const auto& line : c.system->wafer()->provenance.assumptions())
      if (std::find(seen.begin(), seen.end(), line) == seen.end()) {
        seen.push_back(line);
        out += line + "\n";
      }
  return out;
}

}  // namespace

io::Table fabric_table_schema() {
  io::Table t;
  t.add("case", ColumnType::str, "", "case name");
  t.add("origin", ColumnType::str, "", "`case`, or the layer sweep and <model>.<gemm>.<pass> uses of this shape");
  t.add("chip", ColumnType::str, "", "wafer system (inputs/systems file stem)");
  t.add("mapping", ColumnType::str, "", "the kernel: chain, allreduce, meshgemv, cannon, meshgemm, summa or weight-streaming");
  t.add("p_rows", ColumnType::i64, "PEs", "rows of the PE rectangle");
  t.add("p_cols", ColumnType::i64, "PEs", "columns of the PE rectangle");
  t.add("m", ColumnType::i64, "1", "inner dimension of y[batch, n] = x[batch, m] W[m, n]");
  t.add("n", ColumnType::i64, "1", "outputs");
  t.add("batch", ColumnType::i64, "1", "rows of x (tokens); 1 is a GEMV");
  t.add("sparsity", ColumnType::f64, "1", "fraction of weights that are zero");
  t.add("statistic", ColumnType::str, "", "what `cycles` reports: max (last PE done) or mean (mean PE completion)");
  t.add("cycles", ColumnType::f64, "cycles", "on-chip cycles of the kernel (the case's statistic), as the PE timers report them");
  t.add("cycles_max", ColumnType::f64, "cycles", "on-chip: last PE's end - first PE's timer start, per timed repeat");
  t.add("cycles_mean", ColumnType::f64, "cycles", "on-chip: mean over PEs of (end - timer start), per timed repeat");
  t.add("launch_cycles", ColumnType::f64, "cycles", "host side, outside the timers: x in and y out (fp16) over the system I/O");
  t.add("time_s", ColumnType::f64, "s", "cycles at the chip's clock");
  t.add("repeats", ColumnType::i64, "1", "timed repeats run back to back (after `warmup` untimed ones); cycles are per repeat");
  t.add("sampled_outputs", ColumnType::i64, "1", "0: all n outputs simulated; s: runs of s and 2s outputs, cycles extended linearly to n");
  t.add("sampled_steps", ColumnType::i64, "1", "0: every step of a shift GEMM simulated; s: runs of s and 2s steps, cycles extended linearly to the kernel's steps");
  t.add("fabric_width", ColumnType::i64, "PEs", "columns of the simulated fabric");
  t.add("fabric_height", ColumnType::i64, "PEs", "rows of the simulated fabric");
  t.add("pe_cycles", ColumnType::f64, "PE-cycles", "simulated fabric PEs x cycles, summed over the runs of the case");
  t.add("busy_pe_cycles", ColumnType::f64, "PE-cycles", "PE-cycles spent on instructions and task activation (largest run)");
  t.add("stall_in_pe_cycles", ColumnType::f64, "PE-cycles", "PE-cycles waiting for an input wavelet (largest run)");
  t.add("stall_out_pe_cycles", ColumnType::f64, "PE-cycles", "PE-cycles waiting for output queue space (largest run)");
  t.add("idle_pe_cycles", ColumnType::f64, "PE-cycles", "PE-cycles with nothing to run (largest run)");
  t.add("utilisation", ColumnType::f64, "1", "busy PE-cycles / (rectangle PEs x last-finish cycles), largest run");
  t.add("sram_bytes_max", ColumnType::f64, "bytes", "SRAM of the fullest PE (fp16 operands, fp32 partial sums)");
  t.add("check_error", ColumnType::f64, "1", "check mode: max |y - y_ref| / sum_k |x W|; NaN when not checked");
  t.add("wall_s", ColumnType::f64, "s", "wall time of the cycle loops (measured; depends on the machine and ranks)");
  t.add("pe_cycles_per_s", ColumnType::f64, "PE-cycles/s", "pe_cycles / wall_s (measured)");
  t.add("ranks", ColumnType::i64, "1", "MPI ranks the fabric was split over (measured run)");
  t.add("published_cycles", ColumnType::f64, "cycles", "published cycle count; NaN when none");
  t.add("relative_error", ColumnType::f64, "1", "(cycles - published) / published; NaN when none");
  return t;
}

io::Table fabric_heatmap_schema() {
  io::Table t;
  t.add("case", ColumnType::str, "", "case name");
  t.add("x", ColumnType::i64, "PEs", "fabric column of the bin's first PE");
  t.add("y", ColumnType::i64, "PEs", "fabric row of the bin's first PE");
  t.add("bin_width", ColumnType::i64, "PEs", "columns per bin (1 up to 256 fabric columns)");
  t.add("bin_height", ColumnType::i64, "PEs", "rows per bin (1 up to 256 fabric rows)");
  t.add("busy_fraction", ColumnType::f64, "1", "busy PE-cycles of the bin / (its PEs x last-finish cycles)");
  return t;
}

RunSummary run_fabric_study(MPI_Comm comm, const Study& study, const RunOptions& options) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  // Cases are not checkpointed (a case is one MPI-wide simulation, minutes at most); a long
  // study is bounded by running it in slices instead, as a Slurm job array does.
  if (options.resume)
    throw io::IoError(study.file + ": a fabric study has no checkpoints to resume from; run it in slices "
                      "(--slice K/N, then waferbench merge) to bound what an interruption loses");
  io::ResultFileWriter out(comm, options.output_path, options.overwrite);

  io::Table fab = fabric_table_schema();
  io::Table heat = fabric_heatmap_schema();
  io::Table ref = reference_table(study, 0, {});
  const auto t0 = std::chrono::steady_clock::now();
  // A slice runs a contiguous block of the cases; rows keep their study-wide case index, so the
  // slices' files concatenated in order (waferbench merge) are the whole study's file.
  const auto [first, cases] = block_of(static_cast<std::int64_t>(study.fabric_cases.size()), options.slice_index,
                                       options.slice_count);
  const std::size_t begin = static_cast<std::size_t>(first), n = static_cast<std::size_t>(first + cases);
  for (std::size_t i = begin; i < n; ++i) {
    const FabricCase& c = study.fabric_cases[i];
    const CaseOutcome o = run_case(comm, c);
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
      rel = relative_error(published, cycles);
      Reference r;
      r.published = published;
      r.tolerance = c.published->tolerance;
      r.compare = Compare::within;
      ref.find("scenario_id")->str.push_back(c.name);
      ref.find("scenario_index")->i64.push_back(static_cast<std::int64_t>(i));
      ref.find("metric")->str.push_back("cycles");
      ref.find("units")->str.push_back("cycles");
      ref.find("published")->f64.push_back(published);
      ref.find("predicted")->f64.push_back(cycles);
      ref.find("relative_error")->f64.push_back(rel);
      ref.find("compare")->str.push_back(to_string(r.compare));
      ref.find("tolerance")->f64.push_back(r.tolerance);
      ref.find("pass")->i64.push_back(reference_passes(r, cycles) ? 1 : 0);
      ref.find("source")->str.push_back(c.published->source);
      ref.find("note")->str.push_back(c.published->note);
      ref.find("known_miss")->str.push_back(c.published->known_miss);
    }
    const double rect_pes = static_cast<double>(c.spec.p_rows * c.spec.p_cols);
    auto put = [&](const char* col, double v) { fab.find(col)->f64.push_back(v); };
    auto put_i = [&](const char* col, std::int64_t v) { fab.find(col)->i64.push_back(v); };
    auto put_s = [&](const char* col, const std::string& v) { fab.find(col)->str.push_back(v); };
    put_s("case", c.name);
    put_s("origin", c.origin);
    put_s("chip", c.system->name);
    put_s("mapping", wafer::to_string(c.spec.mapping));
    put_i("p_rows", c.spec.p_rows);
    put_i("p_cols", c.spec.p_cols);
    put_i("m", c.spec.m);
    put_i("n", c.spec.n);
    put_i("batch", c.spec.batch);
    put("sparsity", c.spec.sparsity);
    put_s("statistic", c.statistic);
    put("cycles", cycles);
    put("cycles_max", o.cycles_max);
    put("cycles_mean", o.cycles_mean);
    put("launch_cycles", o.last.launch_cycles);
    put("time_s", cycles / chip.clock_hz);
    put_i("repeats", c.spec.repeats);
    put_i("sampled_outputs", wafer::is_shift_gemm(c.spec.mapping) ? 0 : o.sampled);
    put_i("sampled_steps", wafer::is_shift_gemm(c.spec.mapping) ? o.sampled : 0);
    put_i("fabric_width", o.last.fabric_width);
    put_i("fabric_height", o.last.fabric_height);
    put("pe_cycles", o.pe_cycles);
    put("busy_pe_cycles", static_cast<double>(st.busy));
    put("stall_in_pe_cycles", static_cast<double>(st.stall_in));
    put("stall_out_pe_cycles", static_cast<double>(st.stall_out));
    put("idle_pe_cycles", static_cast<double>(st.idle));
    put("utilisation", st.cycles > 0 ? static_cast<double>(st.busy) / (rect_pes * static_cast<double>(st.cycles)) : kNaN);
    put("sram_bytes_max", static_cast<double>(o.last.sram_bytes_max));
    put("check_error", o.last.checked ? o.last.max_error : kNaN);
    put("wall_s", o.wall_s);
    put("pe_cycles_per_s", o.wall_s > 0 ? o.pe_cycles / o.wall_s : kNaN);
    put_i("ranks", ranks);
    put("published_cycles", published);
    put("relative_error", rel);

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
          heat.find("case")->str.push_back(c.name);
          heat.find("x")->i64.push_back(bx * bw);
          heat.find("y")->i64.push_back(by * bh);
          heat.find("bin_width")->i64.push_back(bw);
          heat.find("bin_height")->i64.push_back(bh);
          heat.find("busy_fraction")->f64.push_back(st.cycles > 0 ? sum[b] / (count[b] * static_cast<double>(st.cycles)) : 0.0);
        }
    }
  }

  write_root_attributes(out, study, options, ranks, fabric_assumptions(study));
  if (options.slice_count > 1) {  // the marks waferbench merge checks; a fabric study has no scenarios
    out.attribute("slice_index", options.slice_index);
    out.attribute("slice_count", options.slice_count);
    out.attribute("study_scenarios", static_cast<std::int64_t>(0));
  }
  out.write_table("/scenarios", make_scenario_table({}));
  out.write_table("/reference", ref);
  out.write_table("/fabric", fab);
  out.write_table("/fabric_heatmap", heat);
  out.commit();

  RunSummary summary;
  summary.path = options.output_path;
  summary.scenarios = 0;
  summary.references = static_cast<std::int64_t>(ref.rows());
  return summary;
}

}  // namespace wb::study
