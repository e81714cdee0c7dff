// The GEMMs with both operands resident on a P x P grid (fabric_program.hpp): cannon, meshgemm and
// summa. y[b, n] = x[b, m] W[m, n] is C = A B with A = x, B = W. Tiles are the padded blocks of a
// P-way split (ceil sizes; the zeros beyond the matrix are computed like any other element, as a
// kernel padded to a multiple of P does): PE (i, j) starts with A(i, j) and ends with C(i, j); it
// starts with B(i, j) in SUMMA and with the B block its aligned A tile needs in the ring GEMMs.
#include <map>
#include <stdexcept>
#include <tuple>

#include "wafer/fabric_builder.hpp"
#include "wafer/fabric_mappings.hpp"

namespace wb::wafer::fabric {

namespace {

// Per-PE slots.
enum Slot { kSkewA = 0, kSkewB, kSkewMax, kParityA, kParityA1, kParityB, kParityB1, kPosRow, kPosCol };

struct Tiles {
  std::int64_t p = 0, bt = 0, kt = 0, ot = 0;  // grid side; rows of A and C, inner, columns of B and C
  std::int32_t a_words = 0, b_words = 0, c_words = 0;
  std::int32_t stride = 0;  // words per buffer: A0 at 0, A1 at stride, B0 at 2 stride, B1 at 3 stride, C at 4 stride
  std::int32_t a0() const { return 0; }
  std::int32_t b0() const { return 2 * stride; }
  std::int32_t c() const { return 4 * stride; }
};

Tiles tiles_of(const FabricCaseSpec& spec) {
  Tiles t;
  t.p = spec.p_rows;
  t.bt = ceil_div(spec.batch, t.p);
  t.kt = ceil_div(spec.m, t.p);
  t.ot = ceil_div(spec.n, t.p);
  t.a_words = static_cast<std::int32_t>(t.bt * t.kt);
  t.b_words = static_cast<std::int32_t>(t.kt * t.ot);
  t.c_words = static_cast<std::int32_t>(t.bt * t.ot);
  t.stride = std::max(t.a_words, t.b_words);
  return t;
}

// WaferLLM's INTERLEAVE (OSDI'25, Algorithm 1): the ring neighbours of physical index `x` of n,
// so that every transfer of the ring spans at most two hops.
std::pair<int, int> interleave(int x, int n) {  // (send to, receive from)
  int send = 0, recv = 0;
  if (x % 2 == 0) {
    recv = std::max(x - 2, 0);
    send = std::min(x + 2, n - 1);
  } else {
    recv = std::min(x + 2, n - 1);
    send = std::max(x - 2, 0);
  }
  if (x == 0) recv = 1;
  if (x == n - 1) {
    if (n % 2 == 0) recv = n - 2;
    else send = n - 2;
  }
  return {send, recv};
}

// The ring of one line: where each position sends its tile, and its logical position L (data
// moves from logical position l + 1 to l, so L(receive-from(x)) = L(x) + 1, L(0) = 0).
struct Ring {
  std::vector<int> send, logical;
};

Ring ring_of(FabricMapping mapping, int n) {
  Ring r;
  r.send.resize(static_cast<std::size_t>(n));
  std::vector<int> recv(static_cast<std::size_t>(n));
  for (int x = 0; x < n; ++x) {
    if (mapping == FabricMapping::meshgemm) {
      std::tie(r.send[static_cast<std::size_t>(x)], recv[static_cast<std::size_t>(x)]) = interleave(x, n);
    } else {  // Cannon's cyclic shift: to the predecessor, the head's tile wrapping to the tail
      r.send[static_cast<std::size_t>(x)] = (x + n - 1) % n;
      recv[static_cast<std::size_t>(x)] = (x + 1) % n;
    }
  }
  for (int x = 0; x < n; ++x)
    if (recv[static_cast<std::size_t>(r.send[static_cast<std::size_t>(x)])] != x)
      throw std::logic_error("shift GEMM ring is not a permutation");
  r.logical.assign(static_cast<std::size_t>(n), -1);
  int x = 0;
  for (int l = 0; l < n; ++l) {
    if (r.logical[static_cast<std::size_t>(x)] >= 0) throw std::logic_error("shift GEMM ring is not one cycle");
    r.logical[static_cast<std::size_t>(x)] = l;
    x = recv[static_cast<std::size_t>(x)];
  }
  return r;
}

// The routes of one line of a P x P grid, grouped into classes of positions that share them.
struct LineClasses {
  std::vector<int> class_of;        // per position
  std::vector<int> representative;  // per class: a position
  LineRoutes routes;
};

LineClasses classes_of(LineRoutes routes, const std::vector<int>& extra_key) {
  LineClasses lc;
  const std::size_t n = routes.at.size();
  lc.class_of.resize(n);
  for (std::size_t x = 0; x < n; ++x) {
    int found = -1;
    for (std::size_t c = 0; c < lc.representative.size() && found < 0; ++c) {
      const auto y = static_cast<std::size_t>(lc.representative[c]);
      bool same = routes.send_colour[x] == routes.send_colour[y] && routes.recv_colour[x] == routes.recv_colour[y] &&
                  extra_key[x] == extra_key[y];
      for (int k = 0; k < fk::kMaxColours && same; ++k)
        same = routes.at[x][k].rx == routes.at[y][k].rx && routes.at[x][k].tx == routes.at[y][k].tx;
      if (same) found = static_cast<int>(c);
    }
    if (found < 0) {
      found = static_cast<int>(lc.representative.size());
      lc.representative.push_back(static_cast<int>(x));
    }
    lc.class_of[x] = found;
  }
  lc.routes = std::move(routes);
  return lc;
}

// SUMMA's broadcast routes of one line: PE x relays what comes from either side. Colours:
// back[2] towards lower positions (west, north), fwd[2] towards higher ones; PE x sends on
// colour index x % 2 and receives on (x + 1) % 2 of each direction.
LineRoutes relay_routes(int n, bool horizontal, const int back[2], const int fwd[2]) {
  LineRoutes lr;
  lr.at.assign(static_cast<std::size_t>(n), RouteTable{});
  lr.send_colour.assign(static_cast<std::size_t>(n), -1);
  lr.recv_colour.assign(static_cast<std::size_t>(n), -1);
  const int lo = horizontal ? fk::kWest : fk::kNorth, hi = horizontal ? fk::kEast : fk::kSouth;
  for (int x = 0; x < n; ++x) {
    auto& r = lr.at[static_cast<std::size_t>(x)];
    if (x > 0) {
      r[back[x % 2]] = rt(fk::kRamp, fk::port_bit(lo));
      r[fwd[(x + 1) % 2]] = rt(lo, R);
    }
    if (x + 1 < n) {
      r[fwd[x % 2]] = rt(fk::kRamp, fk::port_bit(hi));
      r[back[(x + 1) % 2]] = rt(hi, R);
    }
  }
  return lr;
}

fk::Op tile_gemm(const Tiles& t, std::uint8_t mode, std::int32_t a_off, std::int32_t b_off) {
  fk::Op g = make(fk::kTileGemm, fk::kActivate, -1, -1);
  g.n = static_cast<std::int32_t>(t.bt);
  g.rows = static_cast<std::int32_t>(t.kt);
  g.len = static_cast<std::int32_t>(t.ot);
  g.a = t.a0();
  g.b = t.b0();
  g.c = t.c();
  g.amode = g.bmode = mode;
  g.aoff = a_off;
  g.boff = b_off;
  g.stride = t.stride;
  return g;
}

// One operand's shift on two microthreads: send the current buffer, receive into the other.
void shift(OpSequence& seq, const Tiles& t, bool a, int send, int recv, std::int32_t parity, std::int32_t parity1,
           std::uint8_t pred = fk::kAlways, std::int32_t pred_v = 0) {
  const std::int32_t words = a ? t.a_words : t.b_words, base = a ? t.a0() : t.b0();
  fk::Op s = make(fk::kSend, fk::kAsync, -1, send);
  fk::Op r = make(fk::kRecv, fk::kAsync, recv, -1);
  for (fk::Op* o : {&s, &r}) {
    o->n = words;
    o->a = base;
    o->amode = fk::kAddrParity;
    o->stride = t.stride;
    o->pred = pred;
    o->pred_v = pred_v;
  }
  s.aoff = parity;
  r.aoff = parity1;
  seq.add(s);
  seq.add(r);
}

// Cannon and MeshGEMM: alignment (row i's A moves L(i) ring steps, so that PE (i, j) holds
// A(i, k) with L(k) = L(i) + L(j) mod P; B(k, j) of the same k is placed there by the host, as
// WaferLLM's launch script permutes W's tiles before copying them in), then P - 1 steps of
// multiply and shift and a last multiply. Cannon multiplies, then shifts; MeshGEMM starts the shifts into the other
// buffers first, so that they overlap the multiply (WaferLLM, Sec. 5.3).
std::vector<fk::Op> ring_program(const FabricCaseSpec& spec, const Tiles& t, int a_send, int a_recv, int b_send, int b_recv,
                                 std::int32_t steps) {
  OpSequence seq;
  seq.begin_loop(1, fk::slot_ref(kSkewMax));
  shift(seq, t, true, a_send, a_recv, 0, 1, fk::kWhenStepBelow, fk::slot_ref(kSkewA));
  shift(seq, t, false, b_send, b_recv, 0, 1, fk::kWhenStepBelow, fk::slot_ref(kSkewB));
  seq.add(make(fk::kWait, 0, -1, -1));
  seq.end_loop();
  const fk::Op gemm = tile_gemm(t, fk::kAddrParity, fk::slot_ref(kParityA), fk::slot_ref(kParityB));
  const bool overlap = spec.mapping == FabricMapping::meshgemm;
  seq.begin_loop(1, steps);
  if (!overlap) seq.add(gemm);
  shift(seq, t, true, a_send, a_recv, fk::slot_ref(kParityA), fk::slot_ref(kParityA1));
  shift(seq, t, false, b_send, b_recv, fk::slot_ref(kParityB), fk::slot_ref(kParityB1));
  if (overlap) seq.add(gemm);
  seq.add(make(fk::kWait, 0, -1, -1));
  seq.end_loop();
  seq.add(gemm);
  return seq.ops();
}

// One operand's SUMMA broadcast at a PE of position x on its line (n PEs): the source sends its
// own tile both ways, the others relay from the side of the source. back/fwd: the line's colours.
void broadcast(OpSequence& seq, const Tiles& t, bool a, int x, int n, const int back[2], const int fwd[2]) {
  const std::int32_t words = a ? t.a_words : t.b_words, own = a ? t.a0() : t.b0(), buf = own + t.stride;
  const std::int32_t pos = fk::slot_ref(a ? kPosCol : kPosRow);
  auto op = [&](std::uint8_t kind, int cin, int cout, std::uint8_t pred, std::int32_t addr) {
    fk::Op o = make(kind, fk::kAsync, cin, cout);
    o.n = words;
    o.a = addr;
    o.pred = pred;
    o.pred_v = pos;
    seq.add(o);
  };
  const int send = x % 2, recv = (x + 1) % 2;
  if (x > 0) op(fk::kSend, -1, back[send], fk::kWhenStepIs, own);
  if (x + 1 < n) op(fk::kSend, -1, fwd[send], fk::kWhenStepIs, own);
  if (x > 0) op(fk::kRelay, fwd[recv], x + 1 < n ? fwd[send] : -1, fk::kWhenStepBelow, buf);  // source to the west/north
  if (x + 1 < n) op(fk::kRelay, back[recv], x > 0 ? back[send] : -1, fk::kWhenStepAbove, buf);
}

constexpr int kRowBack[2] = {0, 1}, kRowFwd[2] = {2, 3}, kColBack[2] = {4, 5}, kColFwd[2] = {6, 7};

// SUMMA: in step k, column k broadcasts its A tiles along the rows and row k its B tiles along the
// columns (relayed PE by PE); then every PE multiplies its own or the received tiles.
std::vector<fk::Op> summa_program(const Tiles& t, int i, int j, std::int32_t steps, std::int32_t stride) {
  OpSequence seq;
  const int n = static_cast<int>(t.p);
  seq.begin_loop(1, steps);
  broadcast(seq, t, true, j, n, kRowBack, kRowFwd);
  broadcast(seq, t, false, i, n, kColBack, kColFwd);
  seq.add(make(fk::kWait, 0, -1, -1));
  seq.add(tile_gemm(t, fk::kAddrSelect, fk::slot_ref(kPosCol), fk::slot_ref(kPosRow)));
  seq.end_loop(stride);
  return seq.ops();
}

}  // namespace

void build_shift_gemm(const FabricCaseSpec& spec, FabricProgram& prog) {
  auto& mesh = prog.mesh;
  const Tiles t = tiles_of(spec);
  const int n = static_cast<int>(t.p);
  const bool summa = spec.mapping == FabricMapping::summa;
  prog.outputs = spec.n;
  prog.steps = summa ? n : n - 1;
  const std::int64_t s = spec.sampled_steps;
  // Sampled: s steps of the main loop (SUMMA: evenly spaced, its broadcasts start at different
  // distances), the alignment capped at s steps.
  const std::int32_t stride = summa && s > 0 ? static_cast<std::int32_t>(n / s) : 1;
  const std::int32_t steps = static_cast<std::int32_t>(s > 0 ? (summa ? s * stride : s) : prog.steps);
  mesh.config.colours = 8;
  mesh.config.sram_words = spec.check ? 4 * t.stride + t.c_words : 0;

  Ring ring;
  LineRoutes row_routes, col_routes;
  std::vector<int> key(static_cast<std::size_t>(n));
  if (summa) {
    row_routes = relay_routes(n, true, kRowBack, kRowFwd);
    col_routes = relay_routes(n, false, kColBack, kColFwd);
    for (int x = 0; x < n; ++x) key[static_cast<std::size_t>(x)] = (x == 0) + 2 * (x + 1 == n) + 4 * (x % 2);
  } else {
    ring = ring_of(spec.mapping, n);
    row_routes = line_routes(ring.send, true, {0, 1, 2, 3});
    col_routes = line_routes(ring.send, false, {4, 5, 6, 7});
  }
  const LineClasses rows = classes_of(std::move(col_routes), key);  // along a column: a PE's row position
  const LineClasses cols = classes_of(std::move(row_routes), key);  // along a row: its column position
  Tables tables;
  std::map<std::pair<int, int>, std::pair<int, int>> ids;  // (row class, column class) -> (route, program)
  for (std::size_t rc = 0; rc < rows.representative.size(); ++rc)
    for (std::size_t cc = 0; cc < cols.representative.size(); ++cc) {
      const int i = rows.representative[rc], j = cols.representative[cc];
      const RouteTable r = merge(cols.routes.at[static_cast<std::size_t>(j)], rows.routes.at[static_cast<std::size_t>(i)]);
      const std::vector<fk::Op> body =
          summa ? summa_program(t, i, j, steps, stride)
                : ring_program(spec, t, cols.routes.send_colour[static_cast<std::size_t>(j)],
                               cols.routes.recv_colour[static_cast<std::size_t>(j)],
                               rows.routes.send_colour[static_cast<std::size_t>(i)],
                               rows.routes.recv_colour[static_cast<std::size_t>(i)], steps);
      ids[{static_cast<int>(rc), static_cast<int>(cc)}] = {
          tables.route(r), tables.program(with_repeats(body, spec.warmup, spec.repeats, {{t.c(), t.c_words}}))};
    }
  if (spec.check) {
    prog.results.assign(static_cast<std::size_t>(spec.batch * spec.n), {});
    for (std::int64_t b = 0; b < spec.batch; ++b)
      for (std::int64_t col = 0; col < spec.n; ++col) {
        const std::int64_t i = b / t.bt, j = col / t.ot;
        const auto word = static_cast<std::int32_t>(t.c() + (b - i * t.bt) * t.ot + (col - j * t.ot));
        prog.results[static_cast<std::size_t>(b * spec.n + col)].push_back({static_cast<int>(j), static_cast<int>(i), word});
      }
  }
  const bool check = spec.check;
  const std::int64_t B = spec.batch, m = spec.m, nn = spec.n;
  const std::uint32_t seed_x = prog.seed_x, seed_w = prog.seed_w;
  const std::vector<int> logical = ring.logical;
  // The physical position of each logical ring position (the host's placement of B).
  std::vector<int> physical(logical.size());
  for (std::size_t x = 0; x < logical.size(); ++x) physical[static_cast<std::size_t>(logical[x])] = static_cast<int>(x);
  mesh.setup = [=](int gx, int gy, sim::PeSetup& pe) {
    if (gx >= n || gy >= n) return;
    const auto& [route, program] = ids.at({rows.class_of[static_cast<std::size_t>(gy)], cols.class_of[static_cast<std::size_t>(gx)]});
    pe.route_id = route;
    pe.prog_id = program;
    if (!summa) {
      auto cap = [&](int l) { return static_cast<std::int32_t>(s > 0 ? std::min<std::int64_t>(l, s) : l); };
      const std::int32_t la = cap(logical[static_cast<std::size_t>(gy)]), lb = 0;  // B arrives aligned
      pe.slots[kSkewA] = la;
      pe.slots[kSkewB] = lb;
      pe.slots[kSkewMax] = std::max(la, lb);
      pe.slots[kParityA] = la & 1;
      pe.slots[kParityA1] = (la + 1) & 1;
      pe.slots[kParityB] = lb & 1;
      pe.slots[kParityB1] = (lb + 1) & 1;
    }
    pe.slots[kPosRow] = gy;
    pe.slots[kPosCol] = gx;
    if (!check) return;
    for (std::int64_t r = 0; r < t.bt; ++r)
      for (std::int64_t k = 0; k < t.kt; ++k) {
        const std::int64_t b = gy * t.bt + r, kk = gx * t.kt + k;
        pe.sram[t.a0() + r * t.kt + k] = b < B && kk < m ? static_cast<float>(reference_input(b, kk, seed_x)) : 0.0f;
      }
    // B's k block: SUMMA's PE (i, j) starts with B(i, j); the ring GEMMs' with the block that
    // meets A after A's alignment.
    const std::int64_t kb =
        summa ? gy
              : physical[static_cast<std::size_t>((logical[static_cast<std::size_t>(gy)] + logical[static_cast<std::size_t>(gx)]) % n)];
    for (std::int64_t k = 0; k < t.kt; ++k)
      for (std::int64_t q = 0; q < t.ot; ++q) {
        const std::int64_t kk = kb * t.kt + k, col = gx * t.ot + q;
        pe.sram[t.b0() + k * t.ot + q] = kk < m && col < nn ? static_cast<float>(reference_weight(kk, col, seed_w, 0)) : 0.0f;
      }
  };
  mesh.routes = tables.routes;
  mesh.programs = tables.programs;
}

}  // namespace wb::wafer::fabric
