#pragma once
// The instruction interpreter: one cycle of one PE's threads, its microthreads (asynchronous data
// movement, up to kThreads) first, then its main thread (instructions, task activations, loops).
// Writes only the PE's own state (queues it pops from and pushes into, SRAM, counters). The
// router phase, the pull phase and the fast path that spares the interpreter for PEs that only
// count down or wait are in fabric_cycle.hpp. Instruction semantics: OpKind in fabric_types.hpp;
// timing rules: docs/fabric-model.md.
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
  std::size_t p;
  std::int32_t cycle;
  PeCore& k;

  KOKKOS_INLINE_FUNCTION PeExec(const FabricState& state, std::size_t pe, std::int32_t t)
      : s(state), p(pe), cycle(t), k(state.core(pe)) {}

  // ---- queues and memory ---------------------------------------------------------------
  KOKKOS_INLINE_FUNCTION std::size_t queue(int c) const { return static_cast<std::size_t>(c) * s.plane + p; }
  KOKKOS_INLINE_FUNCTION bool can_pop(int c) const { return c >= 0 && s.pe_queue(queue(c)) > 0; }
  KOKKOS_INLINE_FUNCTION bool empty(int c) const { return c < 0 || s.pe_queue(queue(c)) == 0; }
  KOKKOS_INLINE_FUNCTION void pop(int c, float& v, std::int32_t& t) const {
    const std::size_t qi = queue(c);
    if (Check) {
      const int Dp = s.cfg.pe_queue_depth;
      const int h = s.pqh(qi);
      v = s.pqv(qi * Dp + h);
      t = s.pqt(qi * Dp + h);
      s.pqh(qi) = static_cast<std::uint8_t>(h + 1 == Dp ? 0 : h + 1);
    }
    s.pe_queue(qi) -= 1;
  }
  KOKKOS_INLINE_FUNCTION bool can_push(int c) const { return c >= 0 && s.router_queue(queue(c)) < s.cfg.queue_depth; }
  KOKKOS_INLINE_FUNCTION void push(int c, float v, std::int32_t t) const {
    const std::size_t qi = queue(c);
    if (Check) {
      const int D = s.cfg.queue_depth;
      const int tail = (s.rqh(qi) + s.router_queue(qi)) % D;
      s.rqv(qi * D + tail) = v;
      s.rqt(qi * D + tail) = t;
    }
    s.router_queue(qi) += 1;
  }
  KOKKOS_INLINE_FUNCTION float& mem(std::int32_t w) const {
    return s.sram(p * static_cast<std::size_t>(s.cfg.sram_words) + static_cast<std::size_t>(w));
  }
  KOKKOS_INLINE_FUNCTION std::int32_t arg(std::int32_t v) const { return s.arg(p, v); }
  KOKKOS_INLINE_FUNCTION std::size_t op_base() const { return static_cast<std::size_t>(s.prog_id(p)) * kMaxOps; }
  KOKKOS_INLINE_FUNCTION const Op& op_at(int pc) const { return s.ops(op_base() + static_cast<std::size_t>(pc)); }

  // SRAM base of an operand under its addressing mode (AddrMode).
  KOKKOS_INLINE_FUNCTION std::int32_t address(std::int32_t base, std::uint8_t mode, std::int32_t off,
                                              std::int32_t stride) const {
    switch (mode) {
      case kAddrParity: return base + ((k.loop[1] + arg(off)) & 1) * stride;
      case kAddrSelect: return k.loop[1] == arg(off) ? base : base + stride;
      default: return base;
    }
  }
  KOKKOS_INLINE_FUNCTION std::int32_t addr_a(const Op& op) const { return address(op.a, op.amode, op.aoff, op.stride); }
  KOKKOS_INLINE_FUNCTION std::int32_t addr_b(const Op& op) const { return address(op.b, op.bmode, op.boff, op.stride); }

  KOKKOS_INLINE_FUNCTION bool enabled(const Op& op) const {
    switch (op.pred) {
      case kWhenStepBelow: return k.loop[1] < arg(op.pred_v);
      case kWhenStepIs: return k.loop[1] == arg(op.pred_v);
      case kWhenStepAbove: return k.loop[1] > arg(op.pred_v);
      default: return true;
    }
  }

  KOKKOS_INLINE_FUNCTION void jump(int pc) const {
    k.pc = static_cast<std::uint8_t>(pc);
    k.opi = 0;
    k.opj = 0;
    k.opk = 0;
    k.act = 0;
  }
  KOKKOS_INLINE_FUNCTION void advance() const { jump(k.pc + 1); }

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
    for (std::int32_t j = 0; j < len; ++j)
      nz += weight_is_zero(row, c0 + static_cast<std::uint32_t>(j), op.seed, op.zero_threshold) ? 0 : 1;
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
    if (k.abusy[th] > 0) {
      k.abusy[th] -= 1;
      return false;
    }
    const std::int32_t outer = arg(op.n);
    const std::int32_t inner = arg(op.rows);
    const std::uint32_t row0 = static_cast<std::uint32_t>(arg(op.row0));
    const std::uint32_t col0 = static_cast<std::uint32_t>(arg(op.col0));
    const std::int32_t total = outer * inner;
    std::int32_t f = k.aopi[th];
    while (f < total && weight_is_zero(row0 + static_cast<std::uint32_t>(f % inner),
                                       col0 + static_cast<std::uint32_t>(f / inner), op.seed, op.zero_threshold))
      ++f;
    if (f >= total) {
      k.aopi[th] = f;
      return true;
    }
    if (can_push(op.cout)) {
      const float w = Check ? element_value(row0 + static_cast<std::uint32_t>(f % inner),
                                            col0 + static_cast<std::uint32_t>(f / inner), op.seed)
                            : 0.0f;
      push(op.cout, w, f);
      k.aopi[th] = f + 1;
      k.abusy[th] = op.period - 1;
    } else {
      k.aopi[th] = f;
    }
    return false;
  }

  // One cycle of kStreamGemm for output i (see fabric_types.hpp).
  KOKKOS_INLINE_FUNCTION void stream_gemm(const Op& op, std::int32_t& i, PeFlags& f) const {
    const std::int32_t tokens = arg(op.len);
    const std::int32_t rows = arg(op.rows);
    if (k.opk == 0) {
      // Non-zeros of this output's weight column: the sparse format's column pointer.
      std::int32_t cnt = rows;
      if (op.zero_threshold != 0) {
        const std::uint32_t r0 = static_cast<std::uint32_t>(arg(op.row0));
        const std::uint32_t col = static_cast<std::uint32_t>(arg(op.col0) + i);
        cnt = 0;
        for (std::int32_t j = 0; j < rows; ++j)
          cnt += weight_is_zero(r0 + static_cast<std::uint32_t>(j), col, op.seed, op.zero_threshold) ? 0 : 1;
      }
      k.opk = cnt + 1;
    }
    const std::int32_t cnt = k.opk - 1;
    const std::int32_t j = k.opj;
    float v = 0.0f;
    std::int32_t t = 0;
    if (j < cnt) {
      if (!can_pop(op.cin)) {
        f.blocked_in = true;
        return;
      }
      pop(op.cin, v, t);
      if (Check) {
        const std::int32_t kk = t % rows;
        for (std::int32_t tt = 0; tt < tokens; ++tt) mem(op.c + tt) += mem(op.a + tt * rows + kk) * v;
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
      k.opj = 0;
      k.opk = 0;
    } else {
      k.opj = j + 1;
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
      for (std::int32_t q = 0; q < len; ++q) mem(op.c + batch * len + q) += v * mem(op.a + j * len + q);
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
              for (std::int32_t q = 0; q < len; ++q) mem(op.c + b * len + q) += mem(x + b * n + j) * mem(w + j * len + q);
        }
        break;
      }
      case kTileGemm: {
        const std::int32_t n = arg(op.n), rows = arg(op.rows), len = arg(op.len);
        work = n * rows * vector_cycles(len);
        if (Check) {
          const std::int32_t a = addr_a(op), b = addr_b(op);
          for (std::int32_t r = 0; r < n; ++r)
            for (std::int32_t kk = 0; kk < rows; ++kk) {
              const float x = mem(a + r * rows + kk);
              for (std::int32_t q = 0; q < len; ++q) mem(op.c + r * len + q) += x * mem(b + kk * len + q);
            }
        }
        break;
      }
      case kZero: {
        const std::int32_t n = arg(op.n);
        work = vector_cycles(n);
        if (Check)
          for (std::int32_t q = 0; q < n; ++q) mem(addr_a(op) + q) = 0.0f;
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
    std::int32_t i = k.opi;
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
    k.opi = i;
    if (done) advance();
  }

  // ---- threads -----------------------------------------------------------------------------
  // Branch-free: most interpreted PEs run no microthread, and this is asked up to three times a cycle.
  static_assert(kThreads == 4 && kThreadIdle == 0xFF, "threads_idle() ands the four microthread ops");
  KOKKOS_INLINE_FUNCTION bool threads_idle() const { return (k.apc[0] & k.apc[1] & k.apc[2] & k.apc[3]) == kThreadIdle; }

  KOKKOS_INLINE_FUNCTION void step_thread(int th, PeFlags& f) const {
    const int apc = k.apc[th];
    if (apc == kThreadIdle) return;
    const Op& op = op_at(apc);
    bool done = false;
    if (op.kind == kInject) {
      done = inject(op, th);
    } else if (k.abusy[th] > 0) {
      k.abusy[th] -= 1;
      f.moved = true;
    } else {
      std::int32_t i = k.aopi[th];
      std::int32_t wait = 0;
      done = move(op, i, f, wait);
      k.aopi[th] = i;
      k.abusy[th] = wait;
    }
    if (done && k.abusy[th] == 0) k.apc[th] = kThreadIdle;
  }

  // Control instructions take one cycle each (a loop branch or a timer read on the CE).
  KOKKOS_INLINE_FUNCTION bool control(const Op& op, PeFlags& f) const {
    switch (op.kind) {
      case kFor:
        k.loop[op.ctr] = 0;
        if (arg(op.n) <= 0) jump(op.b);
        else advance();
        break;
      case kNext:
        k.loop[op.ctr] += op.step;
        if (k.loop[op.ctr] < arg(op.n)) jump(op.a);
        else advance();
        break;
      case kTimer:
        if (k.loop[0] == arg(op.n)) k.t_start = cycle;
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
    // Predicated-off instructions are skipped in no time.
    for (int guard = 0; guard < kMaxOps; ++guard) {
      const Op& op = op_at(k.pc);
      if (op.kind == kEnd || enabled(op)) break;
      advance();
    }
    const Op& op = op_at(k.pc);
    if (op.kind == kEnd || control(op, f)) return;
    if (op.flags & kAsync) {
      for (int t = 0; t < kThreads; ++t) {
        if (k.apc[t] != kThreadIdle) continue;
        k.apc[t] = k.pc;
        k.aopi[t] = 0;
        k.abusy[t] = 0;
        advance();
        f.moved = true;
        return;
      }
      f.blocked_out = true;
      return;
    }
    if (!k.act && (op.flags & kActivate)) {
      if ((op.flags & kOnData) && !can_pop(op.cin)) {
        f.blocked_in = true;
        return;
      }
      k.act = 1;
      if (s.cfg.task_overhead > 0) {
        s.busy_left(p) = s.cfg.task_overhead - 1;
        f.moved = true;
        return;
      }
    }
    exec(op, f);
  }

  // ---- the fast path's view of the PE --------------------------------------------------------
  // The PE queue a thread on `op` at progress i would wait for were it empty, when nothing else
  // can happen to the thread; -1 when the thread runs whatever its queues hold.
  KOKKOS_INLINE_FUNCTION int wait_colour(const Op& op, std::int32_t i) const {
    if (op.kind == kStreamGemm) {
      if (k.opk == 0) return -1;
      return k.opj < k.opk - 1 ? op.cin : op.cin2;
    }
    if (op.cin < 0) return -1;
    switch (op.kind) {
      case kRecvFmac:
      case kRecv:
      case kStreamAdd:
      case kRelay:
      case kChainAdd: return i < arg(op.n) ? op.cin : -1;  // a microthread past its last wavelet ends next cycle
      default: return -1;
    }
  }

  // What the PE does once the main thread's busy count is 0 (AfterBusy), its microthreads waiting
  // (`threads` of them): `mask` gains the PE queue the main thread would then wait for.
  KOKKOS_INLINE_FUNCTION std::uint8_t after_busy(int threads, ColourMask& mask) const {
    const Op& op = op_at(k.pc);
    if (op.kind == kEnd && threads == 0) return kAfterFinish;  // as close() decides
    // A predicate may skip the op next cycle; an async op starts a microthread.
    if (op.pred != kAlways || (op.flags & kAsync)) return kAfterRun;
    // Only microthreads are left, and they wait (kWait without them moves on).
    if (op.kind == kEnd || op.kind == kWait) return threads > 0 ? kAfterWait : kAfterRun;
    std::int32_t c = -1;
    if (!k.act && (op.flags & kActivate)) {
      // A data task waits for its first wavelet (forever without an input colour).
      if (!(op.flags & kOnData)) return kAfterRun;
      c = op.cin;
    } else {
      c = wait_colour(op, k.opi);
      if (c < 0) return kAfterRun;
    }
    if (c >= 0) mask = static_cast<ColourMask>(mask | colour_bit(c));
    return kAfterWait;
  }

  // Sets the PE's mode after its step (PeMode): kModeWait exactly when the PE is provably quiet
  // apart from its router (every thread waits for a wavelet on an empty PE queue), kModeBusy when
  // only the main thread's busy count moves (with what follows it), kModeRun otherwise.
  KOKKOS_INLINE_FUNCTION void settle() const {
    ColourMask mask = 0;
    int threads = 0;
    if (!threads_idle())
      for (int t = 0; t < kThreads; ++t) {
        const int apc = k.apc[t];
        if (apc == kThreadIdle) continue;
        ++threads;
        const int c = k.abusy[t] > 0 ? -1 : wait_colour(op_at(apc), k.aopi[t]);
        if (c < 0 || !empty(c)) {
          s.mode(p) = kModeRun;
          return;
        }
        mask = static_cast<ColourMask>(mask | colour_bit(c));
      }
    ColourMask then = mask;
    const std::uint8_t next = after_busy(threads, then);
    if (s.busy_left(p) > 0) {
      s.mode(p) = kModeBusy;
      s.wait_mask(p) = mask;
      s.after(p) = next;
      s.after_mask(p) = then;
      return;
    }
    // The microthreads' queues are empty (above), so `then` holds a wavelet only in the main
    // thread's queue. kAfterFinish does not occur here: close() finished the PE.
    s.mode(p) = next == kAfterWait && !filled(then) ? kModeWait : kModeRun;
    s.wait_mask(p) = then;
  }

  // Whether a PE queue of `mask` holds a wavelet.
  KOKKOS_INLINE_FUNCTION bool filled(ColourMask mask) const {
    for (int c = 0; c < s.cfg.colours; ++c)
      if ((mask & colour_bit(c)) && !empty(c)) return true;
    return false;
  }

  // The end of a PE's cycle: done when nothing is left to run; then its mode for the next cycle.
  KOKKOS_INLINE_FUNCTION void close() const {
    if (s.busy_left(p) == 0 && threads_idle() && op_at(k.pc).kind == kEnd) {
      s.finish(p) = cycle;
      return;
    }
    settle();
  }

  // One interpreted cycle (the PE is launched and unfinished).
  KOKKOS_INLINE_FUNCTION void step() const {
    PeFlags f;
    if (!threads_idle())
      for (int t = 0; t < kThreads; ++t) step_thread(t, f);
    step_main(f);
    if (f.moved) s.busy(p) += 1;
    else if (f.blocked_out) s.stall_out(p) += 1;
    else if (f.blocked_in) s.stall_in(p) += 1;
    close();
  }
};

}  // namespace wb::kernels::fabric
