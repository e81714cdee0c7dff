#include "gpu/steady_state.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "gpu/critical_path.hpp"
#include "gpu/fast_path.hpp"
#include "gpu/program_builder.hpp"

namespace wb::gpu {

namespace {

// The schedule's blocks: a block is `iters` steady iterations (one forward and one backward
// unit each), covering `micro` micro-batches; stage s's blocks start `offset(s)` iterations into
// its steady phase, so that a message never goes from a later block to an earlier one (with
// interleaving, stage 0 receives chunk c + 1 from the last stage pp - 2 iterations after the
// last stage sent it; Narayanan et al. SC'21 Fig. 4).
struct Blocks {
  std::int64_t pp = 1, vp = 1, iters = 1, micro = 1;
  bool paired = false;  // DeepSpeed's paired sends: stage s's step k meets stage s + 1's step k + 1
  std::int64_t offset(std::int64_t stage) const { return vp == 1 && !paired ? 0 : stage; }
  // Complete blocks every stage has with m micro-batches.
  std::int64_t count(std::int64_t m) const {
    std::int64_t n = -1;
    for (std::int64_t s = 0; s < pp; ++s) {
      const std::int64_t steady = m * vp - schedule_warmup(s, pp, vp, m);
      const std::int64_t k = (steady - offset(s)) / iters;
      n = n < 0 ? k : std::min(n, k);
    }
    return std::max<std::int64_t>(0, n);
  }
  // Unit index where block n of stage s begins.
  std::int64_t unit(std::int64_t stage, std::int64_t n, std::int64_t m) const {
    return schedule_warmup(stage, pp, vp, m) + 2 * (offset(stage) + n * iters);
  }
};

// The programs of m_r micro-batches cut into prefix | blocks 0..N-1 | rest, and the checks.
class Periodic {
 public:
  Periodic(const StepSetup& sr, const std::vector<Program>& progs, const FastWalk& w, const Blocks& bl)
      : progs_(progs), w_(w), pp_(progs.size()) {
    n_ = bl.count(sr.grad_accum);
    begin_.resize(pp_);
    for (std::size_t s = 0; s < pp_; ++s)
      for (std::int64_t n = 0; n <= n_; ++n)
        begin_[s].push_back(progs[s].unit_begin[static_cast<std::size_t>(bl.unit(static_cast<std::int64_t>(s), n, sr.grad_accum))]);
  }

  // Finds the blocks that repeat (up to b), the reach R and the period; false with the reason.
  bool analyse(std::string& why) {
    if (n_ < 3) return fail(why, "too few pipeline blocks");
    std::int64_t n = n_ - 2;
    while (n >= 0 && !identical(n)) --n;
    if (n < 0) return fail(why, "no two consecutive pipeline blocks are alike");
    b_ = n + 2;
    if (!messages_forward()) return fail(why, "a pipeline message crosses a block boundary backwards");
    reach_ = 0;
    for (std::size_t s = 0; s < pp_; ++s)
      for (std::uint32_t x = begin_[s][static_cast<std::size_t>(b_ - 1)]; x < begin_[s][static_cast<std::size_t>(b_)]; ++x)
        preds(s, x, [&](std::size_t ps, std::uint32_t p) { reach_ = std::max(reach_, b_ - 1 - block(ps, p)); });
    // The blocks from b - 1 - R on repeat one another (blocks n and n + 1 do; only the pairs
    // further back the reach needs are compared).
    if (b_ - 1 - reach_ < 0) return fail(why, "the repeated blocks reach back beyond the repetition");
    for (std::int64_t k = n - 1; k >= b_ - 1 - reach_; --k)
      if (!identical(k)) return fail(why, "the repeated blocks reach back beyond the repetition");
    const std::size_t first = begin_[0][static_cast<std::size_t>(b_ - 1)], prev = begin_[0][static_cast<std::size_t>(b_ - 2)];
    lambda_ = w_.end[0][first] - w_.end[0][prev];
    if (lambda_ <= 0) return fail(why, "the pipeline period is not positive");
    for (std::int64_t i = b_ - reach_; i <= b_ - 1; ++i)
      if (!periodic(i)) return fail(why, "the block times have not settled into a period");
    if (!tail_moves()) return fail(why, "a task after the repeated blocks does not move with them");
    return true;
  }

  // Block of task x of stage s: -1 prefix, n in [0, b), b for everything from block b on.
  std::int64_t block(std::size_t s, std::uint32_t x) const {
    const auto& bs = begin_[s];
    if (x < bs[0]) return -1;
    if (x >= bs[static_cast<std::size_t>(b_)]) return b_;
    return static_cast<std::int64_t>(std::upper_bound(bs.begin(), bs.begin() + b_ + 1, x) - bs.begin()) - 1;
  }
  std::uint32_t begin(std::size_t s, std::int64_t n) const { return begin_[s][static_cast<std::size_t>(n)]; }
  std::uint32_t length(std::size_t s) const { return begin(s, b_) - begin(s, b_ - 1); }
  std::int64_t b() const { return b_; }
  std::int64_t reach() const { return reach_; }
  SimTime lambda() const { return lambda_; }

  // Calls f(stage, task) for each predecessor of task x of stage s: explicit dependencies, the
  // previous task of its stream, and for a receive its message's send.
  template <class F>
  void preds(std::size_t s, std::uint32_t x, F&& f) const {
    const Program& p = progs_[s];
    const Task& t = p.tasks[x];
    for (std::uint32_t d = t.dep_begin; d < t.dep_begin + t.dep_count; ++d) f(s, p.deps[d]);
    if (p.stream_prev[x] >= 0) f(s, static_cast<std::uint32_t>(p.stream_prev[x]));
    if (t.resource == Resource::recv)
      f(static_cast<std::size_t>(w_.source_stage[s][x]), static_cast<std::uint32_t>(w_.source_task[s][x]));
  }

 private:
  static bool fail(std::string& why, const char* what) {
    why = what;
    return false;
  }

  // Blocks n and n + 1 of every stage hold the same tasks, depending on the same tasks one
  // block later.
  bool identical(std::int64_t n) const {
    for (std::size_t s = 0; s < pp_; ++s) {
      const std::uint32_t x0 = begin(s, n), y0 = begin(s, n + 1), len = y0 - x0;
      if (begin(s, n + 2) - y0 != len) return false;
      const Program& p = progs_[s];
      for (std::uint32_t q = 0; q < len; ++q) {
        const std::uint32_t x = x0 + q, y = y0 + q;
        const Task& a = p.tasks[x];
        const Task& c = p.tasks[y];
        if (a.duration != c.duration || a.work != c.work || a.peer_stage != c.peer_stage || a.dep_count != c.dep_count ||
            a.step != c.step || a.stream != c.stream || a.resource != c.resource || a.group != c.group || a.kind != c.kind ||
            a.scales != c.scales || a.to_host != c.to_host || a.coll != c.coll || a.calls != c.calls || a.phase != c.phase)
          return false;
        if (a.resource == Resource::collective && a.group == GroupKind::embed) return false;
        if (p.fused() && (p.chain_comm[x] != p.chain_comm[y] || p.chain_tasks[x] != p.chain_tasks[y])) return false;
        for (std::uint32_t k = 0; k < a.dep_count; ++k)
          if (p.deps[c.dep_begin + k] != p.deps[a.dep_begin + k] + len) return false;
        const std::int32_t sa = p.stream_prev[x], sc = p.stream_prev[y];
        if ((sa < 0) != (sc < 0) || (sa >= 0 && sc != sa + static_cast<std::int32_t>(len))) return false;
        if (a.resource == Resource::recv) {
          // The message of the later receive comes from the next block of the same stage.
          const std::int32_t fs = w_.source_stage[s][x];
          if (w_.source_stage[s][y] != fs) return false;
          const std::size_t f = static_cast<std::size_t>(fs);
          const std::uint32_t from = static_cast<std::uint32_t>(w_.source_task[s][x]);
          const auto& bs = begin_[f];
          if (from < bs.front() || from >= bs[static_cast<std::size_t>(n_ - 1)]) return false;
          const std::size_t k = static_cast<std::size_t>(std::upper_bound(bs.begin(), bs.end(), from) - bs.begin()) - 1;
          if (bs[k + 2] - bs[k + 1] != bs[k + 1] - bs[k]) return false;
          if (static_cast<std::uint32_t>(w_.source_task[s][y]) != from + (bs[k + 1] - bs[k])) return false;
        }
      }
    }
    return true;
  }

  // Every message goes to the same block or a later one (so cutting all stages at a block
  // boundary leaves nothing before the cut waiting for something after it).
  bool messages_forward() const {
    for (std::size_t s = 0; s < pp_; ++s)
      for (std::uint32_t x = 0; x < progs_[s].tasks.size(); ++x)
        if (progs_[s].tasks[x].resource == Resource::recv &&
            block(static_cast<std::size_t>(w_.source_stage[s][x]), static_cast<std::uint32_t>(w_.source_task[s][x])) >
                block(s, x))
          return false;
    return true;
  }

  // Block i's times are block i - 1's plus the period.
  bool periodic(std::int64_t i) const {
    for (std::size_t s = 0; s < pp_; ++s) {
      const std::uint32_t x0 = begin(s, i - 1), y0 = begin(s, i), len = y0 - x0;
      for (std::uint32_t q = 0; q < len; ++q)
        if (w_.end[s][y0 + q] - w_.end[s][x0 + q] != lambda_ || w_.start[s][y0 + q] - w_.start[s][x0 + q] != lambda_)
          return false;
    }
    return true;
  }

  // Late: a task the extra blocks move (the rest, or a block inside the periodic window).
  bool late(std::size_t s, std::uint32_t x) const { return block(s, x) >= b_ - 1 - reach_; }

  // Every task from block b on starts (and a receive's message arrives) as a predecessor that
  // moves with the blocks lets it: one exists, and none that stays put ends later. A task of an
  // earlier block it waits for has its copy in block b - 1 among its predecessors too, so
  // copies inserted between them never bind.
  bool tail_moves() const {
    for (std::size_t s = 0; s < pp_; ++s) {
      const Program& p = progs_[s];
      for (std::uint32_t x = begin(s, b_); x < p.tasks.size(); ++x) {
        const Task& t = p.tasks[x];
        SimTime late_end = -1, early_end = -1;
        bool copies = true;
        auto note = [&](std::size_t ps, std::uint32_t q) {
          const SimTime e = w_.end[ps][q];
          if (late(ps, q)) {
            late_end = std::max(late_end, e);
            return;
          }
          early_end = std::max(early_end, e);
          const std::int64_t n = block(ps, q);
          if (n < 0) return;
          const std::uint32_t copy = begin(ps, b_ - 1) + (q - begin(ps, n));
          bool found = false;
          preds(s, x, [&](std::size_t cs, std::uint32_t c) { found = found || (cs == ps && c == copy); });
          copies = copies && found;
        };
        const Task& tk = t;
        for (std::uint32_t d = tk.dep_begin; d < tk.dep_begin + tk.dep_count; ++d) note(s, p.deps[d]);
        if (p.stream_prev[x] >= 0) note(s, static_cast<std::uint32_t>(p.stream_prev[x]));
        if (late_end < 0 || early_end > late_end || !copies) return false;
        if (t.resource == Resource::recv &&
            !late(static_cast<std::size_t>(w_.source_stage[s][x]), static_cast<std::uint32_t>(w_.source_task[s][x])))
          return false;
      }
    }
    return true;
  }

  const std::vector<Program>& progs_;
  const FastWalk& w_;
  std::size_t pp_;
  std::int64_t n_ = 0, b_ = 0, reach_ = 0;
  SimTime lambda_ = 0;
  std::vector<std::vector<std::uint32_t>> begin_;
};

// One stage's step with D more blocks, for the critical-path walk: virtual task indices run
// over prefix, blocks 0..b-1, D copies of block b - 1, then the rest; each maps to a simulated
// task and a shift by whole periods. In the periodic part the walk repeats itself block after
// block: once it meets the same position of a block again, the stretch in between is counted
// as many times as it repeats and the walk jumps over it.
class ExtendedStage {
 public:
  ExtendedStage(const Periodic& per, const Program& prog, const FastWalk& w, std::size_t stage, std::int64_t extra)
      : per_(per), prog_(prog), w_(w), s_(stage), d_(extra), len_(per.length(stage)), tail_(per.begin(stage, per.b())),
        first_periodic_(per.begin(stage, per.b() - 1)) {}

  std::int64_t virtual_of_real_last(std::uint32_t x) const { return x + d_ * len_; }  // x in the rest

  const Task& task(std::int64_t v) const { return prog_.tasks[real(v)]; }
  SimTime start(std::int64_t v) const { return w_.start[s_][real(v)] + shift(v) * per_.lambda(); }
  SimTime end(std::int64_t v) const { return w_.end[s_][real(v)] + shift(v) * per_.lambda(); }
  SimTime chain_comm(std::int64_t v) const { return prog_.fused() ? prog_.chain_comm[real(v)] : 0; }
  template <class F>
  void preds(std::int64_t v, F&& f) const {
    const std::uint32_t x = real(v);
    const std::int64_t k = shift(v);
    const Task& t = prog_.tasks[x];
    auto map = [&](std::uint32_t p) {
      if (k == 0) return f(static_cast<std::int64_t>(p));
      if (p >= tail_) return f(static_cast<std::int64_t>(p) + d_ * len_);
      if (!(per_.block(s_, p) >= per_.b() - 1 - per_.reach())) return f(static_cast<std::int64_t>(p));
      const std::int64_t n = per_.block(s_, p) + k;  // the block the predecessor's copy is in
      const std::int64_t q = p - per_.begin(s_, per_.block(s_, p));
      f(n < per_.b() ? per_.begin(s_, n) + q : static_cast<std::int64_t>(tail_) + (n - per_.b()) * len_ + q);
    };
    for (std::uint32_t d = t.dep_begin; d < t.dep_begin + t.dep_count; ++d) map(prog_.deps[d]);
    if (prog_.stream_prev[x] >= 0) map(static_cast<std::uint32_t>(prog_.stream_prev[x]));
  }
  void visit(std::int64_t& v, SimTime& covered_to, StepBreakdown& b) {
    if (jumped_ || v < first_periodic_ || v >= tail_ + d_ * len_) return;
    const std::int64_t block = (v - first_periodic_) / len_, q = (v - first_periodic_) % len_;
    if (seen_.empty()) seen_.resize(static_cast<std::size_t>(len_));
    Seen& it = seen_[static_cast<std::size_t>(q)];
    if (it.block < 0) {
      it = Seen{block, b};
      return;
    }
    const std::int64_t cycle = it.block - block;
    const std::int64_t times = block / cycle;  // stay within the periodic blocks
    jumped_ = true;
    if (times <= 0) return;
    const StepBreakdown& s = it.before;
    b.compute += times * (b.compute - s.compute);
    b.comm += times * (b.comm - s.comm);
    b.offload += times * (b.offload - s.offload);
    b.cpu += times * (b.cpu - s.cpu);
    b.bubble += times * (b.bubble - s.bubble);
    for (int p = 0; p < 3; ++p) b.phase[p] += times * (b.phase[p] - s.phase[p]);
    v -= times * cycle * len_;
    covered_to -= times * cycle * per_.lambda();
  }

 private:
  std::uint32_t real(std::int64_t v) const {
    if (v < tail_) return static_cast<std::uint32_t>(v);
    if (v < tail_ + d_ * len_) return first_periodic_ + static_cast<std::uint32_t>((v - tail_) % len_);
    return static_cast<std::uint32_t>(v - d_ * len_);
  }
  std::int64_t shift(std::int64_t v) const {
    if (v < tail_) return 0;
    if (v < tail_ + d_ * len_) return (v - tail_) / len_ + 1;
    return d_;
  }
  struct Seen {
    std::int64_t block = -1;  // -1: not met yet
    StepBreakdown before;
  };
  const Periodic& per_;
  const Program& prog_;
  const FastWalk& w_;
  std::size_t s_;
  std::int64_t d_;
  std::int64_t len_;
  std::uint32_t tail_, first_periodic_;
  bool jumped_ = false;
  std::vector<Seen> seen_;  // by position in the block
};

}  // namespace

bool simulate_steady(const StepSetup& st, bool stragglers, SimRun& out, std::string* why) {
  const auto t0 = std::chrono::steady_clock::now();
  std::string reason;
  auto fail = [&](const std::string& r) {
    if (why) *why = r;
    return false;
  };
  if (st.steps != 1) return fail("two simulated steps (delayed update)");
  if (st.pp == 1 && st.vp > 1) return fail("interleaving without pipeline stages");
  Blocks bl;
  bl.pp = st.pp;
  bl.vp = st.vp;
  bl.paired = st.p2p_handshake > 0;
  bl.iters = st.vp == 1 ? 1 : st.pp * st.vp;
  bl.micro = st.vp == 1 ? 1 : st.pp;
  const std::int64_t m = st.grad_accum;
  if (m % bl.micro != 0) return fail("micro-batches not a multiple of the block");
  // Blocks to simulate: a few beyond the pipeline's fill, more if the times take longer to settle.
  for (std::int64_t want = 4; want <= 64; want *= 2) {
    std::int64_t mr = bl.micro;
    while (bl.count(mr) < want && mr < m) mr += bl.micro;
    if (mr + bl.micro > m) return fail(reason.empty() ? "too few micro-batches to repeat" : reason);
    // The setup, programs and walk in storage kept on the thread: a search evaluates thousands
    // of layouts (a fresh copy of the setup allocates its strings and provenance again).
    thread_local StepSetup sr;
    sr = st;
    sr.grad_accum = mr;
    thread_local std::vector<Program> progs;
    thread_local FastWalk w;
    progs.resize(static_cast<std::size_t>(sr.pp));
    // Without stragglers the chains of kernels and tensor-parallel all-reduces are walked as
    // one task each (program_builder.hpp, ChainTasks::fused); with them each kernel is slowed
    // on its own, so the tasks stay separate.
    const ChainTasks chains = stragglers && st.straggler_cv > 0 ? ChainTasks::separate : ChainTasks::fused;
    for (std::int64_t s = 0; s < sr.pp; ++s) build_program(sr, s, progs[static_cast<std::size_t>(s)], chains);
    walk_fast(sr, progs, stragglers, w);
    Periodic per(sr, progs, w, bl);
    if (!per.analyse(reason)) continue;
    const std::int64_t extra = bl.count(m) - bl.count(mr);
    if (extra * bl.micro != m - mr) return fail("block count does not follow the micro-batches");
    // The step's last task and each stage's are in the rest, moved by extra periods.
    const SimTime shift = extra * per.lambda();
    std::int64_t crit = -1;
    SimTime last_end = -1;
    std::vector<SimTime> stage_end(progs.size(), 0);
    for (std::size_t s = 0; s < progs.size(); ++s) {
      SimTime rest = -1, before = -1;
      const std::uint32_t from = per.begin(s, per.b());
      for (std::uint32_t x = 0; x < from; ++x) before = std::max(before, w.end[s][x]);
      for (std::uint32_t x = from; x < progs[s].tasks.size(); ++x) rest = std::max(rest, w.end[s][x]);
      if (rest < before) return fail("a stage's last task is not after the repeated blocks");
      stage_end[s] = rest + shift;
      last_end = std::max(last_end, stage_end[s]);
    }
    for (std::size_t s = 0; s < progs.size(); ++s)
      if (stage_end[s] == last_end && (crit < 0 || w.label[s] < w.label[static_cast<std::size_t>(crit)]))
        crit = static_cast<std::int64_t>(s);
    const std::size_t c = static_cast<std::size_t>(crit);
    std::uint32_t last = 0;
    SimTime best = -1;
    for (std::uint32_t x = 0; x < progs[c].tasks.size(); ++x)
      if (w.end[c][x] >= best) {
        best = w.end[c][x];
        last = x;
      }
    ExtendedStage view(per, progs[c], w, c, extra);
    out = SimRun{};
    out.step_time = last_end;
    out.critical_device = w.label[c];
    out.breakdown = walk_critical_path(view, view.virtual_of_real_last(last), 0);
    out.events = w.processed;
    out.lps = st.pp;
    out.micro_batches_walked = mr;
    out.steady_state = true;
    out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return true;
  }
  return fail(reason);
}

}  // namespace wb::gpu
