#include "wafer/fabric_program.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "kernels/fabric_types.hpp"
#include "wafer/fabric_builder.hpp"
#include "wafer/fabric_mappings.hpp"

namespace wb::wafer {

namespace fk = wb::kernels::fabric;
using fabric::ceil_div;

const std::vector<FabricMapping>& all_fabric_mappings() {
  static const std::vector<FabricMapping> all{FabricMapping::chain,   FabricMapping::allreduce, FabricMapping::meshgemv,
                                              FabricMapping::cannon,  FabricMapping::meshgemm,  FabricMapping::summa,
                                              FabricMapping::weight_streaming};
  return all;
}

const char* to_string(FabricMapping m) {
  switch (m) {
    case FabricMapping::chain: return "chain";
    case FabricMapping::allreduce: return "allreduce";
    case FabricMapping::meshgemv: return "meshgemv";
    case FabricMapping::cannon: return "cannon";
    case FabricMapping::meshgemm: return "meshgemm";
    case FabricMapping::summa: return "summa";
    case FabricMapping::weight_streaming: return "weight-streaming";
  }
  return "?";
}

std::optional<FabricMapping> parse_fabric_mapping(const std::string& text) {
  for (const FabricMapping m : all_fabric_mappings())
    if (text == to_string(m)) return m;
  return std::nullopt;
}

bool is_shift_gemm(FabricMapping m) {
  return m == FabricMapping::cannon || m == FabricMapping::meshgemm || m == FabricMapping::summa;
}

std::uint32_t zero_threshold_of(double sparsity) {
  if (!(sparsity > 0)) return 0;
  const double t = std::round(sparsity * 4294967296.0);
  return t >= 4294967295.0 ? 4294967295U : static_cast<std::uint32_t>(t);
}

double reference_input(std::int64_t b, std::int64_t k, std::uint32_t seed) {
  return fk::element_value(static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(k), seed);
}

double reference_weight(std::int64_t k, std::int64_t col, std::uint32_t seed, std::uint32_t zero_threshold) {
  return fk::weight_value(static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(col), seed, zero_threshold);
}

namespace {

std::int64_t sram_bytes_of(const FabricCaseSpec& spec) {
  // fp16 operands, fp32 partial sums (the precision the vendor's mixed-precision training uses).
  const std::int64_t mt = ceil_div(spec.m, spec.p_rows), nt = ceil_div(spec.n, spec.p_cols);
  switch (spec.mapping) {
    case FabricMapping::chain:
    case FabricMapping::meshgemv: return 2 * mt * nt + 2 * spec.batch * mt + 4 * spec.batch * nt;
    case FabricMapping::allreduce: return 2 * mt * nt + 2 * spec.batch * mt + 8 * spec.batch * nt;
    case FabricMapping::cannon:
    case FabricMapping::meshgemm:
    case FabricMapping::summa: {
      // Two buffers of each operand tile (double buffers, or own tile + receive buffer), one C tile.
      const std::int64_t p = spec.p_rows, bt = ceil_div(spec.batch, p), kt = ceil_div(spec.m, p), ot = ceil_div(spec.n, p);
      return 2 * 2 * bt * kt + 2 * 2 * kt * ot + 4 * bt * ot;
    }
    case FabricMapping::weight_streaming: {
      const std::int64_t bt = ceil_div(spec.batch, spec.p_cols);
      return 2 * bt * mt + 4 * bt;
    }
  }
  return 0;
}

// Wavelets one PE handles over the kernel (counts and SRAM offsets are 32-bit in the PE state).
std::int64_t wavelets_per_pe(const FabricCaseSpec& spec) {
  const std::int64_t mt = ceil_div(spec.m, spec.p_rows), nt = ceil_div(spec.n, spec.p_cols);
  if (spec.mapping == FabricMapping::weight_streaming) return spec.n * (mt + ceil_div(spec.batch, spec.p_cols));
  if (is_shift_gemm(spec.mapping)) {
    const std::int64_t p = spec.p_rows;
    return 2 * p * (ceil_div(spec.batch, p) * ceil_div(spec.m, p) + ceil_div(spec.m, p) * ceil_div(spec.n, p));
  }
  return spec.batch * std::max(mt, nt);
}

void validate_shift_gemm(const FabricCaseSpec& spec) {
  auto fail = [](const std::string& what) { throw std::invalid_argument(what); };
  const std::string name = to_string(spec.mapping);
  if (spec.p_rows != spec.p_cols) fail(name + " runs on a square P x P grid: rows and cols must be equal");
  if (spec.p_rows < 2) fail(name + " needs a grid of at least 2 x 2 PEs");
  if (spec.p_rows > std::min({spec.batch, spec.m, spec.n}))
    fail(name + ": every PE needs at least one row and column of each operand: P must not exceed batch, m or n");
  if (spec.sparsity != 0) fail(name + " is a dense kernel: sparsity must be 0");
  const std::int64_t steps = spec.mapping == FabricMapping::summa ? spec.p_rows : spec.p_rows - 1;
  if (spec.sampled_steps != 0 && 2 * spec.sampled_steps >= steps)
    fail("sampled_steps must be below half the kernel's " + std::to_string(steps) + " steps (or 0 for all)");
  if (spec.check && spec.warmup + spec.repeats > 1)
    fail(name + ": a repeat starts from the tiles the previous one shifted; values are checked on single runs only");
}

}  // namespace

std::pair<std::int64_t, std::int64_t> whole_fabric_rectangle(const WaferSpec& chip, FabricMapping mapping, std::int64_t m,
                                                              std::int64_t n, std::int64_t batch) {
  if (is_shift_gemm(mapping)) {
    const std::int64_t p = std::min({chip.fabric_height, chip.fabric_width, m, n, batch});
    return {p, p};
  }
  const std::int64_t rows = std::min(chip.fabric_height, m);
  const std::int64_t cols = std::min(chip.fabric_width, mapping == FabricMapping::weight_streaming ? batch : n);
  return {rows, cols};
}

void validate_case(const FabricCaseSpec& spec, const WaferSpec& chip) {
  auto fail = [](const std::string& what) { throw std::invalid_argument(what); };
  if (spec.m <= 0 || spec.n <= 0 || spec.batch <= 0) fail("m, n and batch must be positive");
  if (spec.p_rows <= 0 || spec.p_cols <= 0) fail("the PE rectangle must have at least one row and one column");
  if (spec.p_cols > chip.fabric_width || spec.p_rows > chip.fabric_height)
    fail("a " + std::to_string(spec.p_rows) + "x" + std::to_string(spec.p_cols) + " PE rectangle does not fit the " +
         std::to_string(chip.fabric_height) + "x" + std::to_string(chip.fabric_width) + " fabric of " + chip.name);
  if (spec.sparsity < 0 || spec.sparsity >= 1) fail("sparsity must be in [0, 1)");
  if (spec.repeats < 1 || spec.warmup < 0 || spec.warmup + spec.repeats > 1000)
    fail("repeats must be at least 1 and warmup at least 0, with at most 1000 runs in all");
  if (spec.sampled_steps < 0) fail("sampled_steps must not be negative");
  if (spec.sampled_steps != 0 && !is_shift_gemm(spec.mapping)) fail("sampled_steps applies to cannon, meshgemm and summa only");
  if (spec.sampled_steps != 0 && spec.check) fail("sampled runs time a part of the kernel: they cannot be checked");
  if (spec.group != 0 && spec.mapping != FabricMapping::meshgemv) fail("group applies to meshgemv only");
  if (spec.group < 0 || spec.group > spec.p_rows) fail("group must be from 1 to the rectangle's rows (or 0 for automatic)");
  if (is_shift_gemm(spec.mapping)) {
    validate_shift_gemm(spec);
  } else {
    if (spec.p_rows > spec.m) fail("more PE rows than the inner dimension m: every row needs at least one row of W");
    if (spec.mapping == FabricMapping::weight_streaming && spec.p_cols > spec.batch)
      fail("weight streaming holds at least one token per PE column: batch must be >= p_cols");
    if (spec.mapping != FabricMapping::weight_streaming && spec.p_cols > spec.n)
      fail("more PE columns than outputs n: every column needs at least one output");
  }
  if (spec.sampled_outputs < 0 || spec.sampled_outputs > spec.n) fail("sampled_outputs must be in [0, n]");
  if (spec.sampled_outputs != 0 && spec.mapping != FabricMapping::weight_streaming)
    fail("sampled_outputs applies to weight-streaming only");
  const std::int64_t bytes = sram_bytes_of(spec);
  if (static_cast<double>(bytes) > chip.sram_per_pe_bytes)
    fail("the fullest PE needs " + std::to_string(bytes) + " bytes of SRAM, more than the " +
         std::to_string(static_cast<std::int64_t>(chip.sram_per_pe_bytes)) + " of a " + chip.name +
         " PE: use a larger rectangle");
  if (wavelets_per_pe(spec) > (std::int64_t(1) << 30)) fail("a PE would handle more than 2^30 wavelets; use a larger rectangle");
}

FabricProgram build_fabric_program(const FabricCaseSpec& spec, const WaferSpec& chip, const FabricModel& model) {
  validate_case(spec, chip);
  if (!model.present) throw std::invalid_argument(chip.name + " has no fabric_model block in its system file");
  FabricProgram prog;
  auto& mesh = prog.mesh;
  mesh.width = static_cast<int>(spec.whole_fabric ? chip.fabric_width : spec.p_cols);
  mesh.height = static_cast<int>(spec.whole_fabric ? chip.fabric_height : spec.p_rows);
  mesh.config.queue_depth = static_cast<int>(model.queue_depth);
  mesh.config.pe_queue_depth = static_cast<int>(model.pe_queue_depth);
  mesh.config.task_overhead = static_cast<int>(model.task_overhead);
  mesh.config.read_cycles = static_cast<int>(model.read_cycles);
  mesh.config.simd = static_cast<int>(chip.simd_fp16);
  mesh.config.check = spec.check;
  mesh.skip_quiet = spec.skip_quiet;
  mesh.halo_depth = spec.halo_depth;
  mesh.wave_levels = spec.wave_levels;
  prog.sram_bytes_max = sram_bytes_of(spec);
  prog.zero_threshold = zero_threshold_of(spec.sparsity);
  prog.seed_x = spec.seed * 2U + 1U;
  prog.seed_w = spec.seed * 2U + 2U;
  if (spec.mapping == FabricMapping::weight_streaming) fabric::build_weight_streaming(spec, prog);
  else if (is_shift_gemm(spec.mapping)) fabric::build_shift_gemm(spec, prog);
  else fabric::build_stationary_gemv(spec, prog);
  return prog;
}

}  // namespace wb::wafer
