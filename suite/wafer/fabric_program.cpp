#include "wafer/fabric_program.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <tuple>

#include "kernels/fabric_types.hpp"

namespace wb::wafer {

namespace fk = wb::kernels::fabric;

const char* to_string(FabricMapping m) {
  switch (m) {
    case FabricMapping::chain: return "chain";
    case FabricMapping::allreduce: return "allreduce";
    case FabricMapping::weight_streaming: return "weight-streaming";
  }
  return "?";
}

std::optional<FabricMapping> parse_fabric_mapping(const std::string& text) {
  if (text == "chain") return FabricMapping::chain;
  if (text == "allreduce") return FabricMapping::allreduce;
  if (text == "weight-streaming") return FabricMapping::weight_streaming;
  return std::nullopt;
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

// Part i of n split in `parts` balanced contiguous pieces: (first, count).
std::pair<std::int64_t, std::int64_t> part(std::int64_t n, std::int64_t i, std::int64_t parts) {
  const std::int64_t begin = n * i / parts;
  return {begin, n * (i + 1) / parts - begin};
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

using RouteTable = std::array<fk::Route, fk::kMaxColours>;
using OpList = std::array<fk::Op, fk::kMaxOps>;

auto op_key(const fk::Op& o) {
  return std::make_tuple(o.kind, o.flags, o.cin, o.cout, o.cin2, o.n, o.len, o.rows, o.a, o.b, o.c, o.row0, o.col0, o.period,
                         o.zero_threshold, o.seed);
}

// Deduplicating tables of routes and programs; index 0 is the empty entry.
struct Tables {
  std::vector<RouteTable> routes{RouteTable{}};
  std::vector<OpList> programs{OpList{}};

  int route(const RouteTable& r) {
    for (std::size_t i = 0; i < routes.size(); ++i) {
      bool same = true;
      for (int c = 0; c < fk::kMaxColours; ++c)
        same = same && routes[i][c].rx == r[c].rx && routes[i][c].tx == r[c].tx;
      if (same) return static_cast<int>(i);
    }
    routes.push_back(r);
    return static_cast<int>(routes.size() - 1);
  }
  int program(const std::vector<fk::Op>& ops) {
    if (ops.size() >= fk::kMaxOps) throw std::logic_error("fabric program longer than kMaxOps");
    OpList list{};
    for (std::size_t i = 0; i < ops.size(); ++i) list[i] = ops[i];
    for (std::size_t i = 0; i < programs.size(); ++i) {
      bool same = true;
      for (int k = 0; k < fk::kMaxOps; ++k) same = same && op_key(programs[i][k]) == op_key(list[k]);
      if (same) return static_cast<int>(i);
    }
    programs.push_back(list);
    return static_cast<int>(programs.size() - 1);
  }
};

fk::Route rt(int rx, std::uint8_t tx) {
  fk::Route r;
  r.rx = static_cast<std::int8_t>(rx);
  r.tx = tx;
  return r;
}

constexpr std::uint8_t N = fk::port_bit(fk::kNorth);
constexpr std::uint8_t E = fk::port_bit(fk::kEast);
constexpr std::uint8_t S = fk::port_bit(fk::kSouth);
constexpr std::uint8_t W = fk::port_bit(fk::kWest);
constexpr std::uint8_t R = fk::port_bit(fk::kRamp);

// Per-PE slots of the stationary mappings.
enum StationarySlot { kXWavelets = 0, kTileCols, kTileRows, kChainLen, kRow0, kCol0 };
// Per-PE slots of weight streaming.
enum StreamSlot { kTokens = 0, kInner, kInnerRow0 };

fk::Op make(std::uint8_t kind, std::uint8_t flags, int cin, int cout) {
  fk::Op o;
  o.kind = kind;
  o.flags = flags;
  o.cin = static_cast<std::int8_t>(cin);
  o.cout = static_cast<std::int8_t>(cout);
  return o;
}

struct Geometry {
  std::int64_t fabric_w = 0, fabric_h = 0;
};

Geometry geometry(const FabricCaseSpec& spec, const WaferSpec& chip) {
  Geometry g;
  g.fabric_w = spec.whole_fabric ? chip.fabric_width : spec.p_cols;
  g.fabric_h = spec.whole_fabric ? chip.fabric_height : spec.p_rows;
  return g;
}

std::int64_t sram_bytes_of(const FabricCaseSpec& spec) {
  // fp16 operands, fp32 partial sums (the precision the vendor's mixed-precision training uses).
  const std::int64_t mt = ceil_div(spec.m, spec.p_rows), nt = ceil_div(spec.n, spec.p_cols);
  switch (spec.mapping) {
    case FabricMapping::chain: return 2 * mt * nt + 2 * spec.batch * mt + 4 * spec.batch * nt;
    case FabricMapping::allreduce: return 2 * mt * nt + 2 * spec.batch * mt + 8 * spec.batch * nt;
    case FabricMapping::weight_streaming: {
      const std::int64_t bt = ceil_div(spec.batch, spec.p_cols);
      return 2 * bt * mt + 4 * bt;
    }
  }
  return 0;
}

}  // namespace

std::pair<std::int64_t, std::int64_t> whole_fabric_rectangle(const WaferSpec& chip, FabricMapping mapping, std::int64_t m,
                                                              std::int64_t n, std::int64_t batch) {
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
  if (spec.p_rows > spec.m) fail("more PE rows than the inner dimension m: every row needs at least one row of W");
  if (spec.mapping == FabricMapping::weight_streaming && spec.p_cols > spec.batch)
    fail("weight streaming holds at least one token per PE column: batch must be >= p_cols");
  if (spec.mapping != FabricMapping::weight_streaming && spec.p_cols > spec.n)
    fail("more PE columns than outputs n: every column needs at least one output");
  if (spec.sampled_outputs < 0 || spec.sampled_outputs > spec.n) fail("sampled_outputs must be in [0, n]");
  if (spec.sampled_outputs != 0 && spec.mapping != FabricMapping::weight_streaming)
    fail("sampled_outputs applies to weight-streaming only");
  const std::int64_t bytes = sram_bytes_of(spec);
  if (static_cast<double>(bytes) > chip.sram_per_pe_bytes)
    fail("the fullest PE needs " + std::to_string(bytes) + " bytes of SRAM, more than the " +
         std::to_string(static_cast<std::int64_t>(chip.sram_per_pe_bytes)) + " of a " + chip.name +
         " PE: use a larger rectangle");
  // Counts and SRAM offsets are 32-bit in the PE state.
  const std::int64_t per_pe = spec.mapping == FabricMapping::weight_streaming
                                  ? spec.n * (ceil_div(spec.m, spec.p_rows) + ceil_div(spec.batch, spec.p_cols))
                                  : spec.batch * std::max(ceil_div(spec.m, spec.p_rows), ceil_div(spec.n, spec.p_cols));
  if (per_pe > (std::int64_t(1) << 30)) fail("a PE would handle more than 2^30 wavelets; use a larger rectangle");
}

FabricProgram build_fabric_program(const FabricCaseSpec& spec, const WaferSpec& chip, const FabricModel& model) {
  validate_case(spec, chip);
  if (!model.present) throw std::invalid_argument(chip.name + " has no fabric_model block in its system file");
  FabricProgram prog;
  const Geometry g = geometry(spec, chip);
  auto& mesh = prog.mesh;
  mesh.width = static_cast<int>(g.fabric_w);
  mesh.height = static_cast<int>(g.fabric_h);
  mesh.config.queue_depth = static_cast<int>(model.queue_depth);
  mesh.config.pe_queue_depth = static_cast<int>(model.pe_queue_depth);
  mesh.config.task_overhead = static_cast<int>(model.task_overhead);
  mesh.config.read_cycles = static_cast<int>(model.read_cycles);
  mesh.config.simd = static_cast<int>(chip.simd_fp16);
  mesh.config.check = spec.check;
  mesh.skip_quiet = spec.skip_quiet;
  prog.sram_bytes_max = sram_bytes_of(spec);
  prog.zero_threshold = zero_threshold_of(spec.sparsity);
  prog.seed_x = spec.seed * 2U + 1U;
  prog.seed_w = spec.seed * 2U + 2U;
  const std::uint32_t zthr = prog.zero_threshold;
  const std::uint32_t seed_x = prog.seed_x, seed_w = prog.seed_w;
  const std::int64_t pr = spec.p_rows, pcn = spec.p_cols, B = spec.batch;
  Tables tables;

  if (spec.mapping == FabricMapping::weight_streaming) {
    const std::int64_t outputs = spec.sampled_outputs ? spec.sampled_outputs : spec.n;
    prog.outputs = outputs;
    const std::int64_t bt = ceil_div(B, pcn), mt = ceil_div(spec.m, pr);
    const std::int32_t x_off = 0;
    const std::int32_t acc_off = static_cast<std::int32_t>(bt * mt);
    const std::int32_t y_off = static_cast<std::int32_t>(acc_off + bt);
    mesh.config.colours = 3;
    mesh.config.sram_words = spec.check ? static_cast<int>(y_off + bt * outputs) : 0;
    // Colours: WR the weights along each row; D0/D1 the partial sums down each column.
    constexpr int WR = 0, D0 = 1, D1 = 2;
    auto dcol = [](std::int64_t i) { return (i % 2 == 0) ? D0 : D1; };
    fk::Op inject = make(fk::kInject, fk::kAsync, -1, WR);
    inject.n = static_cast<std::int32_t>(outputs);
    inject.rows = fk::slot_ref(kInner);
    inject.row0 = fk::slot_ref(kInnerRow0);
    inject.col0 = 0;
    inject.seed = seed_w;
    inject.zero_threshold = zthr;
    inject.period = 1;
    std::vector<int> prog_of[2];
    std::vector<int> routes_of[3];
    for (auto& v : prog_of) v.resize(static_cast<std::size_t>(pr));
    for (auto& v : routes_of) v.resize(static_cast<std::size_t>(pr));
    for (std::int64_t i = 0; i < pr; ++i) {
      fk::Op gemm = make(fk::kStreamGemm, fk::kActivate, WR, i + 1 < pr ? dcol(i) : -1);
      gemm.cin2 = static_cast<std::int8_t>(i > 0 ? dcol(i - 1) : -1);
      gemm.n = static_cast<std::int32_t>(outputs);
      gemm.len = fk::slot_ref(kTokens);
      gemm.rows = fk::slot_ref(kInner);
      gemm.row0 = fk::slot_ref(kInnerRow0);
      gemm.col0 = 0;
      gemm.a = x_off;
      gemm.b = y_off;
      gemm.c = acc_off;
      gemm.seed = seed_w;
      gemm.zero_threshold = zthr;
      prog_of[1][static_cast<std::size_t>(i)] = tables.program({inject, gemm});
      prog_of[0][static_cast<std::size_t>(i)] = tables.program({gemm});
      RouteTable r{};
      if (i + 1 < pr) r[dcol(i)] = rt(fk::kRamp, S);
      if (i > 0) r[dcol(i - 1)] = rt(fk::kNorth, R);
      for (int col = 0; col < 3; ++col) {
        RouteTable rr = r;
        const bool is_west = col == 0, is_east = col == 2 || pcn == 1;
        rr[WR] = rt(is_west ? fk::kRamp : fk::kWest, static_cast<std::uint8_t>(R | (is_east ? 0 : E)));
        routes_of[col][static_cast<std::size_t>(i)] = tables.route(rr);
      }
    }
    if (spec.check) {
      prog.results.assign(static_cast<std::size_t>(B * outputs), {});
      for (std::int64_t j = 0; j < pcn; ++j) {
        const auto [b0, nb] = part(B, j, pcn);
        for (std::int64_t t = 0; t < nb; ++t)
          for (std::int64_t o = 0; o < outputs; ++o)
            prog.results[static_cast<std::size_t>((b0 + t) * outputs + o)].push_back(
                {static_cast<int>(j), static_cast<int>(pr - 1), static_cast<std::int32_t>(y_off + o * nb + t)});
      }
    }
    const bool check = spec.check;
    mesh.setup = [=](int gx, int gy, sim::PeSetup& pe) {
      if (gx >= pcn || gy >= pr) return;
      const auto [b0, nb] = part(B, gx, pcn);
      const auto [r0, nr] = part(spec.m, gy, pr);
      const int col_kind = gx == 0 ? 0 : (gx + 1 == pcn ? 2 : 1);
      pe.route_id = routes_of[col_kind][static_cast<std::size_t>(gy)];
      pe.prog_id = prog_of[gx == 0 ? 1 : 0][static_cast<std::size_t>(gy)];
      pe.slots[kTokens] = static_cast<std::int32_t>(nb);
      pe.slots[kInner] = static_cast<std::int32_t>(nr);
      pe.slots[kInnerRow0] = static_cast<std::int32_t>(r0);
      if (check)
        for (std::int64_t t = 0; t < nb; ++t)
          for (std::int64_t k = 0; k < nr; ++k)
            pe.sram[x_off + t * nr + k] = static_cast<float>(reference_input(b0 + t, r0 + k, seed_x));
    };
    mesh.routes = tables.routes;
    mesh.programs = tables.programs;
    return prog;
  }

  // Stationary weights: chain or all-reduce.
  prog.outputs = spec.n;
  const bool allreduce = spec.mapping == FabricMapping::allreduce;
  const std::int64_t mt = ceil_div(spec.m, pr), nt = ceil_div(spec.n, pcn);
  const std::int32_t w_off = 0;
  const std::int32_t x_off = static_cast<std::int32_t>(mt * nt);
  const std::int32_t acc_off = static_cast<std::int32_t>(x_off + B * mt);
  const std::int32_t res_off = static_cast<std::int32_t>(acc_off + B * nt);
  mesh.config.colours = allreduce ? 6 : 3;
  mesh.config.sram_words = spec.check ? static_cast<int>(res_off + (allreduce ? B * nt : 0)) : 0;
  // Colours: X row broadcast; D0/D1 the chain going south; U0/U1 going north; BC the result
  // broadcast. A colour cannot receive and send on one fixed route, hence the alternation.
  constexpr int X = 0, D0 = 1, D1 = 2, U0 = 3, U1 = 4, BC = 5;
  auto dcol = [](std::int64_t i) { return (i % 2 == 0) ? D0 : D1; };
  auto ucol = [](std::int64_t u) { return (u % 2 == 0) ? U0 : U1; };
  const std::int64_t root = allreduce ? pr / 2 : pr - 1;  // where column j's sum ends

  fk::Op xsend = make(fk::kSend, fk::kAsync, -1, X);
  xsend.n = fk::slot_ref(kXWavelets);
  xsend.a = x_off;
  fk::Op fmac = make(fk::kRecvFmac, fk::kPerWavelet, X, -1);
  fmac.n = fk::slot_ref(kXWavelets);
  fmac.len = fk::slot_ref(kTileCols);
  fmac.rows = fk::slot_ref(kTileRows);
  fmac.row0 = fk::slot_ref(kRow0);
  fmac.col0 = fk::slot_ref(kCol0);
  fmac.a = w_off;
  fmac.c = acc_off;
  fmac.seed = seed_w;
  fmac.zero_threshold = zthr;
  auto chain_op = [&](int cin, int cout, bool first) {
    fk::Op o = make(first ? fk::kSend : fk::kChainAdd,
                    static_cast<std::uint8_t>(first ? fk::kActivate : (fk::kActivate | fk::kOnData)), cin, cout);
    o.n = fk::slot_ref(kChainLen);
    o.a = acc_off;
    return o;
  };

  std::vector<int> prog_of[2];  // [west column or not][row]
  std::vector<int> routes_of[3];  // [west, middle, east column][row]
  for (int west = 0; west < 2; ++west) prog_of[west].resize(static_cast<std::size_t>(pr));
  for (auto& r : routes_of) r.resize(static_cast<std::size_t>(pr));
  for (std::int64_t i = 0; i < pr; ++i) {
    std::vector<fk::Op> reduce;
    RouteTable rtab{};
    if (!allreduce) {
      if (pr > 1) {
        if (i == 0) reduce.push_back(chain_op(-1, dcol(0), true));
        else reduce.push_back(chain_op(dcol(i - 1), i + 1 < pr ? dcol(i) : -1, false));
      }
      if (i + 1 < pr) rtab[dcol(i)] = rt(fk::kRamp, S);
      if (i > 0) rtab[dcol(i - 1)] = rt(fk::kNorth, R);
    } else {
      if (i < root) {
        reduce.push_back(i == 0 ? chain_op(-1, dcol(0), true) : chain_op(dcol(i - 1), dcol(i), false));
        rtab[dcol(i)] = rt(fk::kRamp, S);
        if (i > 0) rtab[dcol(i - 1)] = rt(fk::kNorth, R);
      } else if (i > root) {
        const std::int64_t u = pr - 1 - i;
        reduce.push_back(u == 0 ? chain_op(-1, ucol(0), true) : chain_op(ucol(u - 1), ucol(u), false));
        rtab[ucol(u)] = rt(fk::kRamp, N);
        if (u > 0) rtab[ucol(u - 1)] = rt(fk::kSouth, R);
      } else {
        if (root > 0) {
          reduce.push_back(chain_op(dcol(root - 1), -1, false));
          rtab[dcol(root - 1)] = rt(fk::kNorth, R);
        }
        if (root < pr - 1) {
          reduce.push_back(chain_op(ucol(pr - 2 - root), -1, false));
          rtab[ucol(pr - 2 - root)] = rt(fk::kSouth, R);
        }
      }
      // The sum is multicast back along the column from the root.
      if (pr > 1) {
        if (i == root) {
          fk::Op bsend = make(fk::kSend, 0, -1, BC);
          bsend.n = fk::slot_ref(kChainLen);
          bsend.a = acc_off;
          reduce.push_back(bsend);
          rtab[BC] = rt(fk::kRamp, static_cast<std::uint8_t>((root > 0 ? N : 0) | (root + 1 < pr ? S : 0)));
        } else {
          fk::Op brecv = make(fk::kRecv, 0, BC, -1);
          brecv.n = fk::slot_ref(kChainLen);
          brecv.a = res_off;
          reduce.push_back(brecv);
          if (i < root) rtab[BC] = rt(fk::kSouth, static_cast<std::uint8_t>(R | (i > 0 ? N : 0)));
          else rtab[BC] = rt(fk::kNorth, static_cast<std::uint8_t>(R | (i + 1 < pr ? S : 0)));
        }
      }
    }
    for (int west = 0; west < 2; ++west) {
      std::vector<fk::Op> ops;
      if (west) ops.push_back(xsend);
      ops.push_back(fmac);
      ops.insert(ops.end(), reduce.begin(), reduce.end());
      prog_of[west][static_cast<std::size_t>(i)] = tables.program(ops);
    }
    for (int col = 0; col < 3; ++col) {
      RouteTable r = rtab;
      const bool is_west = col == 0, is_east = col == 2 || pcn == 1;
      r[X] = rt(is_west ? fk::kRamp : fk::kWest, static_cast<std::uint8_t>(R | (is_east ? 0 : E)));
      routes_of[col][static_cast<std::size_t>(i)] = tables.route(r);
    }
  }
  if (spec.check) {
    prog.results.assign(static_cast<std::size_t>(B * spec.n), {});
    for (std::int64_t j = 0; j < pcn; ++j) {
      const auto [c0, nc] = part(spec.n, j, pcn);
      for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t c = 0; c < nc; ++c) {
          auto& locs = prog.results[static_cast<std::size_t>(b * spec.n + c0 + c)];
          for (std::int64_t i = 0; i < pr; ++i) {
            if (i == root) locs.push_back({static_cast<int>(j), static_cast<int>(i), static_cast<std::int32_t>(acc_off + b * nc + c)});
            else if (allreduce) locs.push_back({static_cast<int>(j), static_cast<int>(i), static_cast<std::int32_t>(res_off + b * nc + c)});
          }
        }
    }
  }
  const bool check = spec.check;
  mesh.setup = [=](int gx, int gy, sim::PeSetup& pe) {
    if (gx >= pcn || gy >= pr) return;
    const auto [r0, nr] = part(spec.m, gy, pr);
    const auto [c0, nc] = part(spec.n, gx, pcn);
    const int col_kind = gx == 0 ? 0 : (gx + 1 == pcn ? 2 : 1);
    pe.route_id = routes_of[col_kind][static_cast<std::size_t>(gy)];
    pe.prog_id = prog_of[gx == 0 ? 1 : 0][static_cast<std::size_t>(gy)];
    pe.slots[kXWavelets] = static_cast<std::int32_t>(B * nr);
    pe.slots[kTileCols] = static_cast<std::int32_t>(nc);
    pe.slots[kTileRows] = static_cast<std::int32_t>(nr);
    pe.slots[kChainLen] = static_cast<std::int32_t>(B * nc);
    pe.slots[kRow0] = static_cast<std::int32_t>(r0);
    pe.slots[kCol0] = static_cast<std::int32_t>(c0);
    if (!check) return;
    for (std::int64_t j = 0; j < nr; ++j)
      for (std::int64_t k = 0; k < nc; ++k)
        pe.sram[w_off + j * nc + k] = static_cast<float>(reference_weight(r0 + j, c0 + k, seed_w, zthr));
    if (gx == 0)
      for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t j = 0; j < nr; ++j) pe.sram[x_off + b * nr + j] = static_cast<float>(reference_input(b, r0 + j, seed_x));
  };
  mesh.routes = tables.routes;
  mesh.programs = tables.programs;
  return prog;
}

}  // namespace wb::wafer
