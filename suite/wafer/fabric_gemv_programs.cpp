// The stationary-weight mappings (fabric_program.hpp): chain, allreduce and meshgemv. PE (i, j)
// holds W[M_i, N_j]; they differ in how x reaches the PEs (multicast along the row from the west
// column, or already resident) and in how each column reduces its partial sums.
#include <cmath>
#include <stdexcept>

#include "wafer/fabric_builder.hpp"
#include "wafer/fabric_mappings.hpp"

namespace wb::wafer::fabric {

namespace {

// Per-PE slots.
enum Slot { kXWavelets = 0, kTileCols, kTileRows, kChainLen, kRow0, kCol0 };

// SRAM layout of one PE (words): W tile, x (batch x tile rows), partial sums, received result.
struct Layout {
  std::int32_t w = 0, x = 0, acc = 0, res = 0, words = 0;
};

// The reduction of one column: per row the ops after the local product, the column's routes,
// and which rows hold y (at acc, or at res for the rows that receive it back).
struct ColumnPlan {
  std::vector<std::vector<fk::Op>> reduce;
  std::vector<RouteTable> routes;
  std::vector<int> holds;  // per row: 0 nothing, 1 at acc, 2 at res
  int colours = 0;
};

fk::Op send_acc(int cout, const Layout& l, std::uint8_t flags) {
  fk::Op o = make(fk::kSend, flags, -1, cout);
  o.n = fk::slot_ref(kChainLen);
  o.a = l.acc;
  return o;
}

// Pipelined step of a reduction: receive on cin, add the own partial sum, send on cout (cout < 0:
// add into acc).
fk::Op stream_add(int cin, int cout, const Layout& l) {
  fk::Op o = make(fk::kStreamAdd, 0, cin, cout);
  o.n = fk::slot_ref(kChainLen);
  o.a = l.acc;
  return o;
}

// Store-and-forward chain down the column (chain) or two chains meeting at the middle row with the
// sum multicast back (allreduce). Colours: X = 0 is the row broadcast of x; D0/D1 the chain going
// south; U0/U1 going north; BC the result broadcast. A colour cannot receive and send on one fixed
// route, hence the alternation.
ColumnPlan chain_column(std::int64_t pr, bool allreduce, const Layout& l) {
  constexpr int D0 = 1, D1 = 2, U0 = 3, U1 = 4, BC = 5;
  auto dcol = [](std::int64_t i) { return (i % 2 == 0) ? D0 : D1; };
  auto ucol = [](std::int64_t u) { return (u % 2 == 0) ? U0 : U1; };
  const std::int64_t root = allreduce ? pr / 2 : pr - 1;  // where column j's sum ends
  auto chain_op = [&](int cin, int cout, bool first) {
    fk::Op o = make(first ? fk::kSend : fk::kChainAdd,
                    static_cast<std::uint8_t>(first ? fk::kActivate : (fk::kActivate | fk::kOnData)), cin, cout);
    o.n = fk::slot_ref(kChainLen);
    o.a = l.acc;
    return o;
  };
  ColumnPlan plan;
  plan.colours = allreduce ? 6 : 3;
  plan.reduce.resize(static_cast<std::size_t>(pr));
  plan.routes.resize(static_cast<std::size_t>(pr));
  plan.holds.assign(static_cast<std::size_t>(pr), 0);
  for (std::int64_t i = 0; i < pr; ++i) {
    auto& reduce = plan.reduce[static_cast<std::size_t>(i)];
    auto& rtab = plan.routes[static_cast<std::size_t>(i)];
    plan.holds[static_cast<std::size_t>(i)] = i == root ? 1 : (allreduce ? 2 : 0);
    if (!allreduce) {
      if (pr > 1) {
        if (i == 0) reduce.push_back(chain_op(-1, dcol(0), true));
        else reduce.push_back(chain_op(dcol(i - 1), i + 1 < pr ? dcol(i) : -1, false));
      }
      if (i + 1 < pr) rtab[dcol(i)] = rt(fk::kRamp, S);
      if (i > 0) rtab[dcol(i - 1)] = rt(fk::kNorth, R);
      continue;
    }
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
        reduce.push_back(send_acc(BC, l, 0));
        rtab[BC] = rt(fk::kRamp, static_cast<std::uint8_t>((root > 0 ? N : 0) | (root + 1 < pr ? S : 0)));
      } else {
        fk::Op brecv = make(fk::kRecv, 0, BC, -1);
        brecv.n = fk::slot_ref(kChainLen);
        brecv.a = l.res;
        reduce.push_back(brecv);
        if (i < root) rtab[BC] = rt(fk::kSouth, static_cast<std::uint8_t>(R | (i > 0 ? N : 0)));
        else rtab[BC] = rt(fk::kNorth, static_cast<std::uint8_t>(R | (i + 1 < pr ? S : 0)));
      }
    }
  }
  return plan;
}

// A pipelined chain over the rows `rows` (top to bottom) towards rows[root]: the rows above it
// send south, the rows below it send north, the root adds what arrives from below, then from
// above (WaferLLM's two_tree_allreduce order). Consecutive members may be apart: the rows in
// between pass the wavelets on in their routers. down/up: the two colours of each direction.
void tree_level(const std::vector<std::int64_t>& rows, std::size_t root, const int down[2], const int up[2], const Layout& l,
                ColumnPlan& plan) {
  auto put = [&](std::int64_t row, int colour, fk::Route r) {
    auto& slot = plan.routes[static_cast<std::size_t>(row)][colour];
    if (slot.rx >= 0) throw std::logic_error("meshgemv: two routes of one colour at one router");
    slot = r;
  };
  auto through = [&](std::int64_t from, std::int64_t to, int colour, int dir) {
    for (std::int64_t k = from; k < to; ++k) put(k, colour, rt(fk::opposite(dir), fk::port_bit(dir)));
  };
  const std::size_t n = rows.size();
  for (std::size_t k = 0; k < root; ++k) {  // above the root: southwards
    const int colour = down[k % 2];
    const std::int64_t r = rows[k], next = rows[k + 1];
    put(r, colour, rt(fk::kRamp, S));
    through(r + 1, next, colour, fk::kSouth);
    put(next, colour, rt(fk::kNorth, R));
    auto& ops = plan.reduce[static_cast<std::size_t>(r)];
    ops.push_back(k == 0 ? send_acc(colour, l, 0) : stream_add(down[(k - 1) % 2], colour, l));
  }
  for (std::size_t k = n - 1; k > root; --k) {  // below the root: northwards
    const std::size_t u = n - 1 - k;
    const int colour = up[u % 2];
    const std::int64_t r = rows[k], next = rows[k - 1];
    put(r, colour, rt(fk::kRamp, N));
    through(next + 1, r, colour, fk::kNorth);
    put(next, colour, rt(fk::kSouth, R));
    auto& ops = plan.reduce[static_cast<std::size_t>(r)];
    ops.push_back(u == 0 ? send_acc(colour, l, 0) : stream_add(up[(u - 1) % 2], colour, l));
  }
  auto& ops = plan.reduce[static_cast<std::size_t>(rows[root])];
  if (root + 1 < n) ops.push_back(stream_add(up[(n - 2 - root) % 2], -1, l));
  if (root > 0) ops.push_back(stream_add(down[(root - 1) % 2], -1, l));
}

// MeshGEMV's two-level K-tree all-reduce of one column (WaferLLM, OSDI'25, Sec. 6.1; K = 2 as in
// its implementation): groups of g rows reduce to their middle row, the group roots reduce to
// the middle group's root, which broadcasts the sum both ways along the column. Colours: first
// level 0-3, second level 4-7, broadcast 8.
ColumnPlan ktree_column(std::int64_t pr, std::int64_t g, const Layout& l) {
  ColumnPlan plan;
  plan.colours = 9;
  plan.reduce.resize(static_cast<std::size_t>(pr));
  plan.routes.resize(static_cast<std::size_t>(pr));
  plan.holds.assign(static_cast<std::size_t>(pr), 1);
  const int down1[2] = {0, 1}, up1[2] = {2, 3}, down2[2] = {4, 5}, up2[2] = {6, 7};
  constexpr int BC = 8;
  std::vector<std::int64_t> roots;
  for (std::int64_t lo = 0; lo < pr; lo += g) {
    const std::int64_t hi = std::min(pr, lo + g);
    std::vector<std::int64_t> rows;
    for (std::int64_t r = lo; r < hi; ++r) rows.push_back(r);
    const std::size_t root = (rows.size() - 1) / 2;
    tree_level(rows, root, down1, up1, l, plan);
    roots.push_back(rows[root]);
  }
  const std::size_t q = (roots.size() - 1) / 2;
  tree_level(roots, q, down2, up2, l, plan);
  const std::int64_t top = roots[q];
  if (pr > 1) {
    for (std::int64_t i = 0; i < pr; ++i) {
      auto& rtab = plan.routes[static_cast<std::size_t>(i)];
      if (i == top) {
        plan.reduce[static_cast<std::size_t>(i)].push_back(send_acc(BC, l, 0));
        rtab[BC] = rt(fk::kRamp, static_cast<std::uint8_t>((top > 0 ? N : 0) | (top + 1 < pr ? S : 0)));
      } else {
        fk::Op brecv = make(fk::kRecv, 0, BC, -1);
        brecv.n = fk::slot_ref(kChainLen);
        brecv.a = l.acc;
        plan.reduce[static_cast<std::size_t>(i)].push_back(brecv);
        if (i < top) rtab[BC] = rt(fk::kSouth, static_cast<std::uint8_t>(R | (i > 0 ? N : 0)));
        else rtab[BC] = rt(fk::kNorth, static_cast<std::uint8_t>(R | (i + 1 < pr ? S : 0)));
      }
    }
  }
  return plan;
}

}  // namespace

std::int64_t meshgemv_group(const FabricCaseSpec& spec) {
  if (spec.group > 0) return spec.group;
  return std::max<std::int64_t>(1, std::llround(std::sqrt(static_cast<double>(spec.p_rows))));
}

void build_stationary_gemv(const FabricCaseSpec& spec, FabricProgram& prog) {
  auto& mesh = prog.mesh;
  const std::uint32_t zthr = prog.zero_threshold, seed_x = prog.seed_x, seed_w = prog.seed_w;
  const std::int64_t pr = spec.p_rows, pcn = spec.p_cols, B = spec.batch;
  const bool resident = spec.mapping == FabricMapping::meshgemv;
  prog.outputs = spec.n;
  const std::int64_t mt = ceil_div(spec.m, pr), nt = ceil_div(spec.n, pcn);
  Layout l;
  l.x = static_cast<std::int32_t>(mt * nt);
  l.acc = static_cast<std::int32_t>(l.x + B * mt);
  l.res = static_cast<std::int32_t>(l.acc + B * nt);
  const ColumnPlan plan = resident ? ktree_column(pr, meshgemv_group(spec), l)
                                   : chain_column(pr, spec.mapping == FabricMapping::allreduce, l);
  l.words = spec.mapping == FabricMapping::allreduce ? static_cast<std::int32_t>(l.res + B * nt) : l.res;
  mesh.config.colours = plan.colours;
  mesh.config.sram_words = spec.check ? l.words : 0;
  constexpr int X = 0;  // chain, allreduce: the row broadcast of x

  // The local product: one data task per arriving x wavelet, or one GEMV over the resident x.
  fk::Op xsend = make(fk::kSend, fk::kAsync, -1, X);
  xsend.n = fk::slot_ref(kXWavelets);
  xsend.a = l.x;
  fk::Op product = resident ? make(fk::kGemv, fk::kActivate, -1, -1) : make(fk::kRecvFmac, fk::kPerWavelet, X, -1);
  product.n = resident ? fk::slot_ref(kTileRows) : fk::slot_ref(kXWavelets);
  product.len = fk::slot_ref(kTileCols);
  product.rows = resident ? static_cast<std::int32_t>(B) : fk::slot_ref(kTileRows);
  product.row0 = fk::slot_ref(kRow0);
  product.col0 = fk::slot_ref(kCol0);
  product.a = resident ? l.x : l.w;
  product.b = l.w;
  product.c = l.acc;
  product.seed = seed_w;
  product.zero_threshold = zthr;
  const std::vector<Accumulator> acc{{l.acc, fk::slot_ref(kChainLen)}};

  Tables tables;
  std::vector<int> prog_of[2];    // [west column or not][row]
  std::vector<int> routes_of[3];  // [west, middle, east column][row]
  for (auto& v : prog_of) v.resize(static_cast<std::size_t>(pr));
  for (auto& v : routes_of) v.resize(static_cast<std::size_t>(pr));
  for (std::int64_t i = 0; i < pr; ++i) {
    const auto& reduce = plan.reduce[static_cast<std::size_t>(i)];
    for (int west = 0; west < 2; ++west) {
      std::vector<fk::Op> ops;
      if (west && !resident) ops.push_back(xsend);
      ops.push_back(product);
      ops.insert(ops.end(), reduce.begin(), reduce.end());
      prog_of[west][static_cast<std::size_t>(i)] = tables.program(with_repeats(ops, spec.warmup, spec.repeats, acc));
    }
    for (int col = 0; col < 3; ++col) {
      RouteTable r = plan.routes[static_cast<std::size_t>(i)];
      const bool is_west = col == 0, is_east = col == 2 || pcn == 1;
      if (!resident) r[X] = rt(is_west ? fk::kRamp : fk::kWest, static_cast<std::uint8_t>(R | (is_east ? 0 : E)));
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
            const int h = plan.holds[static_cast<std::size_t>(i)];
            if (h == 0) continue;
            const std::int32_t base = h == 1 ? l.acc : l.res;
            locs.push_back({static_cast<int>(j), static_cast<int>(i), static_cast<std::int32_t>(base + b * nc + c)});
          }
        }
    }
  }
  const bool check = spec.check;
  const std::int64_t m = spec.m, n = spec.n;
  mesh.setup = [=](int gx, int gy, sim::PeSetup& pe) {
    if (gx >= pcn || gy >= pr) return;
    const auto [r0, nr] = part(m, gy, pr);
    const auto [c0, nc] = part(n, gx, pcn);
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
        pe.sram[l.w + j * nc + k] = static_cast<float>(reference_weight(r0 + j, c0 + k, seed_w, zthr));
    if (gx == 0 || resident)
      for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t j = 0; j < nr; ++j) pe.sram[l.x + b * nr + j] = static_cast<float>(reference_input(b, r0 + j, seed_x));
  };
  mesh.routes = tables.routes;
  mesh.programs = tables.programs;
}

}  // namespace wb::wafer::fabric
