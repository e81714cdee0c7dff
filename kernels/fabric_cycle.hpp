#pragma once
// One fabric cycle as two Kokkos functors over the blocks of one block row (no MPI, no I/O).
//
//   FabricRouteStep (phase 1): every router forwards at most one wavelet per output port from its
//     colour queues (rotating colour priority, multicast all-or-nothing, credits for
//     back-pressure), then the PE steps its threads. Writes only the PE's own state and its
//     outgoing link registers and credit returns.
//   FabricPullQuiet (phase 2): every PE takes the wavelets and credit returns its four
//     neighbours put on the links towards it, then the block records whether any of its PEs can
//     still change state (quiet blocks are skipped: empty queues, nothing sent, every PE done or
//     waiting for input that is not there; their stall counters are caught up when they wake,
//     field `last`).
//
// Each phase reads the state the previous one left, so the result does not depend on the order
// in which PEs or blocks are visited, on the thread count or on the split over ranks. The engine
// runs phase 2 of a block row once phase 1 of it and of the rows next to it are done
// (suite/sim/mesh_engine.cpp); activity flags have one generation per cycle parity so that a
// row may run a cycle ahead of its neighbours.
//
// Every row of a block is a loop over up to kBlockWidth PEs of structure-of-arrays state with no
// dependence between iterations: routing, pulling, the quiet test and the fast path of PEs that
// only count down or wait are branch-free and vectorise; the instruction interpreter
// (fabric_pe.hpp) runs for the PEs whose mode asks for it only. On a GPU backend a block is one
// work item; the loops stay correct there, only slower than a PE per thread would be.
#include <Kokkos_Core.hpp>

#include "kernels/fabric_pe.hpp"
#include "kernels/fabric_state.hpp"

namespace wb::kernels::fabric {

// Offset of the neighbour in direction d on the padded grid.
KOKKOS_INLINE_FUNCTION std::ptrdiff_t neighbour_offset(const FabricState& s, int d) {
  switch (d) {
    case kNorth: return -static_cast<std::ptrdiff_t>(s.stride);
    case kSouth: return static_cast<std::ptrdiff_t>(s.stride);
    case kEast: return 1;
    default: return -1;
  }
}

// Extent of block b: columns [x0, x0 + n), rows [y0, y1).
struct BlockExtent {
  int x0, n, y0, y1;
};
KOKKOS_INLINE_FUNCTION BlockExtent block_extent(const FabricState& s, int row, int bx) {
  BlockExtent e;
  e.x0 = bx * kBlockWidth;
  e.n = s.ex - e.x0 < kBlockWidth ? s.ex - e.x0 : kBlockWidth;
  e.y0 = row * kBlockHeight;
  e.y1 = e.y0 + kBlockHeight < s.ey ? e.y0 + kBlockHeight : s.ey;
  return e;
}

// Owned lanes [lo, hi) of a row segment starting at local column x0 with n lanes (empty when the
// row is a ghost row).
KOKKOS_INLINE_FUNCTION void owned_lanes(const FabricState& s, int y, int x0, int n, int& lo, int& hi) {
  lo = 0;
  hi = 0;
  if (y < s.oy0 || y >= s.oy0 + s.ny) return;
  lo = s.ox0 - x0 > 0 ? s.ox0 - x0 : 0;
  hi = s.ox0 + s.nx - x0 < n ? s.ox0 + s.nx - x0 : n;
  if (hi < lo) hi = lo;
}

template <bool Check>
struct FabricRouteStep {
  const FabricState& s;
  int row;
  std::int32_t cycle;

  KOKKOS_INLINE_FUNCTION void operator()(const int bx) const {
    const std::size_t b = static_cast<std::size_t>(row) * s.nbx + bx;
    if (!s.active(static_cast<std::size_t>((cycle - 1) & 1) * s.blocks() + b)) return;
    const BlockExtent e = block_extent(s, row, bx);
    std::int64_t errors = 0;
    for (int y = e.y0; y < e.y1; ++y) {
      const std::size_t p0 = s.index(e.x0, y);
      int lo, hi;
      owned_lanes(s, y, e.x0, e.n, lo, hi);
      errors += route(p0, e.n, lo, hi);
      step(p0, e.n);
    }
    if (errors) Kokkos::atomic_add(&s.errors(0), errors);
    Kokkos::atomic_add(&s.block_steps(0), std::int64_t(1));
  }

  // ---- router ----------------------------------------------------------------------------
  // Returns the wavelets of owned PEs that had nowhere to go.
  KOKKOS_INLINE_FUNCTION std::int64_t route(std::size_t p0, int n, int lo, int hi) const {
    const int C = s.cfg.colours;
    const std::size_t P = s.plane;
    const std::uint8_t Dp = static_cast<std::uint8_t>(s.cfg.pe_queue_depth);
    std::uint8_t* __restrict out[kDirections];
    ColourMask* __restrict cret[kDirections];
    for (int d = 0; d < kDirections; ++d) {
      out[d] = s.link_out.data() + d * P + p0;
      cret[d] = s.credit_return.data() + d * P + p0;
      WB_FABRIC_IVDEP
      for (int i = 0; i < n; ++i) {
        out[d][i] = 0;
        cret[d][i] = 0;
      }
    }
    std::uint8_t used[kBlockWidth];
    std::uint8_t go[kBlockWidth];
    for (int i = 0; i < n; ++i) used[i] = 0;
    std::int64_t lost = 0;
    const int rot = cycle % C;
    for (int kk = 0; kk < C; ++kk) {
      int c = kk + rot;
      if (c >= C) c -= C;
      std::uint8_t* __restrict rq = s.router_queue.data() + c * P + p0;
      std::uint8_t waiting = 0;
      for (int i = 0; i < n; ++i) waiting |= rq[i];
      if (!waiting) continue;
      const std::uint8_t* __restrict tx = s.route_tx.data() + c * P + p0;
      const std::uint8_t* __restrict rx = s.route_rx.data() + c * P + p0;
      std::uint8_t* __restrict pq = s.pe_queue.data() + c * P + p0;
      std::uint8_t* __restrict cr_n = s.credit.data() + (c * kDirections + kNorth) * P + p0;
      std::uint8_t* __restrict cr_e = s.credit.data() + (c * kDirections + kEast) * P + p0;
      std::uint8_t* __restrict cr_s = s.credit.data() + (c * kDirections + kSouth) * P + p0;
      std::uint8_t* __restrict cr_w = s.credit.data() + (c * kDirections + kWest) * P + p0;
      // Which queue heads leave this cycle: every port of the transmit set free and credited.
      // Bitwise on 0/1 values, not && and ?:, so that GCC sees no control flow and vectorises.
      WB_FABRIC_IVDEP
      for (int i = 0; i < n; ++i) {
        // Ports (bits as in the transmit set) that cannot take a wavelet: used, or out of credit/space.
        const std::uint8_t lack = static_cast<std::uint8_t>(used[i] | (cr_n[i] == 0 ? 1 : 0) | (cr_e[i] == 0 ? 2 : 0) |
                                                            (cr_s[i] == 0 ? 4 : 0) | (cr_w[i] == 0 ? 8 : 0) |
                                                            (pq[i] >= Dp ? 16 : 0));
        go[i] = ((rq[i] != 0) & ((tx[i] & lack) == 0)) ? 0xFF : 0;
      }
      if (Check) move_values(c, p0, n, go);
      const std::uint8_t colour = static_cast<std::uint8_t>(c + 1);
      const ColourMask bit = colour_bit(c);
      std::uint8_t* __restrict out_n = out[kNorth];
      std::uint8_t* __restrict out_e = out[kEast];
      std::uint8_t* __restrict out_s = out[kSouth];
      std::uint8_t* __restrict out_w = out[kWest];
      ColourMask* __restrict cret_n = cret[kNorth];
      ColourMask* __restrict cret_e = cret[kEast];
      ColourMask* __restrict cret_s = cret[kSouth];
      ColourMask* __restrict cret_w = cret[kWest];
      unsigned nowhere = 0;
      // A link register is written by one colour a cycle at most (`used`) and was cleared above, so
      // or-ing the colour in is the same as setting it.
      WB_FABRIC_IVDEP
      for (int i = 0; i < n; ++i) {
        const unsigned g = go[i];
        const unsigned t = tx[i] & g;
        used[i] = static_cast<std::uint8_t>(used[i] | t);
        rq[i] = static_cast<std::uint8_t>(rq[i] - (g & 1u));
        cr_n[i] = static_cast<std::uint8_t>(cr_n[i] - (t & 1u));
        cr_e[i] = static_cast<std::uint8_t>(cr_e[i] - ((t >> 1) & 1u));
        cr_s[i] = static_cast<std::uint8_t>(cr_s[i] - ((t >> 2) & 1u));
        cr_w[i] = static_cast<std::uint8_t>(cr_w[i] - ((t >> 3) & 1u));
        out_n[i] = static_cast<std::uint8_t>(out_n[i] | (colour & (0u - (t & 1u))));
        out_e[i] = static_cast<std::uint8_t>(out_e[i] | (colour & (0u - ((t >> 1) & 1u))));
        out_s[i] = static_cast<std::uint8_t>(out_s[i] | (colour & (0u - ((t >> 2) & 1u))));
        out_w[i] = static_cast<std::uint8_t>(out_w[i] | (colour & (0u - ((t >> 3) & 1u))));
        pq[i] = static_cast<std::uint8_t>(pq[i] + ((t >> 4) & 1u));
        const unsigned r = rx[i];
        const unsigned popped = g & 1u;
        cret_n[i] = static_cast<ColourMask>(cret_n[i] | (bit & (0u - (popped & (r == kNorth)))));
        cret_e[i] = static_cast<ColourMask>(cret_e[i] | (bit & (0u - (popped & (r == kEast)))));
        cret_s[i] = static_cast<ColourMask>(cret_s[i] | (bit & (0u - (popped & (r == kSouth)))));
        cret_w[i] = static_cast<ColourMask>(cret_w[i] | (bit & (0u - (popped & (r == kWest)))));
        nowhere |= popped & (tx[i] == 0);
      }
      if (nowhere)  // a wavelet with nowhere to go (a program generator bug): count the owned ones
        for (int i = lo; i < hi; ++i) lost += (go[i] && tx[i] == 0) ? 1 : 0;
    }
    return lost;
  }

  // Check mode: the values and tags of the wavelets leaving colour c's queue heads (before the
  // counts move).
  KOKKOS_INLINE_FUNCTION void move_values(int c, std::size_t p0, int n, const std::uint8_t* go) const {
    const int D = s.cfg.queue_depth;
    const int Dp = s.cfg.pe_queue_depth;
    for (int i = 0; i < n; ++i) {
      if (!go[i]) continue;
      const std::size_t p = p0 + static_cast<std::size_t>(i);
      const std::size_t qi = static_cast<std::size_t>(c) * s.plane + p;
      const int h = s.rqh(qi);
      const float v = s.rqv(qi * D + h);
      const std::int32_t t = s.rqt(qi * D + h);
      s.rqh(qi) = static_cast<std::uint8_t>(h + 1 == D ? 0 : h + 1);
      const std::uint8_t tx = s.route_tx(qi);
      for (int d = 0; d < kDirections; ++d) {
        if (!(tx & port_bit(d))) continue;
        s.outv(d * s.plane + p) = v;
        s.outt(d * s.plane + p) = t;
      }
      if (tx & port_bit(kRamp)) {
        const int tail = (s.pqh(qi) + s.pe_queue(qi)) % Dp;
        s.pqv(qi * Dp + tail) = v;
        s.pqt(qi * Dp + tail) = t;
      }
    }
  }

  // ---- PEs -------------------------------------------------------------------------------
  // The fast path for PEs whose mode says what they will do (count down busy cycles, or wait for
  // a PE queue that stayed empty), the interpreter for the others.
  KOKKOS_INLINE_FUNCTION void step(std::size_t p0, int n) const {
    const int C = s.cfg.colours;
    const std::size_t P = s.plane;
    ColourMask filled[kBlockWidth];
    for (int i = 0; i < n; ++i) filled[i] = 0;
    for (int c = 0; c < C; ++c) {
      const std::uint8_t* __restrict pq = s.pe_queue.data() + c * P + p0;
      const ColourMask bit = colour_bit(c);
      WB_FABRIC_IVDEP
      for (int i = 0; i < n; ++i) filled[i] = static_cast<ColourMask>(filled[i] | (pq[i] ? bit : 0));
    }
    std::int32_t* __restrict finish = s.finish.data() + p0;
    const std::int32_t* __restrict launch = s.launch.data() + p0;
    std::uint8_t* __restrict mode = s.mode.data() + p0;
    ColourMask* __restrict wait = s.wait_mask.data() + p0;
    const std::uint8_t* __restrict after = s.after.data() + p0;
    const ColourMask* __restrict after_mask = s.after_mask.data() + p0;
    std::int32_t* __restrict last = s.last.data() + p0;
    std::int32_t* __restrict busy_left = s.busy_left.data() + p0;
    std::uint32_t* __restrict busy = s.busy.data() + p0;
    std::uint32_t* __restrict stall_in = s.stall_in.data() + p0;
    std::uint8_t todo[kBlockWidth];
    std::uint8_t any = 0;
    const std::int32_t t = cycle;
    // 0/1 integers combined bitwise, and selects written as masks (x ^ ((x ^ y) & -flag)): GCC
    // if-converts neither ?: on stored values nor max() here, and any control flow keeps the loop
    // scalar. kModeRun is 0, so a settling PE's mode is kModeWait * sleeps.
    static_assert(kModeRun == 0, "the mode select below assumes kModeRun == 0");
    WB_FABRIC_IVDEP
    for (int i = 0; i < n; ++i) {
      const std::int32_t f = finish[i];
      const std::int32_t alive = f < 0;
      // A PE skipped while quiet was waiting for input (or done) every cycle it was skipped.
      const std::int32_t gap = t - 1 - last[i];
      last[i] = t;
      const std::int32_t on = alive & (t >= launch[i]);
      const std::int32_t fill = filled[i];
      const std::int32_t w = wait[i];
      const std::int32_t asleep = (fill & w) == 0;
      const std::int32_t m = mode[i];
      const std::int32_t counts = on & asleep & (m == kModeBusy);
      const std::int32_t waits = on & asleep & (m == kModeWait);
      const std::int32_t left = busy_left[i] - counts;
      busy_left[i] = left;
      busy[i] += static_cast<std::uint32_t>(counts);
      const std::int32_t skipped = gap & -static_cast<std::int32_t>(gap > 0);
      stall_in[i] += static_cast<std::uint32_t>((skipped & -alive) + waits);
      // The busy count ran out: the end of the cycle the interpreter settled in advance (after).
      const std::int32_t ends = counts & (left == 0);
      const std::int32_t a = after[i];
      const std::int32_t then = after_mask[i];
      const std::int32_t done = ends & (a == kAfterFinish);
      const std::int32_t sleeps = ends & (a == kAfterWait) & ((fill & then) == 0);
      const std::int32_t settles = ends & (done ^ 1);
      finish[i] = f ^ ((f ^ t) & -done);
      mode[i] = static_cast<std::uint8_t>(m ^ ((m ^ (sleeps * kModeWait)) & -settles));
      wait[i] = static_cast<ColourMask>(w ^ ((w ^ then) & -settles));
      // Interpret the cycle.
      const std::uint8_t d = static_cast<std::uint8_t>(on & (counts ^ 1) & (waits ^ 1));
      todo[i] = d;
      any = static_cast<std::uint8_t>(any | d);
    }
    if (!any) return;
    for (int i = 0; i < n; ++i) {
      if (!todo[i]) continue;
      PeExec<Check>(s, p0 + static_cast<std::size_t>(i), cycle).step();
    }
  }
};

template <bool Check>
struct FabricPullQuiet {
  const FabricState& s;
  int row;
  std::int32_t cycle;
  bool force;  // every block active (no skipping: the reference the skipping is tested against)

  KOKKOS_INLINE_FUNCTION void operator()(const int bx) const {
    const std::size_t nb = static_cast<std::size_t>(s.blocks());
    const std::size_t b = static_cast<std::size_t>(row) * s.nbx + bx;
    const std::size_t prev = static_cast<std::size_t>((cycle - 1) & 1) * nb;
    const std::size_t cur = static_cast<std::size_t>(cycle & 1) * nb;
    std::uint8_t need = s.active(prev + b);
    if (bx > 0) need |= s.active(prev + b - 1);
    if (bx + 1 < s.nbx) need |= s.active(prev + b + 1);
    if (row > 0) need |= s.active(prev + b - s.nbx);
    if (row + 1 < s.nby) need |= s.active(prev + b + s.nbx);
    if (!need && !force) {
      s.active(cur + b) = 0;
      s.owned_active(cur + b) = 0;
      return;
    }
    const BlockExtent e = block_extent(s, row, bx);
    std::int64_t errors = 0, edge = 0;
    std::uint8_t any = 0, owned_any = 0;
    for (int y = e.y0; y < e.y1; ++y) {
      const std::size_t p0 = s.index(e.x0, y);
      int lo, hi;
      owned_lanes(s, y, e.x0, e.n, lo, hi);
      for (int d = 0; d < kDirections; ++d) errors += pull(p0, e.n, d, lo, hi);
      edge += fabric_edge(p0, e.n, e.x0, y, lo, hi);
      quiet(p0, e.n, lo, hi, any, owned_any);
    }
    if (force) {
      any = 1;
      for (int y = e.y0; y < e.y1; ++y) {
        int lo, hi;
        owned_lanes(s, y, e.x0, e.n, lo, hi);
        if (hi > lo) owned_any = 1;
      }
    }
    s.active(cur + b) = any;
    s.owned_active(cur + b) = owned_any;
    if (errors) Kokkos::atomic_add(&s.errors(0), errors);
    if (edge) Kokkos::atomic_add(&s.edge_out(0), edge);
  }

  // The wavelets and credit returns the neighbours in direction d sent towards the PEs of a row
  // segment. Returns the misrouted or overflowing wavelets at owned PEs.
  KOKKOS_INLINE_FUNCTION std::int64_t pull(std::size_t p0, int n, int d, int lo, int hi) const {
    const int C = s.cfg.colours;
    const std::size_t P = s.plane;
    const std::size_t from = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(p0) + neighbour_offset(s, d));
    const std::uint8_t* __restrict in = s.link_out.data() + opposite(d) * P + from;
    const ColourMask* __restrict ret = s.credit_return.data() + opposite(d) * P + from;
    std::uint8_t arrived = 0;
    ColourMask returned = 0;
    for (int i = 0; i < n; ++i) {
      arrived |= in[i];
      returned = static_cast<ColourMask>(returned | ret[i]);
    }
    std::int64_t bad = 0;
    if (arrived) {
      const std::uint8_t D = static_cast<std::uint8_t>(s.cfg.queue_depth);
      const std::uint8_t port = static_cast<std::uint8_t>(d);
      for (int c = 0; c < C; ++c) {
        std::uint8_t* __restrict rq = s.router_queue.data() + c * P + p0;
        const std::uint8_t* __restrict rx = s.route_rx.data() + c * P + p0;
        const std::uint8_t colour = static_cast<std::uint8_t>(c + 1);
        if (Check) take_values(c, p0, n, d, from);
        std::uint8_t wrong[kBlockWidth];
        std::uint8_t any_wrong = 0;
        WB_FABRIC_IVDEP
        for (int i = 0; i < n; ++i) {
          const unsigned hit = in[i] == colour;
          const unsigned good = hit & (rx[i] == port) & (rq[i] < D);
          rq[i] = static_cast<std::uint8_t>(rq[i] + good);
          wrong[i] = static_cast<std::uint8_t>(hit ^ good);  // good implies hit
          any_wrong = static_cast<std::uint8_t>(any_wrong | wrong[i]);
        }
        // A wavelet on a port its colour does not receive from, or into a full queue.
        if (any_wrong)
          for (int i = lo; i < hi; ++i) bad += wrong[i];
      }
    }
    if (returned) {
      for (int c = 0; c < C; ++c) {
        if (!(returned & colour_bit(c))) continue;
        std::uint8_t* __restrict cr = s.credit.data() + (c * kDirections + d) * P + p0;
        WB_FABRIC_IVDEP
        for (int i = 0; i < n; ++i) cr[i] = static_cast<std::uint8_t>(cr[i] + ((ret[i] >> c) & 1));
      }
    }
    return bad;
  }

  // A PE on the global fabric edge sends off the fabric into the edge, which accepts everything
  // (results leaving for the host or MemoryX): the credit comes back at once. Returns the
  // wavelets owned PEs sent off the fabric.
  KOKKOS_INLINE_FUNCTION std::int64_t fabric_edge(std::size_t p0, int n, int x0, int y, int lo, int hi) const {
    std::int64_t sent = 0;
    auto edge = [&](int d, int i0, int i1) {
      for (int i = i0; i < i1; ++i) {
        const std::size_t p = p0 + static_cast<std::size_t>(i);
        const int o = s.link_out(static_cast<std::size_t>(d) * s.plane + p);
        if (!o) continue;
        s.credit(static_cast<std::size_t>((o - 1) * kDirections + d) * s.plane + p) += 1;
        sent += (i >= lo && i < hi) ? 1 : 0;
      }
    };
    const int gy = s.gy0 + y;
    if (gy == 0) edge(kNorth, 0, n);
    if (gy == s.gh - 1) edge(kSouth, 0, n);
    if (s.gx0 + x0 == 0) edge(kWest, 0, 1);
    if (s.gx0 + x0 + n == s.gw) edge(kEast, n - 1, n);
    return sent;
  }

  // Whether any PE of a row segment (any owned PE) can change state next cycle.
  KOKKOS_INLINE_FUNCTION void quiet(std::size_t p0, int n, int lo, int hi, std::uint8_t& any,
                                    std::uint8_t& owned_any) const {
    const int C = s.cfg.colours;
    const std::size_t P = s.plane;
    std::uint8_t live[kBlockWidth];
    for (int i = 0; i < n; ++i) live[i] = 0;
    for (int c = 0; c < C; ++c) {
      const std::uint8_t* __restrict rq = s.router_queue.data() + c * P + p0;
      WB_FABRIC_IVDEP
      for (int i = 0; i < n; ++i) live[i] = static_cast<std::uint8_t>(live[i] | rq[i]);
    }
    for (int d = 0; d < kDirections; ++d) {
      const std::uint8_t* __restrict out = s.link_out.data() + d * P + p0;
      const ColourMask* __restrict cret = s.credit_return.data() + d * P + p0;
      WB_FABRIC_IVDEP
      for (int i = 0; i < n; ++i) live[i] = static_cast<std::uint8_t>(live[i] | out[i] | (cret[i] ? 1 : 0));
    }
    const std::int32_t* __restrict finish = s.finish.data() + p0;
    const std::int32_t* __restrict launch = s.launch.data() + p0;
    const std::uint8_t* __restrict mode = s.mode.data() + p0;
    std::uint8_t row_any = 0;
    WB_FABRIC_IVDEP
    for (int i = 0; i < n; ++i) {
      const unsigned pe_quiet = static_cast<unsigned>(finish[i] >= 0) | ((launch[i] <= cycle) & (mode[i] == kModeWait));
      live[i] = static_cast<std::uint8_t>((live[i] != 0) | (pe_quiet ^ 1u));
      row_any = static_cast<std::uint8_t>(row_any | live[i]);
    }
    if (!row_any) return;
    any = 1;
    for (int i = lo; i < hi; ++i) owned_any = static_cast<std::uint8_t>(owned_any | live[i]);
  }

  // Check mode: the values of the wavelets colour c's queues accept from direction d.
  KOKKOS_INLINE_FUNCTION void take_values(int c, std::size_t p0, int n, int d, std::size_t from) const {
    const int D = s.cfg.queue_depth;
    for (int i = 0; i < n; ++i) {
      const std::size_t link = static_cast<std::size_t>(opposite(d)) * s.plane + from + static_cast<std::size_t>(i);
      if (s.link_out(link) != c + 1) continue;
      const std::size_t qi = static_cast<std::size_t>(c) * s.plane + p0 + static_cast<std::size_t>(i);
      if (s.route_rx(qi) != d || s.router_queue(qi) >= D) continue;
      const int tail = (s.rqh(qi) + s.router_queue(qi)) % D;
      s.rqv(qi * D + tail) = s.outv(link);
      s.rqt(qi * D + tail) = s.outt(link);
    }
  }
};

// One sweep of the wavefront that runs the cycles [t0, t0 + levels) over the block rows, as one
// kernel launch: cycle t0 + j routes block row sweep - kSweepLag * j and pulls block row
// sweep - 2 - kSweepLag * j. Phase 1 of row r at t needs phase 2 of rows r - 1 .. r + 1 at t - 1
// (and overwrites the link registers those read); phase 2 of row r at t needs phase 1 of rows
// r - 1 .. r + 1 at t and reads the activity flags of t - 1 of rows r - 1 .. r + 1. With a lag of
// four rows per cycle and the pull two rows behind the route, all of that is done in earlier
// sweeps, and the rows a sweep touches are at least two apart: its work items are independent
// (any order, any thread count) and a sweep is one launch instead of two per row and cycle.
inline constexpr int kSweepLag = 4;

template <bool Check>
struct FabricSweep {
  FabricState s;
  int sweep;
  std::int32_t t0;
  bool force;  // FabricPullQuiet::force

  // Sweeps [0, count) run the cycles [t0, t0 + levels) on every block row.
  static int count(const FabricState& st, int levels) { return st.nby + 2 + kSweepLag * (levels - 1); }

  KOKKOS_INLINE_FUNCTION void operator()(const int item) const {
    const int per_level = 2 * s.nbx;
    const int j = item / per_level;
    const int rest = item - j * per_level;
    const std::int32_t t = t0 + j;
    if (rest < s.nbx) {
      const int r = sweep - kSweepLag * j;
      if (r >= 0 && r < s.nby) FabricRouteStep<Check>{s, r, t}(rest);
    } else {
      const int r = sweep - 2 - kSweepLag * j;
      if (r >= 0 && r < s.nby) FabricPullQuiet<Check>{s, r, t, force}(rest - s.nbx);
    }
  }
};

}  // namespace wb::kernels::fabric
