#include "gpu/cluster_sim.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include "sim/pdes.hpp"
#include "sim/random.hpp"
#include "sim/shared_server.hpp"

namespace wb::gpu {

using sim::Context;
using sim::Event;
using sim::LpId;

namespace {

// Event types.
enum : std::int32_t {
  kStart = 1,      // kick a GPU at time 0
  kTaskDone,       // a GPU's own task finished (key = task)
  kCollArrive,     // GPU -> coordinator (key = collective, count = members, value = cost, amount = up latency)
  kCollDone,       // coordinator -> GPU (count = group kind, key = sequence)
  kMessage,        // GPU -> GPU pipeline message (key = tag)
  kResourceReq,    // GPU -> host LP (key = task, amount = work, value = weight, count = server)
  kResourceDone,   // host LP -> GPU (key = task)
  kWake,           // host LP self event (key = server, value = version)
  kNodeArrive,     // NIC -> coordinating NIC: all members of this node issued (key, count = nodes, value = cost)
  kNodeDone,       // coordinating NIC -> NIC: the collective is done (key)
};

constexpr std::uint64_t kStragglerStream = 0x53545241474cULL;  // "STRAGL"
constexpr SimTime kResponse = 1;  // host LP -> GPU completion notice (1 ps)

// Which LPs exist and how devices and nodes map to them.
struct View {
  SimMode mode = SimMode::full;
  const StepSetup* st = nullptr;
  // Group shapes by group index, computed once (a 4,096-member group is walked once, not by
  // each of its members).
  mutable std::vector<GroupShape> shapes[kGroupKinds];
  mutable std::vector<char> known[kGroupKinds];
  GroupShape shape(GroupKind g, std::int64_t index, std::int64_t device) const {
    auto& v = shapes[static_cast<int>(g)];
    auto& k = known[static_cast<int>(g)];
    if (static_cast<std::size_t>(index) >= v.size()) {
      v.resize(static_cast<std::size_t>(index) + 1);
      k.resize(static_cast<std::size_t>(index) + 1, 0);
    }
    if (!k[static_cast<std::size_t>(index)]) {
      v[static_cast<std::size_t>(index)] = st->group_shape(g, device);
      k[static_cast<std::size_t>(index)] = 1;
    }
    return v[static_cast<std::size_t>(index)];
  }
  std::vector<std::int64_t> devices;  // LP id i <-> devices[i]
  std::vector<std::int64_t> nodes;    // node block j <-> nodes[j]
  std::unordered_map<std::int64_t, LpId> device_lp, node_block;

  LpId lp_of_device(std::int64_t d) const {
    if (mode == SimMode::full) return static_cast<LpId>(d);
    auto it = device_lp.find(d);
    return it == device_lp.end() ? -1 : it->second;
  }
  LpId node_lp(std::int64_t node, int which) const {  // 0 cpu, 1 pcie, 2 nvswitch, 3 nic
    const LpId base = static_cast<LpId>(devices.size());
    const LpId block = mode == SimMode::full ? static_cast<LpId>(node) : node_block.at(node);
    return base + 4 * block + which;
  }
  std::int64_t lp_count() const { return static_cast<std::int64_t>(devices.size() + 4 * nodes.size()); }
  // Members of a group that exist in this view.
  std::int64_t members(GroupKind g) const {
    switch (g) {
      case GroupKind::tp: return mode == SimMode::full ? st->tp : 1;
      case GroupKind::dp: return mode == SimMode::full ? st->dp : 1;
      case GroupKind::embed: return st->pp > 1 ? 2 : 1;
      case GroupKind::none: break;
    }
    return 1;
  }
  // Host jobs of a representative stand for the GPUs that share the resource with it.
  std::int64_t gpus_in_node(std::int64_t node) const {
    return std::min(st->gpus_per_node, st->devices - node * st->gpus_per_node);
  }
  double pcie_weight(std::int64_t device) const {
    if (mode == SimMode::full) return 1.0;
    const std::int64_t node = st->node_of(device);
    const std::int64_t local = device - node * st->gpus_per_node;
    const std::int64_t sw = local / st->gpus_per_switch;
    return static_cast<double>(std::min(st->gpus_per_switch, gpus_in_node(node) - sw * st->gpus_per_switch));
  }
  double cpu_weight(std::int64_t device) const {
    return mode == SimMode::full ? 1.0 : static_cast<double>(gpus_in_node(st->node_of(device)));
  }
};

View make_view(const StepSetup& st, SimMode mode) {
  View v;
  v.mode = mode;
  v.st = &st;
  if (mode == SimMode::full) {
    for (std::int64_t d = 0; d < st.devices; ++d) v.devices.push_back(d);
    for (std::int64_t n = 0; n < st.nodes; ++n) v.nodes.push_back(n);
    return v;
  }
  for (std::int64_t s = 0; s < st.pp; ++s) {
    const std::int64_t d = st.device_of(s, 0, 0);
    v.device_lp[d] = static_cast<LpId>(v.devices.size());
    v.devices.push_back(d);
    const std::int64_t n = st.node_of(d);
    if (!v.node_block.count(n)) {
      v.node_block[n] = static_cast<LpId>(v.nodes.size());
      v.nodes.push_back(n);
    }
  }
  return v;
}

SimTime scaled(SimTime d, double f) {
  if (f == 1.0 || d == 0) return d;
  const SimTime x = static_cast<SimTime>(std::llround(static_cast<double>(d) * f));
  return x < 1 ? 1 : x;
}

class GpuLp final : public sim::LogicalProcess {
 public:
  GpuLp(const StepSetup& st, const Program& prog, const View& view, std::int64_t device, double factor, bool keep_timeline,
        std::int64_t label)
      : st_(st), prog_(prog), view_(view), device_(device), label_(label), factor_(factor), keep_timeline_(keep_timeline) {
    stage_ = st.stage_of(device);
    dp_rank_ = st.dp_rank_of(device);
    tp_rank_ = st.tp_rank_of(device);
    pending_ = prog.pending;
    for (GroupKind g : {GroupKind::tp, GroupKind::dp, GroupKind::embed}) {
      shape_[static_cast<int>(g)] = view.shape(g, group_index(g), device);
      own_cost_[static_cast<int>(g)] = !(shape_[static_cast<int>(g)] == st.representative_shape(g));
    }
    start_.assign(prog.tasks.size(), -1);
    end_.assign(prog.tasks.size(), -1);
  }

  void handle(const Event& e, Context& ctx) override {
    switch (e.type) {
      case kStart:
        // Tasks without predecessors (decided from the program, not from pending_, which
        // begin() may already be lowering).
        for (std::size_t i = 0; i < prog_.tasks.size(); ++i)
          if (prog_.pending[i] == 0) ready_.push_back(static_cast<std::uint32_t>(i));
        std::reverse(ready_.begin(), ready_.end());
        break;
      case kTaskDone:
      case kResourceDone: finish(static_cast<std::uint32_t>(e.key), ctx); break;
      case kCollDone: finish(prog_.collective_task[e.count][static_cast<std::size_t>(e.key)], ctx); break;
      case kMessage: {
        auto it = waiting_.find(e.key);
        if (it != waiting_.end()) {
          const std::uint32_t t = it->second;
          waiting_.erase(it);
          finish(t, ctx);
        } else {
          arrived_.emplace(e.key, ctx.now());
        }
        break;
      }
      default: throw std::logic_error("GpuLp: unexpected event type " + std::to_string(e.type));
    }
    drain(ctx);
  }

  std::int64_t device() const { return device_; }
  // The device this LP reports as: a fast-path representative stands for the slowest GPU.
  std::int64_t label() const { return label_; }
  double factor() const { return factor_; }
  const std::vector<SimTime>& starts() const { return start_; }
  const std::vector<SimTime>& ends() const { return end_; }
  bool keeps_timeline() const { return keep_timeline_; }
  SimTime step_end(std::uint8_t step) const {
    SimTime t = 0;
    for (std::size_t i = 0; i < prog_.tasks.size(); ++i)
      if (prog_.tasks[i].step == step) t = std::max(t, end_[i]);
    return t;
  }
  bool complete() const {
    for (SimTime t : end_)
      if (t < 0) return false;
    return true;
  }

 private:
  // Zero-duration tasks finish inline; a worklist avoids deep recursion.
  void finish(std::uint32_t task, Context& ctx) {
    end_[task] = ctx.now();
    for (std::uint32_t k = prog_.succ_begin[task]; k < prog_.succ_begin[task + 1]; ++k) {
      const std::uint32_t s = prog_.succ[k];
      if (--pending_[s] == 0) ready_.push_back(s);
    }
  }
  void drain(Context& ctx) {
    while (!ready_.empty()) {
      const std::uint32_t t = ready_.back();
      ready_.pop_back();
      begin(t, ctx);
    }
  }

  std::int64_t member(GroupKind g, std::int64_t k) const {
    switch (g) {
      case GroupKind::tp: return st_.device_of(stage_, dp_rank_, k);
      case GroupKind::dp: return st_.device_of(stage_, k, tp_rank_);
      case GroupKind::embed: return st_.device_of(k == 0 ? 0 : st_.pp - 1, dp_rank_, tp_rank_);
      case GroupKind::none: break;
    }
    return device_;
  }
  std::int64_t group_index(GroupKind g) const {
    switch (g) {
      case GroupKind::tp: return stage_ * st_.dp + dp_rank_;
      case GroupKind::dp: return stage_ * st_.tp + tp_rank_;
      case GroupKind::embed: return dp_rank_ * st_.tp + tp_rank_;
      case GroupKind::none: break;
    }
    return 0;
  }
  const GroupShape& shape(GroupKind g) const { return shape_[static_cast<int>(g)]; }
  // Members of this GPU's group of kind g on this GPU's node (those present in the view).
  std::int64_t local_members(GroupKind g) const {
    if (view_.mode != SimMode::full) {
      // Reduced: only the embedding group has two representatives, on one node or two.
      if (g != GroupKind::embed) return 1;
      return st_.node_of(member(g, 0)) == st_.node_of(member(g, 1)) ? 2 : 1;
    }
    std::int64_t first = 0, stride = 1, n = 1;
    switch (g) {
      case GroupKind::tp: first = member(g, 0), stride = 1, n = st_.tp; break;
      case GroupKind::dp: first = member(g, 0), stride = st_.tp, n = st_.dp; break;
      case GroupKind::embed: first = member(g, 0), stride = member(g, 1) - first, n = 2; break;
      case GroupKind::none: return 1;
    }
    const std::int64_t node = st_.node_of(device_), lo = node * st_.gpus_per_node, hi = lo + st_.gpus_per_node - 1;
    const std::int64_t k_lo = first >= lo ? 0 : (lo - first + stride - 1) / stride;
    const std::int64_t k_hi = std::min(n - 1, hi < first ? -1 : (hi - first) / stride);
    return std::max<std::int64_t>(0, k_hi - k_lo + 1);
  }
  // A collective's cost: as the program computed it for the representative's group, or for
  // this GPU's own group when that one is placed differently.
  SimTime cost(const Task& t) const {
    if (!own_cost_[static_cast<int>(t.group)]) return t.duration;
    return duration_ps(collective_time(t.coll, t.work, shape(t.group), st_.fabric));
  }

  void begin(std::uint32_t id, Context& ctx) {
    const Task& t = prog_.tasks[id];
    start_[id] = ctx.now();
    switch (t.resource) {
      case Resource::local: {
        const SimTime d = t.scales ? scaled(t.duration, factor_) : t.duration;
        if (d <= 0) {
          finish(id, ctx);
        } else {
          Event e;
          e.type = kTaskDone;
          e.key = id;
          ctx.send(ctx.self(), d, e);
        }
        break;
      }
      case Resource::collective: {
        const std::int64_t n = view_.members(t.group);
        const SimTime c = cost(t);
        if (n <= 1) {
          Event e;
          e.type = kCollDone;
          e.count = static_cast<std::int32_t>(t.group);
          e.key = t.tag;
          ctx.send(ctx.self(), c, e);
          break;
        }
        // Coordinator: a member chosen by the sequence number spreads the load over nodes.
        const std::int64_t full = t.group == GroupKind::tp ? st_.tp : t.group == GroupKind::dp ? st_.dp : 2;
        std::int64_t k = static_cast<std::int64_t>((static_cast<std::uint64_t>(t.tag) * 2654435761ULL) % static_cast<std::uint64_t>(full));
        if (view_.mode == SimMode::reduced) k = t.group == GroupKind::embed ? k : 0;
        const std::int64_t coord_node = st_.node_of(member(t.group, k));
        const bool cross = shape(t.group).nodes > 1;
        Event e;
        e.type = kCollArrive;
        e.key = (static_cast<std::int64_t>(t.group) << 56) | (group_index(t.group) << 32) | t.tag;
        e.value = c;
        if (!cross) {
          // Inside a node the NVSwitch LP coordinates: the cost is split between the members'
          // notices and its answer (the end stays max(issue) + cost).
          const SimTime up = c / 2;
          e.count = static_cast<std::int32_t>(n);
          e.amount = static_cast<double>(up);
          ctx.send(view_.node_lp(coord_node, 2), up, e);
        } else {
          // Across nodes each node's NIC gathers its members (1 ps away), one NIC coordinates
          // the nodes: 1 + (c-2)/2 + rest + 1 = c, and only one notice per node crosses ranks.
          e.count = static_cast<std::int32_t>(local_members(t.group));
          e.amount = static_cast<double>(shape(t.group).nodes);
          e.extra = view_.node_lp(coord_node, 3);
          ctx.send(view_.node_lp(st_.node_of(device_), 3), 1, e);
        }
        break;
      }
      case Resource::send: {
        // Transfer time from where the two GPUs actually are (stage boundaries may cut nodes).
        const std::int64_t peer_device = st_.device_of(t.peer_stage, dp_rank_, tp_rank_);
        const SimTime d = st_.node_of(peer_device) == st_.node_of(device_) ? st_.p2p_same_node : st_.p2p_cross_node;
        Event done;
        done.type = kTaskDone;
        done.key = id;
        ctx.send(ctx.self(), d, done);
        Event msg;
        msg.type = kMessage;
        msg.key = t.tag;
        ctx.send(view_.lp_of_device(peer_device), d, msg);
        break;
      }
      case Resource::recv: {
        auto it = arrived_.find(t.tag);
        if (it != arrived_.end()) {
          arrived_.erase(it);
          finish(id, ctx);
        } else {
          waiting_.emplace(t.tag, id);
        }
        break;
      }
      case Resource::pcie:
      case Resource::cpu: {
        const std::int64_t node = st_.node_of(device_);
        Event e;
        e.type = kResourceReq;
        e.key = id;
        e.amount = t.work;
        if (t.resource == Resource::pcie) {
          const std::int64_t local = device_ - node * st_.gpus_per_node;
          e.count = static_cast<std::int32_t>(2 * (local / st_.gpus_per_switch) + (t.to_host ? 0 : 1));
          e.value = static_cast<std::int64_t>(view_.pcie_weight(device_));
        } else {
          e.count = 0;
          e.value = static_cast<std::int64_t>(view_.cpu_weight(device_));
        }
        ctx.send(view_.node_lp(node, t.resource == Resource::pcie ? 1 : 0), st_.pcie_latency, e);
        break;
      }
    }
  }

  const StepSetup& st_;
  const Program& prog_;
  const View& view_;
  std::int64_t device_, label_, stage_ = 0, dp_rank_ = 0, tp_rank_ = 0;
  double factor_;
  bool keep_timeline_;
  std::vector<std::uint16_t> pending_;
  GroupShape shape_[kGroupKinds];
  bool own_cost_[kGroupKinds] = {false, false, false, false};
  std::vector<SimTime> start_, end_;
  std::vector<std::uint32_t> ready_;
  std::unordered_map<std::int64_t, SimTime> arrived_;
  std::unordered_map<std::int64_t, std::uint32_t> waiting_;
};

// Host CPU or PCIe of one node: processor-sharing servers.
class HostLp final : public sim::LogicalProcess {
 public:
  HostLp(std::size_t servers, double capacity) : servers_(servers, sim::SharedServer(capacity)) {}

  void handle(const Event& e, Context& ctx) override {
    std::size_t s = 0;
    if (e.type == kResourceReq) {
      s = static_cast<std::size_t>(e.count);
      if (s >= servers_.size()) throw std::logic_error("HostLp: no server " + std::to_string(s));
      const std::int64_t job = static_cast<std::int64_t>(jobs_.size());
      jobs_.push_back({e.src, e.key});
      servers_[s].add(ctx.now(), job, e.amount, static_cast<double>(e.value));
    } else if (e.type == kWake) {
      s = static_cast<std::size_t>(e.key);
      if (static_cast<std::uint64_t>(e.value) != servers_[s].version()) return;  // superseded
    } else {
      throw std::logic_error("HostLp: unexpected event type " + std::to_string(e.type));
    }
    for (;;) {
      const SimTime t = servers_[s].next_completion();
      if (t == sim::kNever) break;
      if (t > ctx.now()) {
        Event w;
        w.type = kWake;
        w.key = static_cast<std::int64_t>(s);
        w.value = static_cast<std::int64_t>(servers_[s].version());
        ctx.send(ctx.self(), t - ctx.now(), w);
        break;
      }
      for (std::int64_t job : servers_[s].complete(ctx.now())) {
        Event d;
        d.type = kResourceDone;
        d.key = jobs_[static_cast<std::size_t>(job)].task;
        ctx.send(jobs_[static_cast<std::size_t>(job)].gpu, kResponse, d);
      }
    }
  }

 private:
  struct Job {
    LpId gpu;
    std::int64_t task;
  };
  std::vector<sim::SharedServer> servers_;
  std::vector<Job> jobs_;
};

// NVSwitch or NIC of a node: coordinates the collectives it is chosen for.
class CoordinatorLp final : public sim::LogicalProcess {
 public:
  void handle(const Event& e, Context& ctx) override {
    if (e.type != kCollArrive) throw std::logic_error("CoordinatorLp: unexpected event type " + std::to_string(e.type));
    Pending& p = pending_[e.key];
    p.members.push_back(e.src);
    if (static_cast<std::int32_t>(p.members.size()) < e.count) return;
    // Every member has issued it: all finish `cost` after the last issue.
    const SimTime delay = e.value - static_cast<SimTime>(e.amount);
    Event d;
    d.type = kCollDone;
    d.count = static_cast<std::int32_t>(static_cast<std::uint64_t>(e.key) >> 56);
    d.key = e.key & 0xffffffffLL;
    for (LpId m : p.members) ctx.send(m, delay, d);
    pending_.erase(e.key);
  }

 private:
  struct Pending {
    std::vector<LpId> members;
  };
  std::unordered_map<std::int64_t, Pending> pending_;
};

// NIC of a node: gathers the node's members of a collective that spans nodes, and coordinates
// the collectives it is chosen for (one notice per node).
class NicLp final : public sim::LogicalProcess {
 public:
  void handle(const Event& e, Context& ctx) override {
    switch (e.type) {
      case kCollArrive: {  // a local member issued it
        Gather& g = local_[e.key];
        g.members.push_back(e.src);
        if (static_cast<std::int32_t>(g.members.size()) < e.count) return;
        const SimTime c = e.value;
        Event up;
        up.type = kNodeArrive;
        up.key = e.key;
        up.count = static_cast<std::int32_t>(e.amount);
        up.value = c;
        ctx.send(static_cast<LpId>(e.extra), (c - 2) / 2, up);
        return;
      }
      case kNodeArrive: {  // a node's members all issued it; this NIC coordinates
        Gather& g = nodes_[e.key];
        g.members.push_back(e.src);
        if (static_cast<std::int32_t>(g.members.size()) < e.count) return;
        const SimTime c = e.value;
        Event down;
        down.type = kNodeDone;
        down.key = e.key;
        for (LpId nic : g.members) ctx.send(nic, c - 2 - (c - 2) / 2, down);
        nodes_.erase(e.key);
        return;
      }
      case kNodeDone: {  // tell the local members
        auto it = local_.find(e.key);
        if (it == local_.end()) throw std::logic_error("NicLp: completion of a collective with no local members");
        Event d;
        d.type = kCollDone;
        d.count = static_cast<std::int32_t>(static_cast<std::uint64_t>(e.key) >> 56);
        d.key = e.key & 0xffffffffLL;
        for (LpId m : it->second.members) ctx.send(m, 1, d);
        local_.erase(it);
        return;
      }
      default: throw std::logic_error("NicLp: unexpected event type " + std::to_string(e.type));
    }
  }

 private:
  struct Gather {
    std::vector<LpId> members;
  };
  std::unordered_map<std::int64_t, Gather> local_, nodes_;
};

// Critical path of one device's last step, walked back through binding predecessors.
StepBreakdown attribute(const Program& prog, const std::vector<SimTime>& start, const std::vector<SimTime>& end,
                        std::uint8_t step, SimTime window_start) {
  StepBreakdown b;
  std::int64_t cur = -1;
  SimTime best = -1;
  for (std::size_t i = 0; i < prog.tasks.size(); ++i)
    if (prog.tasks[i].step == step && end[i] >= best) {
      best = end[i];
      cur = static_cast<std::int64_t>(i);
    }
  SimTime covered_to = best;
  while (cur >= 0) {
    const std::size_t i = static_cast<std::size_t>(cur);
    const SimTime s = start[i], e = std::min(end[i], covered_to);
    const SimTime lo = std::max(s, window_start);
    if (e > lo) {
      b.phase[prog.tasks[i].phase] += e - lo;
      switch (category_of(prog.tasks[i])) {
        case Category::compute: b.compute += e - lo; break;
        case Category::comm: b.comm += e - lo; break;
        case Category::offload: b.offload += e - lo; break;
        case Category::cpu: b.cpu += e - lo; break;
        case Category::bubble: b.bubble += e - lo; break;
      }
    }
    covered_to = std::min(covered_to, s);
    if (s <= window_start) break;
    // The predecessor that finished last is the one this task waited for.
    std::int64_t pred = -1;
    SimTime pend = -1;
    const Task& t = prog.tasks[i];
    for (std::uint32_t d = t.dep_begin; d < t.dep_begin + t.dep_count; ++d) {
      const std::uint32_t p = prog.deps[d];
      if (end[p] > pend || (end[p] == pend && static_cast<std::int64_t>(p) > pred)) {
        pend = end[p];
        pred = p;
      }
    }
    const std::int32_t sp = prog.stream_prev[i];
    if (sp >= 0 && (end[static_cast<std::size_t>(sp)] > pend || (end[static_cast<std::size_t>(sp)] == pend && sp > pred))) {
      pend = end[static_cast<std::size_t>(sp)];
      pred = sp;
    }
    if (pred < 0) {
      b.bubble += s - window_start;  // waited from the step's start for nothing local
      b.phase[prog.tasks[i].phase] += s - window_start;
      break;
    }
    if (pend < s) {  // not expected; keeps the sum exact
      b.bubble += s - std::max(pend, window_start);
      b.phase[prog.tasks[i].phase] += s - std::max(pend, window_start);
    }
    cur = pred;
  }
  return b;
}

}  // namespace

double straggler_factor(const StepSetup& st, std::int64_t device) {
  if (st.straggler_cv <= 0) return 1.0;
  const double z = sim::standard_normal(st.seed, kStragglerStream, static_cast<std::uint64_t>(device));
  return std::max(0.5, 1.0 + st.straggler_cv * z);
}

bool reduced_applicable(const StepSetup& st, bool stragglers, std::string* why) {
  // Host resources (CPU, PCIe) are shared by the GPUs of a node: symmetric only when every node
  // holds GPUs of one stage.
  if (st.pp > 1 && st.offload && (st.dp * st.tp) % st.gpus_per_node != 0) {
    if (why) *why = "offload with pipeline stages sharing a host";
    return false;
  }
  if (stragglers && st.straggler_cv > 0 && st.pp > 1) {
    if (why) *why = "stragglers with pipeline parallelism";
    return false;
  }
  if (stragglers && st.straggler_cv > 0 && st.offload && st.tp > 1) {
    if (why) *why = "stragglers with offload and tensor parallelism (host copies no longer simultaneous)";
    return false;
  }
  // Collectives are costed on the representative's groups; every group must look alike.
  for (std::int64_t d = 0; d < st.devices; ++d) {
    if (st.tp_rank_of(d) == 0 && !(st.group_shape(GroupKind::tp, d) == st.tp_shape)) {
      if (why) *why = "tensor-parallel groups placed unevenly across nodes";
      return false;
    }
    if (st.dp_rank_of(d) == 0 && !(st.group_shape(GroupKind::dp, d) == st.dp_shape)) {
      if (why) *why = "data-parallel groups placed unevenly across nodes";
      return false;
    }
    if (st.pp > 1 && st.stage_of(d) == 0 && !(st.group_shape(GroupKind::embed, d) == st.embed_shape)) {
      if (why) *why = "embedding groups placed unevenly across nodes";
      return false;
    }
  }
  // Pipeline transfers are costed once per stage pair; the full simulation agrees only when
  // every replica's stage pair is placed alike.
  if (st.pp > 1) {
    for (std::int64_t s = 0; s + 1 < st.pp; ++s) {
      const bool same0 = st.node_of(st.device_of(s, 0, 0)) == st.node_of(st.device_of(s + 1, 0, 0));
      for (std::int64_t d = 0; d < st.dp; ++d)
        for (std::int64_t r = 0; r < st.tp; ++r)
          if ((st.node_of(st.device_of(s, d, r)) == st.node_of(st.device_of(s + 1, d, r))) != same0) {
            if (why) *why = "pipeline stages placed unevenly across nodes";
            return false;
          }
    }
  }
  return true;
}

std::vector<Program> build_programs(const StepSetup& st) {
  std::vector<Program> out;
  out.reserve(static_cast<std::size_t>(st.pp));
  for (std::int64_t s = 0; s < st.pp; ++s) out.push_back(build_program(st, s));
  return out;
}

namespace {

// The fast path: the representatives' programs as one task graph (pipeline messages and the
// embedding all-reduce link the stages), each task timed when its last predecessor is known.
// The arithmetic is the event simulation's, term for term: a local task ends start + its
// (scaled) duration, a collective of one representative start + cost, one of two at the later
// issue + cost, a receive at max(ready, arrival), a host job start + latency + its processor-
// sharing time + the 1 ps notice (each stream is FIFO, so a representative never has two jobs
// on one host server at once).
SimRun simulate_fast(const StepSetup& st, const std::vector<Program>& programs, bool stragglers, bool timeline) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t pp = static_cast<std::size_t>(st.pp);
  const bool strag = stragglers && st.straggler_cv > 0;
  double fmax = 1.0;
  std::int64_t label0 = st.device_of(0, 0, 0);
  if (strag) {
    fmax = 0.0;
    for (std::int64_t d = 0; d < st.devices; ++d) {
      const double f = straggler_factor(st, d);
      if (f > fmax) {
        fmax = f;
        label0 = d;
      }
    }
  }
  struct Device {
    std::int64_t id, label;
    const Program* prog;
    std::vector<std::uint16_t> pending;
    std::vector<SimTime> ready, start, end;
    GroupShape shape[kGroupKinds];
    bool own_cost[kGroupKinds];
  };
  std::vector<Device> dev(pp);
  for (std::size_t s = 0; s < pp; ++s) {
    Device& d = dev[s];
    d.id = st.device_of(static_cast<std::int64_t>(s), 0, 0);
    d.label = strag ? label0 : d.id;  // stragglers imply pp == 1 here
    d.prog = &programs[s];
    d.pending = d.prog->pending;
    const std::size_t n = d.prog->tasks.size();
    d.ready.assign(n, 0);
    d.start.assign(n, -1);
    d.end.assign(n, -1);
    for (GroupKind g : {GroupKind::tp, GroupKind::dp, GroupKind::embed}) {
      d.shape[static_cast<int>(g)] = st.group_shape(g, d.id);
      d.own_cost[static_cast<int>(g)] = !(d.shape[static_cast<int>(g)] == st.representative_shape(g));
    }
  }
  const double weight_cpu = static_cast<double>(std::min(st.gpus_per_node, st.devices));
  auto weight_pcie = [&](std::int64_t device) {
    const std::int64_t node = st.node_of(device);
    const std::int64_t in_node = std::min(st.gpus_per_node, st.devices - node * st.gpus_per_node);
    const std::int64_t sw = (device - node * st.gpus_per_node) / st.gpus_per_switch;
    return static_cast<double>(std::min(st.gpus_per_switch, in_node - sw * st.gpus_per_switch));
  };
  (void)weight_cpu;
  std::vector<std::pair<std::size_t, std::uint32_t>> work;
  std::map<std::pair<std::size_t, std::int64_t>, SimTime> arrived;        // (stage, tag) -> arrival
  std::map<std::pair<std::size_t, std::int64_t>, std::uint32_t> waiting;  // (stage, tag) -> recv task
  std::map<std::int64_t, std::vector<std::pair<std::size_t, std::uint32_t>>> rendezvous;  // embed tag
  std::int64_t processed = 0;

  auto finish = [&](std::size_t s, std::uint32_t t, SimTime when) {
    Device& d = dev[s];
    d.end[t] = when;
    ++processed;
    for (std::uint32_t k = d.prog->succ_begin[t]; k < d.prog->succ_begin[t + 1]; ++k) {
      const std::uint32_t n = d.prog->succ[k];
      d.ready[n] = std::max(d.ready[n], when);
      if (--d.pending[n] == 0) work.emplace_back(s, n);
    }
  };
  for (std::size_t s = 0; s < pp; ++s)
    for (std::uint32_t t = 0; t < dev[s].prog->tasks.size(); ++t)
      if (dev[s].prog->pending[t] == 0) work.emplace_back(s, t);

  while (!work.empty()) {
    const auto [s, id] = work.back();
    work.pop_back();
    Device& d = dev[s];
    const Task& t = d.prog->tasks[id];
    const SimTime now = d.ready[id];
    d.start[id] = now;
    switch (t.resource) {
      case Resource::local: finish(s, id, now + (t.scales ? scaled(t.duration, fmax) : t.duration)); break;
      case Resource::collective: {
        const SimTime c = d.own_cost[static_cast<int>(t.group)]
                              ? duration_ps(collective_time(t.coll, t.work, d.shape[static_cast<int>(t.group)], st.fabric))
                              : t.duration;
        if (t.group != GroupKind::embed || pp == 1) {
          finish(s, id, now + c);
          break;
        }
        auto& members = rendezvous[t.tag];
        members.emplace_back(s, id);
        if (members.size() < 2) break;
        SimTime last = 0;
        for (const auto& [ms, mt] : members) last = std::max(last, dev[ms].start[mt]);
        for (const auto& [ms, mt] : members) finish(ms, mt, last + c);
        rendezvous.erase(t.tag);
        break;
      }
      case Resource::send: {
        const std::int64_t peer_device = st.device_of(t.peer_stage, 0, 0);
        const SimTime dt = st.node_of(peer_device) == st.node_of(d.id) ? st.p2p_same_node : st.p2p_cross_node;
        finish(s, id, now + dt);
        const std::pair<std::size_t, std::int64_t> key{static_cast<std::size_t>(t.peer_stage), t.tag};
        auto w = waiting.find(key);
        if (w != waiting.end()) {
          const std::uint32_t r = w->second;
          waiting.erase(w);
          finish(key.first, r, std::max(dev[key.first].start[r], now + dt));
        } else {
          arrived.emplace(key, now + dt);
        }
        break;
      }
      case Resource::recv: {
        const std::pair<std::size_t, std::int64_t> key{s, t.tag};
        auto a = arrived.find(key);
        if (a != arrived.end()) {
          const SimTime at = a->second;
          arrived.erase(a);
          finish(s, id, std::max(now, at));
        } else {
          waiting.emplace(key, id);
        }
        break;
      }
      case Resource::pcie:
      case Resource::cpu: {
        const double w = t.resource == Resource::pcie ? weight_pcie(d.id) : static_cast<double>(
            std::min(st.gpus_per_node, st.devices - st.node_of(d.id) * st.gpus_per_node));
        const double cap = t.resource == Resource::pcie ? st.pcie_bandwidth : st.cpu_params_per_s;
        finish(s, id, now + st.pcie_latency + sim::to_sim_time(t.work * w / cap) + kResponse);
        break;
      }
    }
  }
  for (const Device& d : dev)
    for (SimTime e : d.end)
      if (e < 0) throw std::logic_error("fast path: a task was never reached (cyclic or unmatched program)");

  SimRun run;
  run.events = processed;
  run.lps = static_cast<std::int64_t>(pp);
  run.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::size_t steps = static_cast<std::size_t>(st.steps);
  std::vector<SimTime> ends(steps, 0);
  for (const Device& d : dev)
    for (std::size_t i = 0; i < d.prog->tasks.size(); ++i)
      ends[d.prog->tasks[i].step] = std::max(ends[d.prog->tasks[i].step], d.end[i]);
  const SimTime last_end = ends[steps - 1];
  const SimTime window_start = steps > 1 ? ends[steps - 2] : 0;
  run.step_time = last_end - window_start;
  // Critical device: the lowest label among those whose last step ends last (all carry fmax).
  const Device* crit = nullptr;
  for (const Device& d : dev) {
    SimTime e = 0;
    for (std::size_t i = 0; i < d.prog->tasks.size(); ++i)
      if (d.prog->tasks[i].step == steps - 1) e = std::max(e, d.end[i]);
    if (e == last_end && (!crit || d.label < crit->label)) crit = &d;
  }
  run.critical_device = crit->label;
  run.breakdown = attribute(*crit->prog, crit->start, crit->end, static_cast<std::uint8_t>(steps - 1), window_start);
  if (timeline) {
    for (const Device& d : dev)
      for (std::size_t i = 0; i < d.prog->tasks.size(); ++i) {
        const Task& t = d.prog->tasks[i];
        if (d.end[i] <= d.start[i]) continue;
        run.timeline.push_back({d.label, t.stream, t.kind, d.start[i], d.end[i]});
      }
    std::stable_sort(run.timeline.begin(), run.timeline.end(),
                     [](const TimelineRow& a, const TimelineRow& b) { return a.device < b.device; });
  }
  return run;
}

}  // namespace

SimRun simulate(const StepSetup& st, const std::vector<Program>& programs, SimMode mode, bool stragglers,
                bool timeline, MPI_Comm comm) {
  if (mode == SimMode::fast) return simulate_fast(st, programs, stragglers, timeline);
  const View view = make_view(st, mode);
  int ranks = 1, rank = 0;
  MPI_Comm run_comm = mode == SimMode::full ? comm : MPI_COMM_SELF;
  if (run_comm != MPI_COMM_SELF) {  // a serial run makes no MPI call
    MPI_Comm_size(run_comm, &ranks);
    MPI_Comm_rank(run_comm, &rank);
  }
  auto allreduce = [&](void* in, void* out, int n, MPI_Datatype type, MPI_Op op) {
    if (ranks > 1) {
      MPI_Allreduce(in, out, n, type, op, run_comm);
    } else {
      int size = 0;
      if (type == MPI_LONG_LONG) size = static_cast<int>(sizeof(long long));
      else size = static_cast<int>(sizeof(double));
      std::memcpy(out, in, static_cast<std::size_t>(n * size));
    }
  };

  // Deal LPs by node in contiguous blocks.
  const std::int64_t node_count = static_cast<std::int64_t>(view.nodes.size());
  auto rank_of_block = [&](std::int64_t block) {
    return static_cast<int>(block * ranks / std::max<std::int64_t>(1, node_count));
  };
  std::vector<int> lp_rank(static_cast<std::size_t>(view.lp_count()));
  for (std::size_t i = 0; i < view.devices.size(); ++i) {
    const std::int64_t node = st.node_of(view.devices[i]);
    const std::int64_t block = mode == SimMode::full ? node : view.node_block.at(node);
    lp_rank[i] = rank_of_block(block);
  }
  for (std::int64_t b = 0; b < node_count; ++b)
    for (int k = 0; k < 4; ++k) lp_rank[view.devices.size() + static_cast<std::size_t>(4 * b + k)] = rank_of_block(b);
  // Lookahead: the shortest delay any event can take between nodes: half the cost of a
  // collective spanning nodes (its notice and its answer), or a pipeline transfer between nodes.
  SimTime cross = sim::kNever;
  if (node_count > 1 && ranks > 1) {
    for (std::size_t i = 0; i < view.devices.size(); ++i) {
      if (lp_rank[i] != rank) continue;
      const std::int64_t d = view.devices[i];
      const Program& prog = programs[static_cast<std::size_t>(st.stage_of(d))];
      GroupShape own[kGroupKinds];
      const std::int64_t stage = st.stage_of(d), dr = st.dp_rank_of(d), tr = st.tp_rank_of(d);
      own[static_cast<int>(GroupKind::tp)] = view.shape(GroupKind::tp, stage * st.dp + dr, d);
      own[static_cast<int>(GroupKind::dp)] = view.shape(GroupKind::dp, stage * st.tp + tr, d);
      own[static_cast<int>(GroupKind::embed)] = view.shape(GroupKind::embed, dr * st.tp + tr, d);
      for (const Task& t : prog.tasks) {
        if (t.resource == Resource::send) cross = std::min(cross, st.p2p_cross_node);
        if (t.resource != Resource::collective || own[static_cast<int>(t.group)].nodes <= 1) continue;
        const GroupShape& sh = own[static_cast<int>(t.group)];
        const SimTime c = sh == st.representative_shape(t.group) ? t.duration
                                                                 : duration_ps(collective_time(t.coll, t.work, sh, st.fabric));
        cross = std::min(cross, (c - 2) / 2);
      }
    }
    cross = std::max<SimTime>(1, cross);
  }
  sim::Engine engine(run_comm, lp_rank, cross);

  // Straggler factors: the full simulation draws one per device; the reduced one gives every
  // representative the slowest device's factor (exact when the step waits for the slowest) and
  // reports it as that device. Outputs (timeline, critical path) follow, per stage, the slowest
  // device (the lowest-numbered one without stragglers), so both modes report the same GPU.
  const bool strag = stragglers && st.straggler_cv > 0;
  std::vector<double> factor;
  std::vector<std::int64_t> stage_rep(static_cast<std::size_t>(st.pp));
  for (std::int64_t s = 0; s < st.pp; ++s) stage_rep[static_cast<std::size_t>(s)] = st.device_of(s, 0, 0);
  if (strag) {
    factor.resize(static_cast<std::size_t>(st.devices));
    std::vector<double> best(static_cast<std::size_t>(st.pp), 0.0);
    for (std::int64_t d = 0; d < st.devices; ++d) {
      const double f = straggler_factor(st, d);
      factor[static_cast<std::size_t>(d)] = f;
      const std::size_t s = static_cast<std::size_t>(st.stage_of(d));
      if (f > best[s]) {
        best[s] = f;
        stage_rep[s] = d;
      }
    }
  }
  const double fmax = factor.empty() ? 1.0 : *std::max_element(factor.begin(), factor.end());

  std::vector<GpuLp*> local_gpus;
  for (std::size_t i = 0; i < view.devices.size(); ++i) {
    const LpId id = static_cast<LpId>(i);
    if (!engine.is_local(id)) continue;
    const std::int64_t d = view.devices[i];
    const std::size_t stage = static_cast<std::size_t>(st.stage_of(d));
    double f = 1.0;
    std::int64_t label = d;
    if (strag && mode == SimMode::reduced) {
      f = fmax;
      label = stage_rep[stage];
    } else if (strag) {
      f = factor[static_cast<std::size_t>(d)];
    }
    const bool rep = label == stage_rep[stage];
    auto lp = std::make_unique<GpuLp>(st, programs[stage], view, d, f, rep && timeline, label);
    local_gpus.push_back(lp.get());
    engine.add(id, std::move(lp));
    Event kick;
    kick.type = kStart;
    engine.schedule(id, 0, kick);
  }
  const std::size_t switches = static_cast<std::size_t>((st.gpus_per_node + st.gpus_per_switch - 1) / st.gpus_per_switch);
  for (std::int64_t b = 0; b < node_count; ++b) {
    const LpId base = static_cast<LpId>(view.devices.size() + static_cast<std::size_t>(4 * b));
    if (!engine.is_local(base)) continue;
    engine.add(base + 0, std::make_unique<HostLp>(1, st.cpu_params_per_s));
    engine.add(base + 1, std::make_unique<HostLp>(2 * switches, st.pcie_bandwidth));
    engine.add(base + 2, std::make_unique<CoordinatorLp>());
    engine.add(base + 3, std::make_unique<NicLp>());
  }

  const sim::EngineStats stats = engine.run();
  for (const GpuLp* g : local_gpus)
    if (!g->complete()) throw std::logic_error("simulation ended with unfinished tasks on GPU " + std::to_string(g->device()));

  SimRun run;
  run.events = stats.events_total;
  run.rounds = stats.rounds;
  run.lps = view.lp_count();
  run.wall_s = stats.wall_s;

  // Step boundaries: the latest end of each step's tasks over all GPUs.
  const std::size_t steps = static_cast<std::size_t>(st.steps);
  std::vector<long long> ends(steps, 0), ends_all(steps, 0);
  for (const GpuLp* g : local_gpus)
    for (std::size_t k = 0; k < steps; ++k) ends[k] = std::max<long long>(ends[k], g->step_end(static_cast<std::uint8_t>(k)));
  allreduce(ends.data(), ends_all.data(), static_cast<int>(steps), MPI_LONG_LONG, MPI_MAX);
  const SimTime last_end = ends_all[steps - 1];
  const SimTime window_start = steps > 1 ? ends_all[steps - 2] : 0;
  run.step_time = last_end - window_start;

  // The critical device: of the GPUs whose last step ends last, the slowest, then the
  // lowest-numbered.
  double fbest = 0, fbest_all = 0;
  for (const GpuLp* g : local_gpus)
    if (g->step_end(static_cast<std::uint8_t>(steps - 1)) == last_end) fbest = std::max(fbest, g->factor());
  allreduce(&fbest, &fbest_all, 1, MPI_DOUBLE, MPI_MAX);
  long long mine = std::numeric_limits<long long>::max(), critical = 0;
  for (const GpuLp* g : local_gpus)
    if (g->step_end(static_cast<std::uint8_t>(steps - 1)) == last_end && g->factor() == fbest_all)
      mine = std::min<long long>(mine, g->label());
  allreduce(&mine, &critical, 1, MPI_LONG_LONG, MPI_MIN);
  run.critical_device = critical;
  long long parts[8] = {0, 0, 0, 0, 0, 0, 0, 0}, parts_all[8];
  for (const GpuLp* g : local_gpus)
    if (g->label() == critical && g->step_end(static_cast<std::uint8_t>(steps - 1)) == last_end &&
        g->factor() == fbest_all) {
      const StepBreakdown b = attribute(programs[static_cast<std::size_t>(st.stage_of(critical))], g->starts(), g->ends(),
                                        static_cast<std::uint8_t>(steps - 1), window_start);
      parts[0] = b.compute;
      parts[1] = b.comm;
      parts[2] = b.offload;
      parts[3] = b.cpu;
      parts[4] = b.bubble;
      for (int k = 0; k < 3; ++k) parts[5 + k] = b.phase[k];
    }
  allreduce(parts, parts_all, 8, MPI_LONG_LONG, MPI_SUM);
  run.breakdown.compute = parts_all[0];
  run.breakdown.comm = parts_all[1];
  run.breakdown.offload = parts_all[2];
  run.breakdown.cpu = parts_all[3];
  run.breakdown.bubble = parts_all[4];
  for (int k = 0; k < 3; ++k) run.breakdown.phase[k] = parts_all[5 + k];

  if (timeline) {
    std::vector<TimelineRow> rows;
    for (const GpuLp* g : local_gpus) {
      if (!g->keeps_timeline()) continue;
      const Program& prog = programs[static_cast<std::size_t>(st.stage_of(g->device()))];
      for (std::size_t i = 0; i < prog.tasks.size(); ++i) {
        const Task& t = prog.tasks[i];
        if (g->ends()[i] <= g->starts()[i]) continue;  // instants and joins
        rows.push_back({g->label(), t.stream, t.kind, g->starts()[i], g->ends()[i]});
      }
    }
    // Everyone gets every row, in device order (blocks of nodes are in device order).
    if (ranks == 1) {
      run.timeline = std::move(rows);
      std::stable_sort(run.timeline.begin(), run.timeline.end(),
                       [](const TimelineRow& a, const TimelineRow& b) { return a.device < b.device; });
      return run;
    }
    int bytes = static_cast<int>(rows.size() * sizeof(TimelineRow));
    std::vector<int> counts(static_cast<std::size_t>(ranks)), displs(static_cast<std::size_t>(ranks));
    MPI_Allgather(&bytes, 1, MPI_INT, counts.data(), 1, MPI_INT, run_comm);
    int total = 0;
    for (int r = 0; r < ranks; ++r) {
      displs[static_cast<std::size_t>(r)] = total;
      total += counts[static_cast<std::size_t>(r)];
    }
    run.timeline.resize(static_cast<std::size_t>(total) / sizeof(TimelineRow));
    MPI_Allgatherv(rows.data(), bytes, MPI_BYTE, run.timeline.data(), counts.data(), displs.data(), MPI_BYTE, run_comm);
    std::stable_sort(run.timeline.begin(), run.timeline.end(),
                     [](const TimelineRow& a, const TimelineRow& b) { return a.device < b.device; });
  }
  return run;
}

}  // namespace wb::gpu
