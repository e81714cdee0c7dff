#include "gpu/program_builder.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <initializer_list>
#include <stdexcept>
#include <vector>

namespace wb::gpu {

namespace {

struct Unit {
  bool forward;
  std::int64_t micro;
  std::int64_t chunk;
};

}  // namespace

std::int64_t schedule_warmup(std::int64_t stage, std::int64_t pp, std::int64_t vp, std::int64_t micro) {
  if (pp == 1) return 0;
  const std::int64_t total = micro * vp;
  if (vp == 1) return std::min(pp - stage - 1, micro);
  return micro == pp ? total : std::min(total, (pp - stage - 1) * 2 + (vp - 1) * pp);
}

GradReduction grad_reduction(const StepSetup& st) {
  const FrameworkTime& ft = *st.framework->time;
  const int zero = st.strategy.zero_stage;
  const bool overlap_ddp = ft.grad_reduce == GradReduce::overlapped ||
                           (ft.grad_reduce == GradReduce::overlapped_without_pipeline && st.pp == 1);
  GradReduction r;
  double bucket = 0;
  r.grad_bytes = zero == 0 ? ft.grad_bytes_per_param : 2.0;  // ZeRO reduces fp16 gradients
  if (st.dp > 1) {
    if (zero == 0) {
      if (overlap_ddp) {
        r.last_micro = true;
        bucket = st.framework->ddp_bucket_bytes / r.grad_bytes;
      } else {
        r.after = true;
      }
    } else if (ft.grad_reduce == GradReduce::per_module) {
      // PyTorch FSDP (Zhao et al. VLDB 2023, Sec. 3.3): each unit's gradients are
      // reduce-scattered when its backward ends, in every micro-batch.
      r.each_micro = true;
      bucket = st.layer_params;
    } else if (zero == 1) {
      r.last_micro = true;
      bucket = st.framework->reduce_bucket_elements;
    } else {
      r.each_micro = true;
      bucket = st.framework->reduce_bucket_elements;
    }
  } else if (st.offload) {
    // One GPU with offload still copies each gradient bucket (an FSDP unit's gradients) to the
    // host as it is produced.
    r.each_micro = true;
    bucket = ft.grad_reduce == GradReduce::per_module ? st.layer_params : st.framework->reduce_bucket_elements;
  }
  if (bucket > 0) r.bucket_elems = bucket;
  r.kind = zero == 0 ? Collective::all_reduce : Collective::reduce_scatter;
  r.task = zero == 0 ? TaskKind::grad_allreduce : TaskKind::grad_reduce;
  return r;
}

namespace {

// Order of forward/backward units on one stage: 1F1B (Narayanan et al. SOSP'19 PipeDream-Flush,
// as in Megatron-LM forward_backward_pipelining_without_interleaving) or the interleaved order
// of forward_backward_pipelining_with_interleaving (SC'21 Sec. 2.2.2).
std::vector<Unit> schedule(std::int64_t stage, std::int64_t pp, std::int64_t vp, std::int64_t micro) {
  std::vector<Unit> out;
  if (pp == 1) {
    for (std::int64_t i = 0; i < micro; ++i) {
      out.push_back({true, i, 0});
      out.push_back({false, i, 0});
    }
    return out;
  }
  const std::int64_t total = micro * vp;
  const std::int64_t warmup = schedule_warmup(stage, pp, vp, micro);
  auto unit_of = [&](std::int64_t k, bool forward) {
    const std::int64_t group = pp * vp;
    std::int64_t chunk = (k % group) / pp;
    if (!forward) chunk = vp - 1 - chunk;
    const std::int64_t mb = (k / group) * pp + k % pp;
    return Unit{forward, vp == 1 ? k : mb, vp == 1 ? 0 : chunk};
  };
  for (std::int64_t k = 0; k < warmup; ++k) out.push_back(unit_of(k, true));
  const std::int64_t steady = total - warmup;
  for (std::int64_t i = 0; i < steady; ++i) {
    out.push_back(unit_of(warmup + i, true));
    out.push_back(unit_of(i, false));
  }
  for (std::int64_t i = steady; i < total; ++i) out.push_back(unit_of(i, false));
  return out;
}

class TaskAdder {
 public:
  explicit TaskAdder(Program& p) : p_(p) {}
  std::uint8_t phase = 0;  // stamped on every task added: 0 forward, 1 backward, 2 optimizer
  std::uint32_t add(Task t, std::initializer_list<std::int64_t> deps) { return add_range(t, deps); }
  std::uint32_t add(Task t, const std::vector<std::int64_t>& deps) { return add_range(t, deps); }
  // Dependencies < 0 mean "none" and are skipped.
  template <class Deps>
  std::uint32_t add_range(Task t, const Deps& deps) {
    t.dep_begin = static_cast<std::uint32_t>(p_.deps.size());
    std::uint16_t n = 0;
    for (std::int64_t d : deps)
      if (d >= 0) {
        p_.deps.push_back(static_cast<std::uint32_t>(d));
        ++n;
      }
    t.dep_count = n;
    t.phase = phase;
    p_.tasks.push_back(t);
    return static_cast<std::uint32_t>(p_.tasks.size() - 1);
  }
  std::uint32_t collective(Task t, GroupKind g, std::initializer_list<std::int64_t> deps) {
    t.resource = Resource::collective;
    t.group = g;
    auto& list = p_.collective_task[static_cast<int>(g)];
    t.tag = static_cast<std::int64_t>(list.size());
    const std::uint32_t id = add(t, deps);
    list.push_back(id);
    return id;
  }

 private:
  Program& p_;
};

// A copy of fp16 parameters from the host over PCIe, on the given stream.
Task h2d_params_task(Stream stream, double bytes, std::uint8_t step) {
  Task h;
  h.kind = TaskKind::h2d_params;
  h.stream = stream;
  h.resource = Resource::pcie;
  h.step = step;
  h.work = bytes;
  return h;
}

Task compute_task(TaskKind k, SimTime d, std::uint8_t step) {
  Task t;
  t.kind = k;
  t.duration = d;
  t.stream = Stream::compute;
  t.resource = Resource::local;
  t.scales = true;
  t.step = step;
  return t;
}

// Per-task working arrays of a build, kept on the thread between builds (build_program reuses
// storage for the same reason).
struct BuildScratch {
  std::vector<SimTime> contended, idle;
  std::vector<std::uint32_t> open_begin, open;  // collectives opening at each task (share_with_collectives)
  // Fused programs: the parts of each chain task in order, as the separate program has them (a
  // kernel, or the wait for a tensor-parallel all-reduce with the all-reduce's cost as `comm`).
  struct Piece {
    std::uint32_t task;
    SimTime plain, contended, idle, comm;
    bool scales;
  };
  std::vector<Piece> pieces;
  // Fused programs: the first unit of each kind built in full, whose tasks later units of the
  // kind copy (StageBuilder::copy_unit).
  struct UnitTasks {
    bool valid = false;
    std::int64_t micro = 0;
    std::uint32_t begin = 0, end = 0;  // its tasks
    std::size_t pieces_begin = 0, pieces_end = 0;
    std::int64_t last_compute = -1;    // -1: it left the last compute task as it was
    bool chain_open = false;
  };
  std::vector<UnitTasks> units;
};

BuildScratch& build_scratch() {
  thread_local BuildScratch s;
  return s;
}

// One stage's program, built step by step: forward units, backward units (gradient buckets
// reduced as they fill), the reductions after the pipeline, the optimizer.
class StageBuilder {
 public:
  StageBuilder(const StepSetup& st, std::int64_t stage, Program& out, ChainTasks chains);
  void build();

 private:
  void forward(const Unit& u);
  void backward(const Unit& u);
  bool reducing(const Unit& u) const { return reduce_each_micro_ || (reduce_last_micro_ && u.micro == m_ - 1); }
  // Fused, one step: a unit that issues no collective and only depends on its own tasks is the
  // same tasks as the first unit of its kind (direction, chunk, whether chains keep their
  // parts) but for its messages' tags, so it is copied rather than built kernel by kernel:
  // building is then per stage and kind, only the copy per micro-batch. unit_slot(): the kind's entry in
  // BuildScratch::units, or -1 when the unit must be built.
  std::int64_t unit_slot(const Unit& u) const;
  void build_unit(const Unit& u);
  void copy_unit(const BuildScratch::UnitTasks& from, const Unit& u);
  void reduce_after_pipeline();
  void optimizer();

  std::int64_t compute(TaskKind k, SimTime d, SimTime contended, std::initializer_list<std::int64_t> extra,
                       bool scales = true);
  // The last compute task, as something a new task depends on or a window opens after: a
  // fused chain ends there.
  std::int64_t tail() {
    chain_open_ = false;
    return last_compute_;
  }
  void set_last(std::int64_t id) {
    last_compute_ = id;
    chain_open_ = false;
  }
  void extend_chain(const BuildScratch::Piece& piece, std::uint32_t tasks);
  // Fused: where a unit's layers only extend its chain, the layers after the second are the
  // second's again, added at once (its duration, all-reduce part and tasks times the count).
  struct ChainMark {
    std::int64_t task;
    std::size_t tasks;
    SimTime duration, comm;
    std::uint32_t count;
  };
  ChainMark mark() const;
  bool repeat_layer(const ChainMark& before, std::int64_t times);
  // Entry `id` of a per-task array, which holds 0 for the tasks not set (grown one task at a
  // time as tasks are added: push_back stays inline, a resize by one does not).
  static SimTime& per_task(std::vector<SimTime>& v, std::int64_t id) {
    while (static_cast<std::int64_t>(v.size()) <= id) v.push_back(0);
    return v[static_cast<std::size_t>(id)];
  }
  void overlaps(std::int64_t collective, std::int64_t after);
  void share_with_collectives();
  void tp_allreduce();
  void emit_reduce(double elems, std::int64_t after);
  void add_grads(double elems, bool reducing);
  std::int64_t gather(double params, int calls = 1);
  Task p2p_task(TaskKind kind, Resource resource, int direction, std::int64_t micro, std::int64_t chunk) const;
  std::int64_t receive(TaskKind kind, int direction, const Unit& u);
  void send(TaskKind kind, int direction, const Unit& u, std::int64_t to, std::int64_t chunk);
  void handshake(TaskKind kind, int direction, const Unit& u, std::int64_t to);
  void hold_send(TaskKind kind, int direction, const Unit& u, std::int64_t to, std::int64_t chunk, bool turn);
  void flush_send();

  const StepSetup& st_;
  const Strategy& s_;
  const FrameworkTime& ft_;
  const FrameworkSpec& fw_;
  const std::int64_t stage_, pp_, vp_, m_, chunks_;
  const int zero_;
  const bool tp_split_, multi_dp_, zero3_, recompute_full_, recompute_sel_;
  const bool paired_;  // DeepSpeed's blocking, paired pipeline instructions
  const double dp_;
  const bool fuse_;     // ChainTasks::fused
  SimTime tp_cost_ = 0;  // fused: a tensor-parallel all-reduce as the fast path times it for this stage
  bool chain_open_ = false;  // fused: the last compute task is a chain later kernels may join
  bool pieces_ = false;      // fused: collectives may slow the compute stream, so chains keep their parts
  // Fused: a chain built now keeps its parts. A window opens after the compute task its
  // collective was issued after, so the chains before the first gradient reduction of the step
  // never meet one; ZeRO-3's gathers open theirs after earlier tasks, so with them every chain
  // keeps its parts.
  bool record_pieces() const { return pieces_ && (zero3_ || !overlaps_.empty()); }
  Program& prog_;
  TaskAdder b_{prog_};
  // Which micro-batches reduce gradients, with which collective and bucket size.
  double grad_bytes_ = 0, bucket_elems_ = 0, prefetch_modules_ = 1;
  bool reduce_each_micro_ = false, reduce_last_micro_ = false, reduce_after_ = false;
  Collective reduce_kind_ = Collective::all_reduce;
  TaskKind reduce_task_kind_ = TaskKind::grad_allreduce;
  // Across steps.
  std::int64_t prev_step_update_ = -1;  // task the next step's first computation waits for
  std::int64_t prev_cpu_ = -1;          // previous step's CPU optimizer (delayed update)
  // Within a step.
  std::int64_t step_ = 0;
  std::uint8_t stp_ = 0;
  std::int64_t last_compute_ = -1;
  std::vector<std::int64_t> reductions_;  // reduce tasks of this step (and their host copies)
  std::vector<std::int64_t> host_copies_;
  double pending_grads_ = 0;
  std::vector<std::int64_t> gather_issue_after_;  // compute tasks the ZeRO-3 prefetch window slides on
  // Collectives that run beside the compute stream (share_with_collectives): each starts when
  // compute task `after` ends, or at the step's first compute task when it waits for none.
  struct Overlap {
    std::int64_t after, before, collective;  // after: starts at its end; before: at its start
  };
  std::vector<Overlap> overlaps_;
  // DeepSpeed's TrainSchedule issues a unit's send at the start of the next step, after that
  // step's receive from the same neighbour when the step is a forward.
  struct HeldSend {
    bool held = false;
    TaskKind kind = TaskKind::send_act;
    int direction = 0;
    Unit u{true, 0, 0};
    std::int64_t to = 0, chunk = 0;
  } held_;
  bool next_forward_ = false, next_backward_ = false;  // the kind of the unit after this one
  std::vector<std::int64_t> unplaced_;  // waiting for the step's first compute task
  BuildScratch& scratch_ = build_scratch();
  std::vector<SimTime>& contended_ = scratch_.contended;  // per task: its duration beside a collective (kernel tasks only)
  std::vector<SimTime>& idle_ = scratch_.idle;            // per task: time the compute stream waits there without kernels
  std::int64_t step_first_compute_ = -1;
};

StageBuilder::StageBuilder(const StepSetup& st, std::int64_t stage, Program& out, ChainTasks chains)
    : st_(st), s_(st.strategy), ft_(*st.framework->time), fw_(*st.framework), stage_(stage), pp_(st.pp), vp_(st.vp),
      m_(st.grad_accum), chunks_(st.pp * st.vp), zero_(st.strategy.zero_stage), tp_split_(st.tp > 1),
      multi_dp_(st.dp > 1), zero3_(st.strategy.zero_stage == 3),
      recompute_full_(st.strategy.recompute == model::Recompute::full),
      recompute_sel_(st.strategy.recompute == model::Recompute::selective),
      paired_(st.p2p_handshake > 0 && st.pp > 1), dp_(static_cast<double>(st.dp)), fuse_(chains == ChainTasks::fused),
      prog_(out) {
  prog_.clear();
  contended_.clear();
  idle_.clear();
  scratch_.pieces.clear();
  scratch_.units.clear();
  if (fuse_ && tp_split_) {
    // walk_fast's cost of this stage representative's all-reduce (its group may be placed
    // unlike the representative's).
    const GroupShape shape = st.group_shape(GroupKind::tp, st.device_of(stage, 0, 0));
    tp_cost_ = shape == st.tp_shape ? st.tp_allreduce
                                    : duration_ps(collective_time(Collective::all_reduce, st.tp_allreduce_bytes, shape, st.fabric));
  }
  const GradReduction r = grad_reduction(st);
  grad_bytes_ = r.grad_bytes;
  bucket_elems_ = r.bucket_elems;
  reduce_each_micro_ = r.each_micro;
  reduce_last_micro_ = r.last_micro;
  reduce_after_ = r.after;
  reduce_kind_ = r.kind;
  reduce_task_kind_ = r.task;
  // Only gradient reductions during the backward pass and ZeRO-3 gathers run beside the compute
  // stream (overlaps()).
  pieces_ = fuse_ && multi_dp_ && (zero3_ || r.each_micro || r.last_micro);
  // ZeRO-3 prefetches up to the window DeepSpeed allows (stage3_prefetch_bucket_size, at least
  // the next module).
  prefetch_modules_ = std::max(1.0, std::floor(fw_.prefetch_bucket_elements / std::max(1.0, st_.layer_params)));
}

void StageBuilder::build() {
  for (step_ = 0; step_ < st_.steps; ++step_) {
    stp_ = static_cast<std::uint8_t>(step_);
    set_last(-1);
    reductions_.clear();
    host_copies_.clear();
    pending_grads_ = 0;
    gather_issue_after_.clear();
    step_first_compute_ = -1;
    unplaced_.clear();
    b_.phase = 0;
    if (st_.overhead > 0) compute(TaskKind::overhead, st_.overhead, 0, {});
    const std::vector<Unit> units = schedule(stage_, pp_, vp_, m_);
    for (std::size_t k = 0; k < units.size(); ++k) {
      const Unit& u = units[k];
      next_forward_ = k + 1 < units.size() && units[k + 1].forward;
      next_backward_ = k + 1 < units.size() && !units[k + 1].forward;
      if (step_ == 0) prog_.unit_begin.push_back(static_cast<std::uint32_t>(prog_.tasks.size()));
      chain_open_ = false;  // a unit's tasks are its own (the steady state cuts blocks between units)
      build_unit(u);
    }
    flush_send();
    if (step_ == 0) prog_.unit_begin.push_back(static_cast<std::uint32_t>(prog_.tasks.size()));
    reduce_after_pipeline();
    optimizer();
  }
  if (fuse_) {
    prog_.chain_comm.resize(prog_.tasks.size(), 0);
    prog_.chain_tasks.resize(prog_.tasks.size(), 1);
  }
  share_with_collectives();
  prog_.finish();
}

std::int64_t StageBuilder::unit_slot(const Unit& u) const {
  // Units that wait for an earlier step, a held send, a ZeRO-3 gather window or the step's
  // first compute task, or that reduce gradients, depend on what came before them.
  if (!fuse_ || st_.steps != 1 || paired_ || zero3_ || step_first_compute_ < 0 || !unplaced_.empty() ||
      (!u.forward && reducing(u)))
    return -1;
  return ((u.chunk * 2 + (u.forward ? 0 : 1)) * 2) + (record_pieces() ? 1 : 0);
}

void StageBuilder::build_unit(const Unit& u) {
  const std::int64_t slot = unit_slot(u);
  auto& units = scratch_.units;
  if (slot >= 0 && static_cast<std::size_t>(slot) < units.size() && units[static_cast<std::size_t>(slot)].valid) {
    copy_unit(units[static_cast<std::size_t>(slot)], u);
    return;
  }
  const auto begin = static_cast<std::uint32_t>(prog_.tasks.size());
  const std::size_t pieces_begin = scratch_.pieces.size(), overlaps = overlaps_.size();
  std::size_t collectives = 0;
  for (const auto& list : prog_.collective_task) collectives += list.size();
  const std::int64_t last_before = last_compute_;
  if (u.forward) forward(u);
  else backward(u);
  if (slot < 0) return;
  // Kept only when nothing in it refers to a task before it or was issued as a collective.
  const auto end = static_cast<std::uint32_t>(prog_.tasks.size());
  for (const auto& list : prog_.collective_task) collectives -= list.size();
  if (collectives != 0 || overlaps_.size() != overlaps || !unplaced_.empty() || held_.held) return;
  if (last_compute_ != last_before && last_compute_ < begin) return;
  for (std::uint32_t i = begin; i < end; ++i) {
    const Task& t = prog_.tasks[i];
    for (std::uint32_t d = t.dep_begin; d < t.dep_begin + t.dep_count; ++d)
      if (prog_.deps[d] < begin) return;
  }
  for (std::size_t k = pieces_begin; k < scratch_.pieces.size(); ++k)
    if (scratch_.pieces[k].task < begin) return;
  if (units.size() <= static_cast<std::size_t>(slot)) units.resize(static_cast<std::size_t>(slot) + 1);
  units[static_cast<std::size_t>(slot)] = {true, u.micro, begin, end, pieces_begin, scratch_.pieces.size(),
                                           last_compute_ == last_before ? -1 : last_compute_, chain_open_};
}

void StageBuilder::copy_unit(const BuildScratch::UnitTasks& from, const Unit& u) {
  const auto begin = static_cast<std::uint32_t>(prog_.tasks.size());
  const std::uint32_t shift = begin - from.begin;
  // message_tag() is linear in the micro-batch, and a unit's messages are all of its micro-batch.
  const std::int64_t tag_shift = (u.micro - from.micro) * vp_;
  b_.phase = u.forward ? 0 : 1;
  // The chain arrays are grown as compute tasks are added: the tasks after the last are plain.
  prog_.chain_comm.resize(begin, 0);
  prog_.chain_tasks.resize(begin, 1);
  for (std::uint32_t i = from.begin; i < from.end; ++i) {
    Task t = prog_.tasks[i];
    const std::uint32_t dep_begin = t.dep_begin;
    t.dep_begin = static_cast<std::uint32_t>(prog_.deps.size());
    for (std::uint32_t d = dep_begin; d < dep_begin + t.dep_count; ++d) prog_.deps.push_back(prog_.deps[d] + shift);
    if (t.resource == Resource::send || t.resource == Resource::recv) t.tag += tag_shift;
    prog_.tasks.push_back(t);
    const SimTime comm = prog_.chain_comm[i];
    const std::uint32_t tasks = prog_.chain_tasks[i];
    prog_.chain_comm.push_back(comm);
    prog_.chain_tasks.push_back(tasks);
    const SimTime contended = i < contended_.size() ? contended_[i] : 0;
    const SimTime idle = i < idle_.size() ? idle_[i] : 0;
    if (contended != 0) per_task(contended_, i + shift) = contended;
    if (idle != 0) per_task(idle_, i + shift) = idle;
  }
  for (std::size_t k = from.pieces_begin; k < from.pieces_end; ++k) {
    BuildScratch::Piece piece = scratch_.pieces[k];
    piece.task += shift;
    scratch_.pieces.push_back(piece);
  }
  if (from.last_compute >= 0) last_compute_ = from.last_compute + shift;
  chain_open_ = from.chain_open;
}

std::int64_t StageBuilder::compute(TaskKind k, SimTime d, SimTime contended, std::initializer_list<std::int64_t> extra,
                                   bool scales) {
  // A handful of dependencies: kept on the stack (a strategy search builds millions of tasks).
  std::array<std::int64_t, 8> deps{};
  std::size_t n = 0;
  for (std::int64_t e : extra)
    if (e >= 0) deps.at(n++) = e;
  if (last_compute_ < 0 && step_ > 0) deps.at(n++) = prev_step_update_;
  // Fused: a kernel that waits only for the previous one on the stream, in the same phase,
  // starts when it ends: it joins its chain.
  if (chain_open_ && n == 0 && prog_.tasks[static_cast<std::size_t>(last_compute_)].phase == b_.phase) {
    extend_chain({static_cast<std::uint32_t>(last_compute_), d, std::max(d, contended), 0, 0, scales}, 1);
    return last_compute_;
  }
  struct Range {
    const std::int64_t *b, *e;
    const std::int64_t* begin() const { return b; }
    const std::int64_t* end() const { return e; }
  };
  Task task = compute_task(k, d, stp_);
  task.scales = scales;
  const std::int64_t id = b_.add_range(task, Range{deps.data(), deps.data() + n});
  per_task(contended_, id) = std::max(d, contended);
  if (fuse_) {
    while (static_cast<std::int64_t>(prog_.chain_tasks.size()) <= id) {  // inline, as per_task()
      prog_.chain_comm.push_back(0);
      prog_.chain_tasks.push_back(1);
    }
    if (record_pieces()) scratch_.pieces.push_back({static_cast<std::uint32_t>(id), d, std::max(d, contended), 0, 0, scales});
  }
  if (step_first_compute_ < 0) {
    step_first_compute_ = id;
    for (std::int64_t c : unplaced_) overlaps_.push_back({-1, id, c});
    unplaced_.clear();
  }
  last_compute_ = id;
  chain_open_ = fuse_;
  return id;
}

void StageBuilder::extend_chain(const BuildScratch::Piece& piece, std::uint32_t tasks) {
  const auto id = static_cast<std::size_t>(last_compute_);
  prog_.tasks[id].duration += piece.plain + piece.comm;
  prog_.chain_comm[id] += piece.comm;
  prog_.chain_tasks[id] += tasks;
  if (!scratch_.pieces.empty() && scratch_.pieces.back().task == id) scratch_.pieces.push_back(piece);
}

StageBuilder::ChainMark StageBuilder::mark() const {
  if (!chain_open_) return {-1, 0, 0, 0, 0};
  const auto id = static_cast<std::size_t>(last_compute_);
  return {last_compute_, prog_.tasks.size(), prog_.tasks[id].duration, prog_.chain_comm[id], prog_.chain_tasks[id]};
}

bool StageBuilder::repeat_layer(const ChainMark& before, std::int64_t times) {
  // The layer since `before` added no task and only extended the open chain (no receive,
  // gather or gradient bucket in it), and no part needs its own contention.
  if (before.task < 0 || record_pieces() || !chain_open_ || last_compute_ != before.task || prog_.tasks.size() != before.tasks)
    return false;
  const ChainMark after = mark();
  const auto id = static_cast<std::size_t>(last_compute_);
  prog_.tasks[id].duration += times * (after.duration - before.duration);
  prog_.chain_comm[id] += times * (after.comm - before.comm);
  prog_.chain_tasks[id] += static_cast<std::uint32_t>(times) * (after.count - before.count);
  return true;
}

void StageBuilder::overlaps(std::int64_t collective, std::int64_t after) {
  if (after >= 0) overlaps_.push_back({after, -1, collective});
  else if (step_first_compute_ >= 0) overlaps_.push_back({-1, step_first_compute_, collective});
  else unplaced_.push_back(collective);
}

// A collective beside the compute stream slows it (GpuPerf::collective_sms): while it runs, a
// kernel task progresses at the rate of its contended duration. Windows of collectives in flight
// (their alpha-beta cost, in issue order: concurrent ones hold SMs side by side, which in SM-time
// is the same as one after the other) are laid over the compute tasks that follow their issue;
// a task that waits for a collective ends its window (the stream idled until it finished), and
// host-side tasks and tensor-parallel waits let windows run out without slowing anything. With a
// window of O left and a task of plain duration W and contended Wc: O >= Wc gives Wc (the window
// continues into the next task), otherwise W + O (1 - W/Wc). Durations only, so the PDES and
// the fast path see the same program.
void StageBuilder::share_with_collectives() {
  if (overlaps_.empty()) return;
  const std::size_t n = prog_.tasks.size();
  contended_.resize(n, 0);
  idle_.resize(n, 0);
  // The collectives opening before (slot 2i) and after (slot 2i + 1) each task i, in issue
  // order: a stable counting sort of overlaps_.
  auto slot = [](const Overlap& o) {
    return o.after >= 0 ? 2 * static_cast<std::size_t>(o.after) + 1 : 2 * static_cast<std::size_t>(o.before);
  };
  std::vector<std::uint32_t>& begin = scratch_.open_begin;
  std::vector<std::uint32_t>& opening = scratch_.open;
  begin.assign(2 * n + 1, 0);
  for (const Overlap& o : overlaps_) ++begin[slot(o) + 1];
  for (std::size_t k = 0; k < 2 * n; ++k) begin[k + 1] += begin[k];
  opening.resize(overlaps_.size());
  for (const Overlap& o : overlaps_) opening[begin[slot(o)]++] = static_cast<std::uint32_t>(o.collective);
  for (std::size_t k = 2 * n; k > 0; --k) begin[k] = begin[k - 1];
  begin[0] = 0;
  struct Window {
    std::int64_t collective;
    SimTime left;
  };
  std::vector<Window> active;
  auto open = [&](std::size_t k) {
    for (std::uint32_t j = begin[k]; j < begin[k + 1]; ++j) {
      const std::int64_t c = opening[j];
      active.push_back({c, prog_.tasks[static_cast<std::size_t>(c)].duration});
    }
  };
  auto consume = [&](SimTime t) {
    for (Window& w : active) {
      const SimTime used = std::min(t, w.left);
      w.left -= used;
      t -= used;
    }
    active.erase(std::remove_if(active.begin(), active.end(), [](const Window& w) { return w.left <= 0; }), active.end());
  };
  // A task's duration with the windows left over it.
  auto contend = [&](SimTime plain, SimTime slow, bool scales, SimTime idle) {
    SimTime left = 0;
    for (const Window& w : active) left += w.left;
    if (left <= 0) return plain;
    if (!scales || slow <= plain) {
      consume(scales ? plain : std::max(plain, idle));
      return plain;
    }
    if (left >= slow) {
      consume(slow);
      return slow;
    }
    const double rate = static_cast<double>(plain) / static_cast<double>(slow);
    active.clear();
    return plain + static_cast<SimTime>(std::llround(static_cast<double>(left) * (1.0 - rate)));
  };
  // A fused chain's parts meet the windows one after another, as its separate tasks do.
  const std::vector<BuildScratch::Piece>& pieces = scratch_.pieces;
  std::size_t piece = 0;
  for (std::size_t i = 0; i < n; ++i) {
    Task& t = prog_.tasks[i];
    if (t.stream != Stream::compute) continue;
    open(2 * i);
    for (std::uint32_t d = t.dep_begin; d < t.dep_begin + t.dep_count; ++d) {
      const auto dep = static_cast<std::int64_t>(prog_.deps[d]);
      active.erase(std::remove_if(active.begin(), active.end(), [dep](const Window& w) { return w.collective == dep; }),
                   active.end());
    }
    if (piece < pieces.size() && pieces[piece].task == i) {
      SimTime total = 0;
      for (; piece < pieces.size() && pieces[piece].task == i; ++piece) {
        const BuildScratch::Piece& p = pieces[piece];
        total += contend(p.plain, p.contended, p.scales, p.idle) + p.comm;
      }
      t.duration = total;
    } else {
      if (fuse_ && prog_.chain_tasks[i] > 1 && std::any_of(active.begin(), active.end(), [](const Window& w) { return w.left > 0; }))
        throw std::logic_error("program builder: a fused chain without its parts meets a collective");
      t.duration = contend(t.duration, contended_[i], t.scales, idle_[i]);
    }
    open(2 * i + 1);
  }
}

void StageBuilder::tp_allreduce() {
  if (!tp_split_) return;
  if (chain_open_) {
    // Fused: the all-reduce starts when the kernel before it ends (the previous one on its
    // stream ended before that kernel started) and the wait for it ends with it.
    extend_chain({static_cast<std::uint32_t>(last_compute_), 0, 0, st_.tp_allreduce, tp_cost_, false}, 2);
    return;
  }
  Task t;
  t.kind = TaskKind::tp_allreduce;
  t.duration = st_.tp_allreduce;
  t.coll = Collective::all_reduce;
  t.work = st_.tp_allreduce_bytes;
  t.stream = Stream::tp;
  t.step = stp_;
  const std::int64_t id = b_.collective(t, GroupKind::tp, {tail()});
  // The next kernels consume the all-reduced activations.
  Task wait = compute_task(TaskKind::tp_allreduce, 0, stp_);
  wait.scales = false;
  set_last(b_.add(wait, {id}));
  per_task(idle_, last_compute_) = st_.tp_allreduce;
}

// Gradient buckets: a reduction (and, with offload, the copy of this rank's partition to the
// host) each time a bucket fills during a reducing backward pass.
void StageBuilder::emit_reduce(double elems, std::int64_t after) {
  if (elems <= 0) return;
  std::int64_t red = after;
  if (multi_dp_) {
    Task t;
    t.kind = reduce_task_kind_;
    t.stream = Stream::comm;
    t.step = stp_;
    t.duration = duration_ps(collective_time(reduce_kind_, elems * grad_bytes_, st_.dp_shape, st_.fabric));
    t.coll = reduce_kind_;
    t.work = elems * grad_bytes_;
    red = b_.collective(t, GroupKind::dp, {after});
    overlaps(red, after);
    reductions_.push_back(red);
  }
  if (s_.offload_optimizer) {
    Task c;
    c.kind = TaskKind::d2h_grads;
    c.stream = Stream::pcie;
    c.resource = Resource::pcie;
    c.to_host = true;
    c.step = stp_;
    c.work = elems / dp_ * ft_.offload_grad_bytes_per_param;
    // With the delayed update the host gradient buffer is free only once the previous step's
    // CPU-Adam has read it.
    host_copies_.push_back(b_.add(c, {red, prev_cpu_}));
  }
}

void StageBuilder::add_grads(double elems, bool reducing) {
  if (!reducing) return;
  pending_grads_ += elems;
  while (pending_grads_ >= bucket_elems_) {
    emit_reduce(bucket_elems_, tail());
    pending_grads_ -= bucket_elems_;
  }
}

// ZeRO-3: all-gather a module's parameters before it runs, within the prefetch window, in
// `calls` collectives (a layer per submodule under DeepSpeed; the embedding and the head are one
// module each).
std::int64_t StageBuilder::gather(double params, int calls) {
  if (!zero3_) return -1;
  // The fetch is issued once the module `prefetch_modules_` ahead of it has run (DeepSpeed's
  // PartitionedParameterCoordinator prefetches within stage3_prefetch_bucket_size), with or
  // without other ranks: issued all at once, the host copies would share PCIe and all finish late.
  // An offloaded partition's host->device copy runs on the coordinator's all-gather stream, not
  // behind the gradient copies of the reduce stream (PCIe carries both directions at once).
  std::int64_t window = -1;
  const auto k = static_cast<std::int64_t>(gather_issue_after_.size());
  const auto ahead = static_cast<std::int64_t>(prefetch_modules_);
  if (k >= ahead + 1) window = gather_issue_after_[static_cast<std::size_t>(k - ahead - 1)];
  // This rank's fp16 partition (all of it on one rank) first comes over from the host.
  std::int64_t src = -1;
  if (s_.offload_params) src = b_.add(h2d_params_task(Stream::gather, 2.0 * params / dp_, stp_), {window});
  if (!multi_dp_) return src;
  Task t;
  t.kind = TaskKind::param_allgather;
  t.stream = Stream::gather;
  t.step = stp_;
  t.coll = Collective::all_gather;
  t.work = 2.0 * params;
  t.calls = static_cast<std::uint8_t>(calls);
  t.duration = duration_ps(collective_time(Collective::all_gather, t.work, st_.dp_shape, st_.fabric, calls));
  const std::int64_t id = b_.collective(t, GroupKind::dp, {window, src});
  overlaps(id, window);
  return id;
}

Task StageBuilder::p2p_task(TaskKind kind, Resource resource, int direction, std::int64_t micro, std::int64_t chunk) const {
  Task t;
  t.kind = kind;
  t.stream = Stream::p2p;
  t.resource = resource;
  t.step = stp_;
  t.tag = message_tag(step_, direction, micro, chunk, m_, vp_);
  return t;
}

std::int64_t StageBuilder::receive(TaskKind kind, int direction, const Unit& u) {
  return b_.add(p2p_task(kind, Resource::recv, direction, u.micro, u.chunk), {});
}

void StageBuilder::send(TaskKind kind, int direction, const Unit& u, std::int64_t to, std::int64_t chunk) {
  const bool same = st_.node_of(st_.device_of(stage_, 0, 0)) == st_.node_of(st_.device_of(to, 0, 0));
  Task snd = p2p_task(kind, Resource::send, direction, u.micro, chunk);
  snd.peer_stage = static_cast<std::int32_t>(to);
  snd.duration = same ? st_.p2p_same_node : st_.p2p_cross_node;
  // The blocking send waits for the receiver's handshake (its receive instruction reached),
  // from the send instruction on.
  std::int64_t ready = -1;
  if (paired_) ready = b_.add(p2p_task(kind, Resource::recv, direction + 2, u.micro, chunk), {tail()});
  const std::int64_t id = b_.add(snd, {tail(), ready});
  if (ft_.pipeline_p2p == PipelineP2p::deepspeed) {
    // The engine's next instruction starts when the send has completed.
    Task wait = compute_task(kind, 0, stp_);
    wait.scales = false;
    set_last(b_.add(wait, {id}));
    per_task(idle_, last_compute_) = snd.duration;
  }
}

// The receiver of a paired send tells the sender it has reached its receive instruction.
void StageBuilder::handshake(TaskKind kind, int direction, const Unit& u, std::int64_t to) {
  Task h = p2p_task(kind, Resource::send, direction + 2, u.micro, u.chunk);
  h.peer_stage = static_cast<std::int32_t>(to);
  h.duration = st_.p2p_handshake;
  b_.add(h, {tail()});
}

// DeepSpeed's TrainSchedule (runtime/pipe/schedule.py) alternates forward and backward steps;
// a forward's activations go out at the start of the next (backward) step, before its
// RecvGrad, and a backward's gradients at the start of the next (forward) step, after its
// RecvActivation. `turn`: the next unit is of the other kind, so the send waits for it.
void StageBuilder::hold_send(TaskKind kind, int direction, const Unit& u, std::int64_t to, std::int64_t chunk, bool turn) {
  if (!paired_) {
    send(kind, direction, u, to, chunk);
    return;
  }
  held_ = {true, kind, direction, u, to, chunk};
  if (!turn) flush_send();
}

void StageBuilder::flush_send() {
  if (!held_.held) return;
  held_.held = false;
  send(held_.kind, held_.direction, held_.u, held_.to, held_.chunk);
}

void StageBuilder::forward(const Unit& u) {
  const std::int64_t j = u.chunk * pp_ + stage_;  // virtual stage
  const std::int64_t layers = st_.stage_layers[static_cast<std::size_t>(j)];
  const bool first = j == 0, last = j == chunks_ - 1;
  b_.phase = 0;
  if (st_.micro_overhead > 0) {
    compute(TaskKind::overhead, st_.micro_overhead, 0, {}, false);  // host time, not slowed by a straggler
  }
  std::int64_t recv = -1;
  if (!first) {
    if (paired_) handshake(TaskKind::recv_act, 0, u, (j - 1 + pp_) % pp_);
    recv = receive(TaskKind::recv_act, 0, u);
    if (paired_) {
      // The receive blocks the engine before it sends the previous backward's gradients.
      Task wait = compute_task(TaskKind::recv_act, 0, stp_);
      wait.scales = false;
      set_last(b_.add(wait, {recv}));
    }
  }
  flush_send();
  if (first) {
    const std::int64_t g = gather(st_.embedding_params);
    compute(TaskKind::embed_fwd, st_.embed_fwd, st_.contended.embed_fwd, {recv, g});
    if (zero3_) gather_issue_after_.push_back(tail());
  }
  ChainMark second{-1, 0, 0, 0, 0};
  for (std::int64_t l = 0; l < layers; ++l) {
    if (l == 1) second = mark();
    if (l == 2 && repeat_layer(second, layers - 2)) break;
    const std::int64_t g = gather(st_.layer_params, st_.layer_gather_calls);
    if (tp_split_) {
      compute(TaskKind::attn_fwd, st_.attn_fwd, st_.contended.attn_fwd, {recv, g});
      tp_allreduce();
      compute(TaskKind::mlp_fwd, st_.mlp_fwd, st_.contended.mlp_fwd, {});
      tp_allreduce();
    } else {
      compute(TaskKind::fwd, st_.attn_fwd + st_.mlp_fwd, st_.contended.attn_fwd + st_.contended.mlp_fwd, {recv, g});
    }
    if (zero3_) gather_issue_after_.push_back(tail());
    recv = -1;
  }
  if (last) {
    compute(TaskKind::head_fwd, st_.head_fwd, st_.contended.head_fwd, {recv});
  } else {
    hold_send(TaskKind::send_act, 0, u, (j + 1) % pp_, (j + 1) / pp_, next_backward_);
  }
}

void StageBuilder::backward(const Unit& u) {
  const std::int64_t j = u.chunk * pp_ + stage_;
  const std::int64_t layers = st_.stage_layers[static_cast<std::size_t>(j)];
  const bool first = j == 0, last = j == chunks_ - 1;
  const bool reducing = this->reducing(u);
  b_.phase = 1;
  flush_send();
  std::int64_t recv = -1;
  if (!last) {
    if (paired_) handshake(TaskKind::recv_grad, 1, u, (j + 1) % pp_);
    recv = receive(TaskKind::recv_grad, 1, u);
  } else {
    const std::int64_t g = zero3_ && !st_.model->tied_embeddings ? gather(st_.head_params) : -1;
    compute(TaskKind::head_bwd, st_.head_bwd, st_.contended.head_bwd, {g});
    if (!st_.model->tied_embeddings || pp_ > 1) add_grads(st_.head_params, reducing);
  }
  ChainMark second{-1, 0, 0, 0, 0};
  for (std::int64_t l = 0; l < layers; ++l) {
    if (l == 1) second = mark();
    if (l == 2 && !reducing && repeat_layer(second, layers - 2)) break;
    const std::int64_t g = gather(st_.layer_params, st_.layer_gather_calls);
    if (tp_split_) {
      if (recompute_full_) {
        compute(TaskKind::recompute, st_.attn_fwd, st_.contended.attn_fwd, {recv, g});
        tp_allreduce();
        compute(TaskKind::recompute, st_.mlp_fwd, st_.contended.mlp_fwd, {});
        tp_allreduce();
        recv = -1;
      }
      compute(TaskKind::mlp_bwd, st_.mlp_bwd, st_.contended.mlp_bwd, {recv, recompute_full_ ? -1 : g});
      tp_allreduce();
      compute(TaskKind::attn_bwd, st_.attn_bwd + (recompute_sel_ ? st_.core_fwd : 0),
              st_.contended.attn_bwd + (recompute_sel_ ? st_.contended.core_fwd : 0), {});
      tp_allreduce();
    } else {
      SimTime d = st_.attn_bwd + st_.mlp_bwd, dc = st_.contended.attn_bwd + st_.contended.mlp_bwd;
      if (recompute_full_) d += st_.attn_fwd + st_.mlp_fwd, dc += st_.contended.attn_fwd + st_.contended.mlp_fwd;
      if (recompute_sel_) d += st_.core_fwd, dc += st_.contended.core_fwd;
      compute(TaskKind::bwd, d, dc, {recv, g});
    }
    if (zero3_) gather_issue_after_.push_back(tail());
    recv = -1;
    add_grads(st_.layer_params, reducing);
  }
  if (first) {
    compute(TaskKind::embed_bwd, st_.embed_bwd, st_.contended.embed_bwd, {recv});
    add_grads(st_.embedding_params, reducing);
  } else {
    hold_send(TaskKind::send_grad, 1, u, (j - 1 + pp_) % pp_, (j - 1) / pp_, next_forward_);
  }
  // The last backward unit of a reducing micro-batch flushes the partial bucket.
  const bool last_reducing_unit = reducing && (u.chunk == 0 || vp_ == 1) && (reduce_each_micro_ || u.micro == m_ - 1);
  if (last_reducing_unit && pending_grads_ > 0) {
    emit_reduce(pending_grads_, tail());
    pending_grads_ = 0;
  }
}

void StageBuilder::reduce_after_pipeline() {
  if (pending_grads_ > 0) {
    emit_reduce(pending_grads_, tail());
    pending_grads_ = 0;
  }
  // Megatron's local DDP: one all-reduce of the stage's gradient buffer after the pipeline.
  const double stage_params = st_.stage_params(stage_);
  if (reduce_after_) {
    Task t;
    t.kind = TaskKind::grad_allreduce;
    t.stream = Stream::comm;
    t.step = stp_;
    t.duration = duration_ps(collective_time(Collective::all_reduce, stage_params * grad_bytes_, st_.dp_shape, st_.fabric));
    t.coll = Collective::all_reduce;
    t.work = stage_params * grad_bytes_;
    reductions_.push_back(b_.collective(t, GroupKind::dp, {tail()}));
  }
  // Tied embeddings across the pipeline: first and last stage all-reduce the word embedding
  // gradient (Megatron-LM, SC'21 Sec. 2).
  if (pp_ > 1 && st_.model->tied_embeddings && (stage_ == 0 || stage_ == pp_ - 1)) {
    Task t;
    t.kind = TaskKind::embed_allreduce;
    t.stream = Stream::comm;
    t.step = stp_;
    const double emb = static_cast<double>(st_.model->vocab * st_.model->d_model) / static_cast<double>(st_.tp);
    t.duration = duration_ps(collective_time(Collective::all_reduce, emb * grad_bytes_, st_.embed_shape, st_.fabric));
    t.coll = Collective::all_reduce;
    t.work = emb * grad_bytes_;
    reductions_.push_back(b_.collective(t, GroupKind::embed, {tail()}));
  }
}

void StageBuilder::optimizer() {
  b_.phase = 2;
  const double stage_params = st_.stage_params(stage_);
  const double local_params = zero_ >= 1 ? stage_params / dp_ : stage_params;
  std::vector<std::int64_t> ready = reductions_;
  ready.insert(ready.end(), host_copies_.begin(), host_copies_.end());
  ready.push_back(tail());
  std::int64_t update = -1;
  if (s_.offload_optimizer) {
    Task c;
    c.kind = TaskKind::cpu_adam;
    c.stream = Stream::cpu;
    c.resource = Resource::cpu;
    c.step = stp_;
    c.work = local_params;
    update = b_.add(c, ready);
    if (!s_.offload_params) {
      // DeepSpeed's CPU-Adam copies each updated tile to the GPU while it updates the next.
      // (With parameter offload the fp16 partition lives on the host: CPU-Adam writes it there
      // and the next step's fetches bring it over, so there is no copy here.)
      const std::int64_t h2d = b_.add(h2d_params_task(Stream::pcie, 2.0 * local_params, stp_), ready);
      // The update ends at the later of the two: the join follows CPU-Adam on the cpu stream.
      Task join = compute_task(TaskKind::cpu_adam, 0, stp_);
      join.stream = Stream::cpu;
      join.scales = false;
      update = b_.add(join, {h2d});
    }
    prev_cpu_ = update;
  } else {
    Task a = compute_task(TaskKind::gpu_adam, 0, stp_);
    const OpCost cost(st_.cluster.gpu, *st_.cluster.gpu.perf, ft_);
    a.duration = duration_ps(cost.wall(gpu_adam(cost, local_params)));
    update = b_.add(a, ready);
    set_last(update);
  }
  // ZeRO-1/2: every rank all-gathers the updated fp16 partitions, DeepSpeed in chunks of
  // allgather_bucket_size, PyTorch FSDP (SHARD_GRAD_OP) one unit's flat parameter at a time
  // (Zhao et al. VLDB 2023, Sec. 3.3).
  if (zero_ >= 1 && zero_ <= 2 && multi_dp_) {
    const double bucket = ft_.grad_reduce == GradReduce::per_module ? st_.layer_params : fw_.allgather_bucket_elements;
    double left = stage_params;
    std::int64_t prev = update;
    while (left > 0) {
      const double chunk = std::min(left, bucket > 0 ? bucket : left);
      Task t;
      t.kind = TaskKind::param_allgather;
      t.stream = Stream::gather;
      t.step = stp_;
      t.duration = duration_ps(collective_time(Collective::all_gather, 2.0 * chunk, st_.dp_shape, st_.fabric));
      t.coll = Collective::all_gather;
      t.work = 2.0 * chunk;
      prev = b_.collective(t, GroupKind::dp, {update});
      left -= chunk;
    }
    update = prev;
  }
  // With the delayed update the next step runs on the previous parameters; otherwise it waits.
  prev_step_update_ = s_.delayed_update ? tail() : update;
}

}  // namespace

Program build_program(const StepSetup& st, std::int64_t stage) {
  Program p;
  build_program(st, stage, p);
  return p;
}

void build_program(const StepSetup& st, std::int64_t stage, Program& out, ChainTasks chains) {
  StageBuilder(st, stage, out, chains).build();
}

}  // namespace wb::gpu
