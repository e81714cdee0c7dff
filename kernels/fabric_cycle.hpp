#pragma once
// One fabric cycle as two Kokkos functors over the PEs of the active blocks (no MPI, no I/O).
//
//   FabricRoutePe (phase 1): every router forwards at most one wavelet per output port from its
//     colour queues (rotating colour priority, multicast all-or-nothing, credits for back-pressure),
//     then the PE steps its microthreads and its main thread (fabric_pe.hpp). Writes only the PE's own state and
//     its outgoing link registers and credit returns.
//   FabricPull (phase 2): every PE takes the wavelets and credit returns its four neighbours put
//     on the links towards it.
//
// Each phase reads the state left by the previous one, so the result does not depend on the
// order in which PEs are visited, on the thread count or on the split of the fabric over ranks.
// FabricQuiet marks the blocks whose PEs cannot change state next cycle (empty queues, nothing
// on the links, every PE done or waiting for input that is not there); those blocks are skipped
// and their stall counters are caught up when they wake (field `last`).
#include <Kokkos_Core.hpp>

#include "kernels/fabric_pe.hpp"
#include "kernels/fabric_state.hpp"

namespace wb::kernels::fabric {

// Local coordinates of entry idx of a block list; false when it falls outside the local PEs.
KOKKOS_INLINE_FUNCTION bool locate(const FabricState& s, const View<std::int32_t>& list, std::int64_t idx, int& lx,
                                   int& ly) {
  const std::int32_t b = list(static_cast<std::size_t>(idx / kBlockPes));
  const int off = static_cast<int>(idx % kBlockPes);
  lx = (b % s.nbx) * kBlockWidth + off % kBlockWidth;
  ly = (b / s.nbx) * kBlockHeight + off / kBlockWidth;
  return lx < s.nx && ly < s.ny;
}

KOKKOS_INLINE_FUNCTION int neighbour_padded(const FabricState& s, int pp, int d) {
  switch (d) {
    case kNorth: return pp - (s.nx + 2);
    case kSouth: return pp + (s.nx + 2);
    case kEast: return pp + 1;
    default: return pp - 1;
  }
}

KOKKOS_INLINE_FUNCTION bool off_fabric(const FabricState& s, int lx, int ly, int d) {
  const int gx = s.gx0 + lx, gy = s.gy0 + ly;
  switch (d) {
    case kNorth: return gy == 0;
    case kSouth: return gy == s.gh - 1;
    case kEast: return gx == s.gw - 1;
    default: return gx == 0;
  }
}

template <bool Check>
struct FabricRoutePe {
  FabricState s;
  View<std::int32_t> list;
  std::int32_t cycle;

  KOKKOS_INLINE_FUNCTION void operator()(const std::int64_t idx) const {
    int lx, ly;
    if (!locate(s, list, idx, lx, ly)) return;
    const int p = ly * s.nx + lx;
    const int pp = s.padded(lx, ly);
    for (int d = 0; d < kDirections; ++d) {
      s.out(pp * kDirections + d) = 0;
      s.cret(pp * kDirections + d) = 0;
    }
    // A PE skipped while quiet was waiting for input (or done) every cycle it was skipped.
    const std::int32_t gap = cycle - 1 - s.last(p);
    if (gap > 0 && s.finish(p) < 0) s.stall_in(p) += static_cast<std::uint32_t>(gap);
    s.last(p) = cycle;
    route(p, pp);
    if (s.finish(p) < 0) PeExec<Check>{s, p, cycle}.step();
  }

  // ---- router ----------------------------------------------------------------------------
  KOKKOS_INLINE_FUNCTION void route(int p, int pp) const {
    const int C = s.cfg.colours;
    const int D = s.cfg.queue_depth;
    const int Dp = s.cfg.pe_queue_depth;
    const int rid = s.route_id(p);
    std::uint8_t used = 0;
    const int rot = cycle % C;
    for (int k = 0; k < C; ++k) {
      int c = k + rot;
      if (c >= C) c -= C;
      const std::size_t qi = static_cast<std::size_t>(p) * C + c;
      if (s.rq(qi) == 0) continue;
      const Route r = s.routes(static_cast<std::size_t>(rid) * kMaxColours + c);
      const std::uint8_t tx = r.tx;
      if (tx & used) continue;
      bool ok = true;
      for (int d = 0; d < kDirections; ++d)
        if (tx & port_bit(d)) ok = ok && s.credit((static_cast<std::size_t>(p) * kDirections + d) * C + c) > 0;
      if (tx & port_bit(kRamp)) ok = ok && s.pq(qi) < Dp;
      if (!ok) continue;
      used |= tx;
      float v = 0.0f;
      std::int32_t t = 0;
      if (Check) {
        const int h = s.rqh(qi);
        v = s.rqv(qi * D + h);
        t = s.rqt(qi * D + h);
        s.rqh(qi) = static_cast<std::uint8_t>(h + 1 == D ? 0 : h + 1);
      }
      s.rq(qi) -= 1;
      if (tx == 0) Kokkos::atomic_add(&s.errors(0), std::int64_t(1));  // a wavelet with nowhere to go
      for (int d = 0; d < kDirections; ++d) {
        if (!(tx & port_bit(d))) continue;
        s.credit((static_cast<std::size_t>(p) * kDirections + d) * C + c) -= 1;
        s.out(pp * kDirections + d) = static_cast<std::uint8_t>(c + 1);
        if (Check) {
          s.outv(pp * kDirections + d) = v;
          s.outt(pp * kDirections + d) = t;
        }
      }
      if (tx & port_bit(kRamp)) {
        if (Check) {
          const int tail = (s.pqh(qi) + s.pq(qi)) % Dp;
          s.pqv(qi * Dp + tail) = v;
          s.pqt(qi * Dp + tail) = t;
        }
        s.pq(qi) += 1;
      }
      if (r.rx >= 0 && r.rx < kDirections) s.cret(pp * kDirections + r.rx) |= colour_bit(c);
    }
  }
};

template <bool Check>
struct FabricPull {
  FabricState s;
  View<std::int32_t> list;

  KOKKOS_INLINE_FUNCTION void operator()(const std::int64_t idx) const {
    int lx, ly;
    if (!locate(s, list, idx, lx, ly)) return;
    const int p = ly * s.nx + lx;
    const int pp = s.padded(lx, ly);
    const int C = s.cfg.colours;
    const int D = s.cfg.queue_depth;
    const int rid = s.route_id(p);
    for (int d = 0; d < kDirections; ++d) {
      const std::size_t ci = (static_cast<std::size_t>(p) * kDirections + d) * C;
      if (off_fabric(s, lx, ly, d)) {
        // The wafer edge accepts everything (results leaving for the host or MemoryX).
        const int o = s.out(pp * kDirections + d);
        if (o) {
          s.credit(ci + o - 1) += 1;
          Kokkos::atomic_add(&s.edge_out(0), std::int64_t(1));
        }
        continue;
      }
      const int nb = neighbour_padded(s, pp, d) * kDirections + opposite(d);
      const int o = s.out(nb);
      if (o) {
        const int c = o - 1;
        const std::size_t qi = static_cast<std::size_t>(p) * C + c;
        if (s.routes(static_cast<std::size_t>(rid) * kMaxColours + c).rx != d || s.rq(qi) >= D) {
          Kokkos::atomic_add(&s.errors(0), std::int64_t(1));
        } else {
          if (Check) {
            const int tail = (s.rqh(qi) + s.rq(qi)) % D;
            s.rqv(qi * D + tail) = s.outv(nb);
            s.rqt(qi * D + tail) = s.outt(nb);
          }
          s.rq(qi) += 1;
        }
      }
      const ColourMask m = s.cret(nb);
      if (m)
        for (int c = 0; c < C; ++c)
          if (m & colour_bit(c)) s.credit(ci + c) += 1;
    }
  }
};

// active(b) for every block of the list: some PE of the block is not quiet.
struct FabricQuiet {
  FabricState s;
  View<std::int32_t> list;
  std::int32_t cycle;  // the cycle just stepped

  KOKKOS_INLINE_FUNCTION void operator()(const std::int64_t idx) const {
    const std::int32_t b = list(static_cast<std::size_t>(idx));
    const int x0 = (b % s.nbx) * kBlockWidth, y0 = (b / s.nbx) * kBlockHeight;
    const int x1 = x0 + kBlockWidth < s.nx ? x0 + kBlockWidth : s.nx;
    const int y1 = y0 + kBlockHeight < s.ny ? y0 + kBlockHeight : s.ny;
    std::uint8_t any = 0;
    for (int ly = y0; ly < y1 && !any; ++ly)
      for (int lx = x0; lx < x1 && !any; ++lx)
        if (!pe_quiet(s, ly * s.nx + lx, s.padded(lx, ly), cycle)) any = 1;
    s.active(static_cast<std::size_t>(b)) = any;
  }
};

// need(b): the block or one of its four neighbours was active, so it may receive this cycle.
struct FabricNeed {
  FabricState s;
  KOKKOS_INLINE_FUNCTION void operator()(const std::int64_t b) const {
    const int bx = static_cast<int>(b % s.nbx), by = static_cast<int>(b / s.nbx);
    std::uint8_t n = s.active(static_cast<std::size_t>(b));
    if (bx > 0) n |= s.active(static_cast<std::size_t>(b - 1));
    if (bx + 1 < s.nbx) n |= s.active(static_cast<std::size_t>(b + 1));
    if (by > 0) n |= s.active(static_cast<std::size_t>(b - s.nbx));
    if (by + 1 < s.nby) n |= s.active(static_cast<std::size_t>(b + s.nbx));
    s.need(static_cast<std::size_t>(b)) = n;
  }
};

// Compacts the blocks selected by `which` into a list (an exclusive scan; the count is the
// scan's total).
struct FabricCompact {
  enum Which { active_blocks, inner_need, outer_need };
  FabricState s;
  View<std::int32_t> list;
  Which which;

  KOKKOS_INLINE_FUNCTION bool selected(std::size_t b) const {
    switch (which) {
      case active_blocks: return s.active(b) != 0;
      case inner_need: return s.need(b) && !s.boundary(b);
      default: return s.boundary(b) && (s.need(b) || s.ghost_in(b));
    }
  }
  KOKKOS_INLINE_FUNCTION void operator()(const std::int64_t b, std::int32_t& count, const bool final) const {
    if (selected(static_cast<std::size_t>(b))) {
      if (final) list(static_cast<std::size_t>(count)) = static_cast<std::int32_t>(b);
      ++count;
    }
  }
};

}  // namespace wb::kernels::fabric
