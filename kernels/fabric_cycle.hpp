#pragma once
// One fabric cycle as two Kokkos functors over the PEs of the active blocks (no MPI, no I/O).
//
//   FabricRoutePe (phase 1): every router forwards at most one wavelet per output port from its
//     colour queues (rotating colour priority, multicast all-or-nothing, credits for back-pressure),
//     then the PE steps its main thread and its microthread. Writes only the PE's own state and
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
    if (s.finish(p) < 0) pe_step(p);
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
      if (r.rx >= 0 && r.rx < kDirections) s.cret(pp * kDirections + r.rx) |= port_bit(c);
    }
  }

  // ---- PE ----------------------------------------------------------------------------------
  KOKKOS_INLINE_FUNCTION bool can_pop(int p, int c) const {
    return c >= 0 && s.pq(static_cast<std::size_t>(p) * s.cfg.colours + c) > 0;
  }
  KOKKOS_INLINE_FUNCTION void pop(int p, int c, float& v, std::int32_t& t) const {
    const std::size_t qi = static_cast<std::size_t>(p) * s.cfg.colours + c;
    if (Check) {
      const int Dp = s.cfg.pe_queue_depth;
      const int h = s.pqh(qi);
      v = s.pqv(qi * Dp + h);
      t = s.pqt(qi * Dp + h);
      s.pqh(qi) = static_cast<std::uint8_t>(h + 1 == Dp ? 0 : h + 1);
    }
    s.pq(qi) -= 1;
  }
  KOKKOS_INLINE_FUNCTION bool can_push(int p, int c) const {
    return c >= 0 && s.rq(static_cast<std::size_t>(p) * s.cfg.colours + c) < s.cfg.queue_depth;
  }
  KOKKOS_INLINE_FUNCTION void push(int p, int c, float v, std::int32_t t) const {
    const std::size_t qi = static_cast<std::size_t>(p) * s.cfg.colours + c;
    if (Check) {
      const int D = s.cfg.queue_depth;
      const int tail = (s.rqh(qi) + s.rq(qi)) % D;
      s.rqv(qi * D + tail) = v;
      s.rqt(qi * D + tail) = t;
    }
    s.rq(qi) += 1;
  }
  KOKKOS_INLINE_FUNCTION float& mem(int p, std::int32_t w) const {
    return s.sram(static_cast<std::size_t>(p) * s.cfg.sram_words + static_cast<std::size_t>(w));
  }
  KOKKOS_INLINE_FUNCTION void advance(int p) const {
    s.pc(p) += 1;
    s.opi(p) = 0;
    s.opj(p) = 0;
    s.opk(p) = 0;
    s.act(p) = 0;
  }

  struct Flags {
    bool moved = false, blocked_in = false, blocked_out = false;
  };

  // Data movement shared by the main thread and the microthread; returns true when op is done.
  // `wait` is the thread's busy counter: a wavelet read from the fabric occupies the thread for
  // read_cycles cycles.
  KOKKOS_INLINE_FUNCTION bool move(int p, const Op& op, std::int32_t& i, Flags& f, std::int32_t& wait) const {
    const std::int32_t rc = s.cfg.read_cycles - 1;
    const std::int32_t n = s.arg(p, op.n);
    float v = 0.0f;
    std::int32_t t = 0;
    switch (op.kind) {
      case kSend:
        if (i < n) {
          if (can_push(p, op.cout)) {
            push(p, op.cout, Check ? mem(p, op.a + i) : 0.0f, i);
            ++i;
            f.moved = true;
          } else {
            f.blocked_out = true;
          }
        }
        return i >= n;
      case kStreamAdd:
        if (i < n) {
          const bool in = can_pop(p, op.cin);
          const bool out = op.cout < 0 || can_push(p, op.cout);
          if (in && out) {
            pop(p, op.cin, v, t);
            if (op.cout >= 0) push(p, op.cout, Check ? v + mem(p, op.a + i) : 0.0f, i);
            else if (Check) mem(p, op.a + i) += v;
            wait = rc;
            ++i;
            f.moved = true;
          } else if (!in) {
            f.blocked_in = true;
          } else {
            f.blocked_out = true;
          }
        }
        return i >= n;
      case kRecv:
        if (i < n) {
          if (can_pop(p, op.cin)) {
            pop(p, op.cin, v, t);
            if (Check) mem(p, op.a + i) = v;
            wait = rc;
            ++i;
            f.moved = true;
          } else {
            f.blocked_in = true;
          }
        }
        return i >= n;
      case kChainAdd: {
        const std::int32_t total = op.cout >= 0 ? 2 * n : n;
        if (i < n) {
          if (can_pop(p, op.cin)) {
            pop(p, op.cin, v, t);
            if (Check) mem(p, op.a + i) += v;
            wait = rc;
            ++i;
            f.moved = true;
          } else {
            f.blocked_in = true;
          }
        } else if (i < total) {
          if (can_push(p, op.cout)) {
            push(p, op.cout, Check ? mem(p, op.a + i - n) : 0.0f, i - n);
            ++i;
            f.moved = true;
          } else {
            f.blocked_out = true;
          }
        }
        return i >= total;
      }
      default: return true;
    }
  }

  // The edge feeder (not PE work: it stands for the wafer edge that weights arrive through).
  KOKKOS_INLINE_FUNCTION bool inject(int p, const Op& op) const {
    if (s.abusy(p) > 0) {
      s.abusy(p) -= 1;
      return false;
    }
    const std::int32_t outer = s.arg(p, op.n);
    const std::int32_t inner = s.arg(p, op.rows);
    const std::uint32_t row0 = static_cast<std::uint32_t>(s.arg(p, op.row0));
    const std::uint32_t col0 = static_cast<std::uint32_t>(s.arg(p, op.col0));
    const std::int32_t total = outer * inner;
    std::int32_t f = s.aopi(p);
    while (f < total && weight_is_zero(row0 + static_cast<std::uint32_t>(f % inner),
                                       col0 + static_cast<std::uint32_t>(f / inner), op.seed, op.zero_threshold))
      ++f;
    if (f >= total) {
      s.aopi(p) = f;
      return true;
    }
    if (can_push(p, op.cout)) {
      const float w = Check ? element_value(row0 + static_cast<std::uint32_t>(f % inner),
                                            col0 + static_cast<std::uint32_t>(f / inner), op.seed)
                            : 0.0f;
      push(p, op.cout, w, f);
      s.aopi(p) = f + 1;
      s.abusy(p) = op.period - 1;
    } else {
      s.aopi(p) = f;
    }
    return false;
  }

  // One cycle of kStreamGemm for output i (see fabric_types.hpp).
  KOKKOS_INLINE_FUNCTION void stream_gemm(int p, const Op& op, std::int32_t& i, Flags& f) const {
    const std::int32_t tokens = s.arg(p, op.len);
    const std::int32_t rows = s.arg(p, op.rows);
    if (s.opk(p) == 0) {
      // Non-zeros of this output's weight column: the sparse format's column pointer.
      std::int32_t cnt = rows;
      if (op.zero_threshold != 0) {
        const std::uint32_t r0 = static_cast<std::uint32_t>(s.arg(p, op.row0));
        const std::uint32_t col = static_cast<std::uint32_t>(s.arg(p, op.col0) + i);
        cnt = 0;
        for (std::int32_t k = 0; k < rows; ++k)
          cnt += weight_is_zero(r0 + static_cast<std::uint32_t>(k), col, op.seed, op.zero_threshold) ? 0 : 1;
      }
      s.opk(p) = cnt + 1;
    }
    const std::int32_t cnt = s.opk(p) - 1;
    const std::int32_t j = s.opj(p);
    float v = 0.0f;
    std::int32_t t = 0;
    if (j < cnt) {
      if (!can_pop(p, op.cin)) {
        f.blocked_in = true;
        return;
      }
      pop(p, op.cin, v, t);
      if (Check) {
        const std::int32_t k = t % rows;
        for (std::int32_t tt = 0; tt < tokens; ++tt) mem(p, op.c + tt) += mem(p, op.a + tt * rows + k) * v;
      }
      std::int32_t work = (tokens + s.cfg.simd - 1) / s.cfg.simd;
      if (work < s.cfg.read_cycles) work = s.cfg.read_cycles;
      s.busy_left(p) = work - 1;
    } else if (j < cnt + tokens) {
      const std::int32_t tt = j - cnt;
      const bool in = op.cin2 < 0 || can_pop(p, op.cin2);
      const bool out = op.cout < 0 || can_push(p, op.cout);
      if (!in) {
        f.blocked_in = true;
        return;
      }
      if (!out) {
        f.blocked_out = true;
        return;
      }
      if (op.cin2 >= 0) {
        pop(p, op.cin2, v, t);
        s.busy_left(p) = s.cfg.read_cycles - 1;
      }
      const float sum = Check ? v + mem(p, op.c + tt) : 0.0f;
      if (op.cout >= 0) push(p, op.cout, sum, tt);
      else if (Check) mem(p, op.b + i * tokens + tt) = sum;
      if (Check) mem(p, op.c + tt) = 0.0f;
    }
    f.moved = true;
    if (j + 1 >= cnt + tokens) {
      ++i;
      s.opj(p) = 0;
      s.opk(p) = 0;
    } else {
      s.opj(p) = j + 1;
    }
  }

  KOKKOS_INLINE_FUNCTION void exec(int p, const Op& op, Flags& f) const {
    std::int32_t i = s.opi(p);
    bool done = false;
    const int simd = s.cfg.simd;
    switch (op.kind) {
      case kRecvFmac: {
        const std::int32_t n = s.arg(p, op.n);
        if (i < n) {
          if (can_pop(p, op.cin)) {
            float v = 0.0f;
            std::int32_t t = 0;
            pop(p, op.cin, v, t);
            const std::int32_t len = s.arg(p, op.len);
            const std::int32_t rows = s.arg(p, op.rows);
            const std::int32_t j = i % rows;
            const std::int32_t batch = i / rows;
            std::int32_t nz = len;
            if (op.zero_threshold != 0) {
              const std::uint32_t r = static_cast<std::uint32_t>(s.arg(p, op.row0) + j);
              const std::uint32_t c0 = static_cast<std::uint32_t>(s.arg(p, op.col0));
              nz = 0;
              for (std::int32_t k = 0; k < len; ++k)
                nz += weight_is_zero(r, c0 + static_cast<std::uint32_t>(k), op.seed, op.zero_threshold) ? 0 : 1;
            }
            if (Check)
              for (std::int32_t k = 0; k < len; ++k) mem(p, op.c + batch * len + k) += v * mem(p, op.a + j * len + k);
            std::int32_t work = (nz + simd - 1) / simd;
            if (work < s.cfg.read_cycles) work = s.cfg.read_cycles;
            work += (op.flags & kPerWavelet) ? s.cfg.task_overhead : 0;
            s.busy_left(p) = work > 0 ? work - 1 : 0;
            ++i;
            f.moved = true;
          } else {
            f.blocked_in = true;
          }
        }
        done = i >= n;
        break;
      }
      case kStreamGemm: {
        const std::int32_t outputs = s.arg(p, op.n);
        if (i < outputs) stream_gemm(p, op, i, f);
        done = i >= outputs;
        break;
      }
      case kCompute: {
        const std::int32_t len = s.arg(p, op.len);
        if (len > 0) {
          s.busy_left(p) = len - 1;
          f.moved = true;
        }
        done = true;
        break;
      }
      default: {
        std::int32_t wait = 0;
        done = move(p, op, i, f, wait);
        s.busy_left(p) = wait;
      }
    }
    s.opi(p) = i;
    if (done) advance(p);
  }

  KOKKOS_INLINE_FUNCTION void pe_step(int p) const {
    Flags f;
    const std::size_t base = static_cast<std::size_t>(s.prog_id(p)) * kMaxOps;
    // Microthread first; it owns its op until the op completes.
    const int apc = s.apc(p);
    if (apc != 0xFF) {
      const Op& op = s.ops(base + apc);
      bool done = false;
      if (op.kind == kInject) {
        done = inject(p, op);
      } else if (s.abusy(p) > 0) {
        s.abusy(p) -= 1;
        f.moved = true;
      } else {
        std::int32_t i = s.aopi(p);
        std::int32_t wait = 0;
        done = move(p, op, i, f, wait);
        s.aopi(p) = i;
        s.abusy(p) = wait;
      }
      if (done && s.abusy(p) == 0) s.apc(p) = 0xFF;
    }
    // Main thread.
    if (s.busy_left(p) > 0) {
      s.busy_left(p) -= 1;
      f.moved = true;
    } else {
      const Op& op = s.ops(base + s.pc(p));
      if (op.kind != kEnd) {
        if (op.flags & kAsync) {
          if (s.apc(p) == 0xFF) {
            s.apc(p) = s.pc(p);
            s.aopi(p) = 0;
            s.abusy(p) = 0;
            advance(p);
            f.moved = true;
          } else {
            f.blocked_out = true;
          }
        } else {
          bool ready = true;
          if (!s.act(p) && (op.flags & kActivate)) {
            if ((op.flags & kOnData) && !can_pop(p, op.cin)) {
              f.blocked_in = true;
              ready = false;
            } else {
              s.act(p) = 1;
              if (s.cfg.task_overhead > 0) {
                s.busy_left(p) = s.cfg.task_overhead - 1;
                f.moved = true;
                ready = false;
              }
            }
          }
          if (ready) exec(p, op, f);
        }
      }
    }
    if (s.busy_left(p) == 0 && s.apc(p) == 0xFF && s.ops(base + s.pc(p)).kind == kEnd) s.finish(p) = cycle;
    if (f.moved) s.busy(p) += 1;
    else if (f.blocked_out) s.stall_out(p) += 1;
    else if (f.blocked_in) s.stall_in(p) += 1;
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
      const std::uint8_t m = s.cret(nb);
      if (m)
        for (int c = 0; c < C; ++c)
          if (m & port_bit(c)) s.credit(ci + c) += 1;
    }
  }
};

// Whether PE p can change state next cycle (false) or is provably quiet (true).
KOKKOS_INLINE_FUNCTION bool pe_quiet(const FabricState& s, int p, int pp) {
  const int C = s.cfg.colours;
  for (int c = 0; c < C; ++c)
    if (s.rq(static_cast<std::size_t>(p) * C + c)) return false;
  for (int d = 0; d < kDirections; ++d)
    if (s.out(pp * kDirections + d) | s.cret(pp * kDirections + d)) return false;
  if (s.finish(p) >= 0) return true;
  if (s.busy_left(p) > 0) return false;
  const std::size_t base = static_cast<std::size_t>(s.prog_id(p)) * kMaxOps;
  auto waiting = [&](const Op& op, std::int32_t i, bool main) {
    if (op.kind == kStreamGemm) {
      if (s.opk(p) == 0) return false;
      const int in = s.opj(p) < s.opk(p) - 1 ? op.cin : op.cin2;
      if (in < 0 || s.pq(static_cast<std::size_t>(p) * C + in) > 0) return false;
      return !(main && !s.act(p) && (op.flags & kActivate) && !(op.flags & kOnData));
    }
    if (op.cin < 0 || s.pq(static_cast<std::size_t>(p) * C + op.cin) > 0) return false;
    switch (op.kind) {
      case kRecvFmac:
      case kRecv:
      case kStreamAdd: break;
      case kChainAdd:
        if (i >= s.arg(p, op.n)) return false;
        break;
      default: return false;
    }
    if (main && !s.act(p) && (op.flags & kActivate) && !(op.flags & kOnData)) return false;
    return true;
  };
  const int apc = s.apc(p);
  if (apc != 0xFF && (s.abusy(p) > 0 || !waiting(s.ops(base + apc), s.aopi(p), false))) return false;
  const Op& op = s.ops(base + s.pc(p));
  if (op.kind == kEnd) return apc != 0xFF;  // only the microthread is left, and it waits
  if (op.flags & kAsync) return false;
  return waiting(op, s.opi(p), true);
}

// active(b) for every block of the list: some PE of the block is not quiet.
struct FabricQuiet {
  FabricState s;
  View<std::int32_t> list;

  KOKKOS_INLINE_FUNCTION void operator()(const std::int64_t idx) const {
    const std::int32_t b = list(static_cast<std::size_t>(idx));
    const int x0 = (b % s.nbx) * kBlockWidth, y0 = (b / s.nbx) * kBlockHeight;
    const int x1 = x0 + kBlockWidth < s.nx ? x0 + kBlockWidth : s.nx;
    const int y1 = y0 + kBlockHeight < s.ny ? y0 + kBlockHeight : s.ny;
    std::uint8_t any = 0;
    for (int ly = y0; ly < y1 && !any; ++ly)
      for (int lx = x0; lx < x1 && !any; ++lx)
        if (!pe_quiet(s, ly * s.nx + lx, s.padded(lx, ly))) any = 1;
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
