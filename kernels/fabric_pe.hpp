#pragma once
// One cycle of one PE's threads: its microthreads (asynchronous data movement, up to kThreads)
// step first, then its main thread (instructions, task activations, loops). Writes only the
// PE's own state (queues it pops from and pushes into, SRAM, counters); the router phase and the
// pull phase are in fabric_cycle.hpp. Instruction semantics: OpKind in fabric_types.hpp; timing
// rules: docs/fabric-model.md.
#include <Kokkos_Core.hpp>

#include "kernels/fabric_state.hpp"

namespace wb::kernels::fabric {

// What the PE's threads did this cycle; sets its busy / stall counters.
struct PeFlags {
  bool moved = false, blocked_in = false, blocked_out = false;
};

template <bool Check>
struct PeExec {
  const FabricState& s;
  int p;
  std::int32_t cycle;

  // ---- queues and memory ---------------------------------------------------------------
  KOKKOS_INLINE_FUNCTION std::size_t queue(int c) const { return static_cast<std::size_t>(p) * s.cfg.colours + c; }
  KOKKOS_INLINE_FUNCTION bool can_pop(int c) const { return c >= 0 && s.pq(queue(c)) > 0; }
  KOKKOS_INLINE_FUNCTION void pop(int c, float& v, std::int32_t& t) const {
    const std::size_t qi = queue(c);
    if (Check) {
      const int Dp = s.cfg.pe_queue_depth;
      const int h = s.pqh(qi);
      v = s.pqv(qi * Dp + h);
      t = s.pqt(qi * Dp + h);
      s.pqh(qi) = static_cast<std::uint8_t>(h + 1 == Dp ? 0 : h + 1);
    }
    s.pq(qi) -= 1;
  }
  KOKKOS_INLINE_FUNCTION bool can_push(int c) const { return c >= 0 && s.rq(queue(c)) < s.cfg.queue_depth; }
  KOKKOS_INLINE_FUNCTION void push(int c, float v, std::int32_t t) const {
    const std::size_t qi = queue(c);
    if (Check) {
      const int D = s.cfg.queue_depth;
      const int tail = (s.rqh(qi) + s.rq(qi)) % D;
      s.rqv(qi * D + tail) = v;
      s.rqt(qi * D + tail) = t;
    }
    s.rq(qi) += 1;
  }
  KOKKOS_INLINE_FUNCTION float& mem(std::int32_t w) const {
    return s.sram(static_cast<std::size_t>(p) * s.cfg.sram_words + static_cast<std::size_t>(w));
  }
  KOKKOS_INLINE_FUNCTION std::int32_t arg(std::int32_t v) const { return s.arg(p, v); }
  KOKKOS_INLINE_FUNCTION std::int32_t& counter(int k) const { return s.loop(static_cast<std::size_t>(p) * kCounters + k); }
  KOKKOS_INLINE_FUNCTION std::size_t thread(int t) const { return static_cast<std::size_t>(p) * kThreads + t; }
  KOKKOS_INLINE_FUNCTION std::size_t op_base() const { return static_cast<std::size_t>(s.prog_id(p)) * kMaxOps; }

  // SRAM base of an operand under its addressing mode (AddrMode).
  KOKKOS_INLINE_FUNCTION std::int32_t address(std::int32_t base, std::uint8_t mode, std::int32_t off,
                                              std::int32_t stride) const {
    switch (mode) {
      case kAddrParity: return base + ((counter(1) + arg(off)) & 1) * stride;
      case kAddrSelect: return counter(1) == arg(off) ? base : base + stride;
      default: return base;
    }
  }
  KOKKOS_INLINE_FUNCTION std::int32_t addr_a(const Op& op) const { return address(op.a, op.amode, op.aoff, op.stride); }
  KOKKOS_INLINE_FUNCTION std::int32_t addr_b(const Op& op) const { return address(op.b, op.bmode, op.boff, op.stride); }

  KOKKOS_INLINE_FUNCTION bool enabled(const Op& op) const {
    switch (op.pred) {
      case kWhenStepBelow: return counter(1) < arg(op.pred_v);
      case kWhenStepIs: return counter(1) == arg(op.pred_v);
      case kWhenStepAbove: return counter(1) > arg(op.pred_v);
      default: return true;
    }
  }

  KOKKOS_INLINE_FUNCTION void jump(int pc) const {
    s.pc(p) = static_cast<std::uint8_t>(pc);
    s.opi(p) = 0;
    s.opj(p) = 0;
    s.opk(p) = 0;
    s.act(p) = 0;
  }
  KOKKOS_INLINE_FUNCTION void advance() const { jump(s.pc(p) + 1); }

  // Vector instruction of `len` lanes: one cycle per SIMD group, at least one.
  KOKKOS_INLINE_FUNCTION std::int32_t vector_cycles(std::int32_t len) const {
    const std::int32_t c = (len + s.cfg.simd - 1) / s.cfg.simd;
    return c > 1 ? c : 1;
  }
  // Non-zero weights among W(row, col0 .. col0 + len).
  KOKKOS_INLINE_FUNCTION std::int32_t nonzeros(const Op& op, std::uint32_t row, std::int32_t len) const {
    if (op.zero_threshold == 0) return len;
    const std::uint32_t c0 = static_cast<std::uint32_t>(arg(op.col0));
    std::int32_t nz = 0;
    for (std::int32_t k = 0; k < len; ++k)
      nz += weight_is_zero(row, c0 + static_cast<std::uint32_t>(k), op.seed, op.zero_threshold) ? 0 : 1;
    return nz;
  }

  // ---- data movement (main thread or microthread); true when the op is done ----------------
  // `wait` is the thread's busy counter: a wavelet read from the fabric occupies the thread for
  // read_cycles cycles.
  KOKKOS_INLINE_FUNCTION bool move(const Op& op, std::int32_t& i, PeFlags& f, std::int32_t& wait) const {
    const std::int32_t rc = s.cfg.read_cycles - 1;
    const std::int32_t n = arg(op.n);
    float v = 0.0f;
    std::int32_t t = 0;
    switch (op.kind) {
      case kSend:
        if (i < n) {
          if (can_push(op.cout)) {
            push(op.cout, Check ? mem(addr_a(op) + i) : 0.0f, i);
            ++i;
            f.moved = true;
          } else {
            f.blocked_out = true;
          }
        }
        return i >= n;
      case kStreamAdd:
      case kRelay:
        if (i < n) {
          const bool in = can_pop(op.cin);
          const bool out = op.cout < 0 || can_push(op.cout);
          if (in && out) {
            pop(op.cin, v, t);
            if (op.kind == kRelay) {
              if (Check) mem(addr_a(op) + i) = v;
              if (op.cout >= 0) push(op.cout, v, i);
            } else if (op.cout >= 0) {
              push(op.cout, Check ? v + mem(op.a + i) : 0.0f, i);
            } else if (Check) {
              mem(op.a + i) += v;
            }
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
          if (can_pop(op.cin)) {
            pop(op.cin, v, t);
            if (Check) mem(addr_a(op) + i) = v;
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
          if (can_pop(op.cin)) {
            pop(op.cin, v, t);
            if (Check) mem(op.a + i) += v;
            wait = rc;
            ++i;
            f.moved = true;
          } else {
            f.blocked_in = true;
          }
        } else if (i < total) {
          if (can_push(op.cout)) {
            push(op.cout, Check ? mem(op.a + i - n) : 0.0f, i - n);
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

  // The edge feeder on microthread `th` (not PE work: it stands for the wafer edge that weights
  // arrive through).
  KOKKOS_INLINE_FUNCTION bool inject(const Op& op, int th) const {
    const std::size_t ti = thread(th);
    if (s.abusy(ti) > 0) {
      s.abusy(ti) -= 1;
      return false;
    }
    const std::int32_t outer = arg(op.n);
    const std::int32_t inner = arg(op.rows);
    const std::uint32_t row0 = static_cast<std::uint32_t>(arg(op.row0));
    const std::uint32_t col0 = static_cast<std::uint32_t>(arg(op.col0));
    const std::int32_t total = outer * inner;
    std::int32_t f = s.aopi(ti);
    while (f < total && weight_is_zero(row0 + static_cast<std::uint32_t>(f % inner),
                                       col0 + static_cast<std::uint32_t>(f / inner), op.seed, op.zero_threshold))
      ++f;
    if (f >= total) {
      s.aopi(ti) = f;
      return true;
    }
    if (can_push(op.cout)) {
      const float w = Check ? element_value(row0 + static_cast<std::uint32_t>(f % inner),
                                            col0 + static_cast<std::uint32_t>(f / inner), op.seed)
                            : 0.0f;
      push(op.cout, w, f);
      s.aopi(ti) = f + 1;
      s.abusy(ti) = op.period - 1;
    } else {
      s.aopi(ti) = f;
    }
    return false;
  }

  // One cycle of kStreamGemm for output i (see fabric_types.hpp).
  KOKKOS_INLINE_FUNCTION void stream_gemm(const Op& op, std::int32_t& i, PeFlags& f) const {
    const std::int32_t tokens = arg(op.len);
    const std::int32_t rows = arg(op.rows);
    if (s.opk(p) == 0) {
      // Non-zeros of this output's weight column: the sparse format's column pointer.
      std::int32_t cnt = rows;
      if (op.zero_threshold != 0) {
        const std::uint32_t r0 = static_cast<std::uint32_t>(arg(op.row0));
        const std::uint32_t col = static_cast<std::uint32_t>(arg(op.col0) + i);
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
      if (!can_pop(op.cin)) {
        f.blocked_in = true;
        return;
      }
      pop(op.cin, v, t);
      if (Check) {
        const std::int32_t k = t % rows;
        for (std::int32_t tt = 0; tt < tokens; ++tt) mem(op.c + tt) += mem(op.a + tt * rows + k) * v;
      }
      std::int32_t work = (tokens + s.cfg.simd - 1) / s.cfg.simd;
      if (work < s.cfg.read_cycles) work = s.cfg.read_cycles;
      s.busy_left(p) = work - 1;
    } else if (j < cnt + tokens) {
      const std::int32_t tt = j - cnt;
      const bool in = op.cin2 < 0 || can_pop(op.cin2);
      const bool out = op.cout < 0 || can_push(op.cout);
      if (!in) {
        f.blocked_in = true;
        return;
      }
      if (!out) {
        f.blocked_out = true;
        return;
      }
      if (op.cin2 >= 0) {
        pop(op.cin2, v, t);
        s.busy_left(p) = s.cfg.read_cycles - 1;
      }
      const float sum = Check ? v + mem(op.c + tt) : 0.0f;
      if (op.cout >= 0) push(op.cout, sum, tt);
      else if (Check) mem(op.b + i * tokens + tt) = sum;
      if (Check) mem(op.c + tt) = 0.0f;
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

  // One x wavelet of kRecvFmac: a data task doing one FMAC over the PE's non-zero weights of its row.
  KOKKOS_INLINE_FUNCTION void recv_fmac(const Op& op, std::int32_t& i, PeFlags& f) const {
    if (!can_pop(op.cin)) {
      f.blocked_in = true;
      return;
    }
    float v = 0.0f;
    std::int32_t t = 0;
    pop(op.cin, v, t);
    const std::int32_t len = arg(op.len);
    const std::int32_t rows = arg(op.rows);
    const std::int32_t j = i % rows;
    const std::int32_t batch = i / rows;
    const std::int32_t nz = nonzeros(op, static_cast<std::uint32_t>(arg(op.row0) + j), len);
    if (Check)
      for (std::int32_t k = 0; k < len; ++k) mem(op.c + batch * len + k) += v * mem(op.a + j * len + k);
    std::int32_t work = (nz + s.cfg.simd - 1) / s.cfg.simd;
    if (work < s.cfg.read_cycles) work = s.cfg.read_cycles;
    work += (op.flags & kPerWavelet) ? s.cfg.task_overhead : 0;
    s.busy_left(p) = work > 0 ? work - 1 : 0;
    ++i;
    f.moved = true;
  }

  // Local vector work on resident operands (kGemv, kTileGemm, kZero, kCompute): the values at
  // once, the cycles as a busy count.
  KOKKOS_INLINE_FUNCTION void local(const Op& op, PeFlags& f) const {
    std::int32_t work = 0;
    switch (op.kind) {
      case kGemv: {
        const std::int32_t batch = op.rows > 0 ? arg(op.rows) : 1, n = arg(op.n), len = arg(op.len);
        const std::int32_t x = addr_a(op), w = addr_b(op);
        for (std::int32_t j = 0; j < n; ++j) {
          const std::int32_t nz = nonzeros(op, static_cast<std::uint32_t>(arg(op.row0) + j), len);
          work += batch * vector_cycles(nz);
          if (Check)
            for (std::int32_t b = 0; b < batch; ++b)
              for (std::int32_t k = 0; k < len; ++k) mem(op.c + b * len + k) += mem(x + b * n + j) * mem(w + j * len + k);
        }
        break;
      }
      case kTileGemm: {
        const std::int32_t n = arg(op.n), rows = arg(op.rows), len = arg(op.len);
        work = n * rows * vector_cycles(len);
        if (Check) {
          const std::int32_t a = addr_a(op), b = addr_b(op);
          for (std::int32_t r = 0; r < n; ++r)
            for (std::int32_t k = 0; k < rows; ++k) {
              const float x = mem(a + r * rows + k);
              for (std::int32_t q = 0; q < len; ++q) mem(op.c + r * len + q) += x * mem(b + k * len + q);
            }
        }
        break;
      }
      case kZero: {
        const std::int32_t n = arg(op.n);
        work = vector_cycles(n);
        if (Check)
          for (std::int32_t k = 0; k < n; ++k) mem(addr_a(op) + k) = 0.0f;
        break;
      }
      default: work = arg(op.len);
    }
    if (work > 0) {
      s.busy_left(p) = work - 1;
      f.moved = true;
    }
  }

  KOKKOS_INLINE_FUNCTION void exec(const Op& op, PeFlags& f) const {
    std::int32_t i = s.opi(p);
    bool done = false;
    switch (op.kind) {
      case kRecvFmac: {
        const std::int32_t n = arg(op.n);
        if (i < n) recv_fmac(op, i, f);
        done = i >= n;
        break;
      }
      case kStreamGemm: {
        const std::int32_t outputs = arg(op.n);
        if (i < outputs) stream_gemm(op, i, f);
        done = i >= outputs;
        break;
      }
      case kGemv:
      case kTileGemm:
      case kZero:
      case kCompute:
        local(op, f);
        done = true;
        break;
      default: {
        std::int32_t wait = 0;
        done = move(op, i, f, wait);
        s.busy_left(p) = wait;
      }
    }
    s.opi(p) = i;
    if (done) advance();
  }

  // ---- threads -----------------------------------------------------------------------------
  KOKKOS_INLINE_FUNCTION bool threads_idle() const {
    for (int t = 0; t < kThreads; ++t)
      if (s.apc(thread(t)) != kThreadIdle) return false;
    return true;
  }

  KOKKOS_INLINE_FUNCTION void step_thread(int th, PeFlags& f) const {
    const std::size_t ti = thread(th);
    const int apc = s.apc(ti);
    if (apc == kThreadIdle) return;
    const Op& op = s.ops(op_base() + apc);
    bool done = false;
    if (op.kind == kInject) {
      done = inject(op, th);
    } else if (s.abusy(ti) > 0) {
      s.abusy(ti) -= 1;
      f.moved = true;
    } else {
      std::int32_t i = s.aopi(ti);
      std::int32_t wait = 0;
      done = move(op, i, f, wait);
      s.aopi(ti) = i;
      s.abusy(ti) = wait;
    }
    if (done && s.abusy(ti) == 0) s.apc(ti) = kThreadIdle;
  }

  // Control instructions take one cycle each (a loop branch or a timer read on the CE).
  KOKKOS_INLINE_FUNCTION bool control(const Op& op, PeFlags& f) const {
    switch (op.kind) {
      case kFor:
        counter(op.ctr) = 0;
        if (arg(op.n) <= 0) jump(op.b);
        else advance();
        break;
      case kNext:
        counter(op.ctr) += op.step;
        if (counter(op.ctr) < arg(op.n)) jump(op.a);
        else advance();
        break;
      case kTimer:
        if (counter(0) == arg(op.n)) s.t_start(p) = cycle;
        advance();
        break;
      case kWait:
        if (!threads_idle()) return true;  // the microthreads' own flags count this cycle
        advance();
        break;
      default: return false;
    }
    f.moved = true;
    return true;
  }

  KOKKOS_INLINE_FUNCTION void step_main(PeFlags& f) const {
    if (s.busy_left(p) > 0) {
      s.busy_left(p) -= 1;
      f.moved = true;
      return;
    }
    const std::size_t base = op_base();
    // Predicated-off instructions are skipped in no time.
    for (int guard = 0; guard < kMaxOps; ++guard) {
      const Op& op = s.ops(base + s.pc(p));
      if (op.kind == kEnd || enabled(op)) break;
      advance();
    }
    const Op& op = s.ops(base + s.pc(p));
    if (op.kind == kEnd || control(op, f)) return;
    if (op.flags & kAsync) {
      for (int t = 0; t < kThreads; ++t) {
        const std::size_t ti = thread(t);
        if (s.apc(ti) != kThreadIdle) continue;
        s.apc(ti) = s.pc(p);
        s.aopi(ti) = 0;
        s.abusy(ti) = 0;
        advance();
        f.moved = true;
        return;
      }
      f.blocked_out = true;
      return;
    }
    if (!s.act(p) && (op.flags & kActivate)) {
      if ((op.flags & kOnData) && !can_pop(op.cin)) {
        f.blocked_in = true;
        return;
      }
      s.act(p) = 1;
      if (s.cfg.task_overhead > 0) {
        s.busy_left(p) = s.cfg.task_overhead - 1;
        f.moved = true;
        return;
      }
    }
    exec(op, f);
  }

  KOKKOS_INLINE_FUNCTION void step() const {
    if (cycle < s.launch(p)) return;  // the launch has not reached this PE yet
    PeFlags f;
    for (int t = 0; t < kThreads; ++t) step_thread(t, f);
    step_main(f);
    if (s.busy_left(p) == 0 && threads_idle() && s.ops(op_base() + s.pc(p)).kind == kEnd) s.finish(p) = cycle;
    if (f.moved) s.busy(p) += 1;
    else if (f.blocked_out) s.stall_out(p) += 1;
    else if (f.blocked_in) s.stall_in(p) += 1;
  }
};

// Whether PE p can change state in the cycle after `cycle` (false) or is provably quiet (true).
KOKKOS_INLINE_FUNCTION bool pe_quiet(const FabricState& s, int p, int pp, std::int32_t cycle) {
  const int C = s.cfg.colours;
  for (int c = 0; c < C; ++c)
    if (s.rq(static_cast<std::size_t>(p) * C + c)) return false;
  for (int d = 0; d < kDirections; ++d)
    if (s.out(pp * kDirections + d) | s.cret(pp * kDirections + d)) return false;
  if (s.finish(p) >= 0) return true;
  if (s.launch(p) > cycle) return false;  // still to start
  if (s.busy_left(p) > 0) return false;
  const std::size_t base = static_cast<std::size_t>(s.prog_id(p)) * kMaxOps;
  auto empty = [&](int c) { return c < 0 || s.pq(static_cast<std::size_t>(p) * C + c) == 0; };
  // A thread on `op` at progress i waits for a wavelet on a queue that is empty.
  auto waiting = [&](const Op& op, std::int32_t i) {
    if (op.kind == kStreamGemm) {
      if (s.opk(p) == 0) return false;
      const int in = s.opj(p) < s.opk(p) - 1 ? op.cin : op.cin2;
      return in >= 0 && empty(in);
    }
    if (op.cin < 0 || !empty(op.cin)) return false;
    switch (op.kind) {
      case kRecvFmac:
      case kRecv:
      case kStreamAdd:
      case kRelay:
      case kChainAdd: return i < s.arg(p, op.n);  // a microthread past its last wavelet ends next cycle
      default: return false;
    }
  };
  int active = 0;
  for (int t = 0; t < kThreads; ++t) {
    const std::size_t ti = static_cast<std::size_t>(p) * kThreads + t;
    const int apc = s.apc(ti);
    if (apc == kThreadIdle) continue;
    ++active;
    if (s.abusy(ti) > 0 || !waiting(s.ops(base + apc), s.aopi(ti))) return false;
  }
  const Op& op = s.ops(base + s.pc(p));
  if (op.pred != kAlways) return false;  // may be skipped next cycle
  if (op.kind == kEnd || op.kind == kWait) return active > 0;  // only microthreads are left, and they wait
  if (op.flags & kAsync) return false;
  if (!s.act(p) && (op.flags & kActivate)) return (op.flags & kOnData) && empty(op.cin);
  return waiting(op, s.opi(p));
}

}  // namespace wb::kernels::fabric
