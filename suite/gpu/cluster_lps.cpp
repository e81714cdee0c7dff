#include "gpu/cluster_lps.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace wb::gpu {

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

StagePending::StagePending(const Program& prog, std::size_t gpus) : gpus_(gpus), counts_(prog.pending.size() * gpus) {
  for (std::size_t i = 0; i < prog.pending.size(); ++i)
    std::fill_n(counts_.begin() + static_cast<std::ptrdiff_t>(i * gpus), gpus, prog.pending[i]);
}

GpuLp::GpuLp(const StepSetup& st, const Program& prog, const View& view, std::int64_t device, double factor, bool keep_timeline,
      std::int64_t label, bool record, std::uint16_t* pending, std::size_t pending_stride)
    : prog_(prog), view_(view), pending_(pending), stride_(static_cast<std::uint32_t>(pending_stride)), record_(record || keep_timeline),
      keep_timeline_(keep_timeline), factor_(factor), st_(st), device_(device), label_(label) {
  if (st.steps < 1 || st.steps > kMaxSteps) throw std::logic_error("GpuLp: " + std::to_string(st.steps) + " simulated steps");
  stage_ = st.stage_of(device);
  dp_rank_ = st.dp_rank_of(device);
  tp_rank_ = st.tp_rank_of(device);
  for (GroupKind g : {GroupKind::tp, GroupKind::dp, GroupKind::embed}) {
    const int k = static_cast<int>(g);
    shape_[k] = view.shape(g, group_index(g), device);
    group_[k].own_cost = !(shape_[k] == st.representative_shape(g));
    group_[k].nodes = shape_[k].nodes;
    group_[k].members = static_cast<std::int32_t>(view.members(g));
    group_[k].local = group_[k].members > 1 ? static_cast<std::int32_t>(local_members(g)) : 1;
    group_[k].cross = shape_[k].nodes > 1;
  }
  nic_ = view.node_lp(st.node_of(device), 3);
  multi_step_ = st.steps > 1;
  if (record_) {
    start_.assign(prog.tasks.size(), -1);
    end_.assign(prog.tasks.size(), -1);
  }
}

void GpuLp::handle(const Event& e, Context& ctx) {
  switch (e.type) {
    case kStart: {
      // Tasks without predecessors (decided from the program, not from pending_, which
      // begin() may already be lowering).
      std::vector<std::uint32_t>& ready = view_.ready;
      for (std::size_t i = 0; i < prog_.tasks.size(); ++i)
        if (prog_.pending[i] == 0) ready.push_back(static_cast<std::uint32_t>(i));
      std::reverse(ready.begin(), ready.end());
      break;
    }
    case kTaskDone:
    case kResourceDone: finish(static_cast<std::uint32_t>(e.key), ctx); break;
    case kCollDone: finish(prog_.collective_task[e.count][static_cast<std::size_t>(e.key)], ctx); break;
    case kMessage: {
      auto it = std::find_if(waiting_.begin(), waiting_.end(), [&](const auto& w) { return w.first == e.key; });
      if (it != waiting_.end()) {
        const std::uint32_t t = it->second;
        waiting_.erase(it);
        finish(t, ctx);
      } else {
        arrived_.emplace_back(e.key, ctx.now());
      }
      break;
    }
    default: throw std::logic_error("GpuLp: unexpected event type " + std::to_string(e.type));
  }
  drain(ctx);
}

// Zero-duration tasks finish inline; a worklist avoids deep recursion.
void GpuLp::finish(std::uint32_t task, Context& ctx) {
  const SimTime now = ctx.now();
  if (record_) end_[task] = now;
  // One simulated step (the common case) needs no look at the task, whose line may be cold.
  SimTime& step_end = step_end_[multi_step_ ? prog_.tasks[task].step : 0];
  if (step_end < now) step_end = now;
  ++finished_;
  std::vector<std::uint32_t>& ready = view_.ready;
  const std::uint32_t* succ = prog_.succ.data();
  for (std::uint32_t k = prog_.succ_begin[task], end = prog_.succ_begin[task + 1]; k < end; ++k) {
    const std::uint32_t s = succ[k];
    if (--pending_[static_cast<std::size_t>(s) * stride_] == 0) ready.push_back(s);
  }
}

void GpuLp::drain(Context& ctx) {
  std::vector<std::uint32_t>& ready = view_.ready;
  while (!ready.empty()) {
    const std::uint32_t t = ready.back();
    ready.pop_back();
    begin(t, ctx);
  }
}

std::int64_t GpuLp::member(GroupKind g, std::int64_t k) const {
  switch (g) {
    case GroupKind::tp: return st_.device_of(stage_, dp_rank_, k);
    case GroupKind::dp: return st_.device_of(stage_, k, tp_rank_);
    case GroupKind::embed: return st_.device_of(k == 0 ? 0 : st_.pp - 1, dp_rank_, tp_rank_);
    case GroupKind::none: break;
  }
  return device_;
}

std::int64_t GpuLp::group_index(GroupKind g) const {
  switch (g) {
    case GroupKind::tp: return stage_ * st_.dp + dp_rank_;
    case GroupKind::dp: return stage_ * st_.tp + tp_rank_;
    case GroupKind::embed: return dp_rank_ * st_.tp + tp_rank_;
    case GroupKind::none: break;
  }
  return 0;
}

// Members of this GPU's group of kind g on this GPU's node (those present in the view).
std::int64_t GpuLp::local_members(GroupKind g) const {
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
SimTime GpuLp::cost(const Task& t) const {
  if (!group_[static_cast<int>(t.group)].own_cost) return t.duration;
  return duration_ps(collective_time(t.coll, t.work, shape(t.group), st_.fabric, t.calls));
}

void GpuLp::begin(std::uint32_t id, Context& ctx) {
  const Task& t = prog_.tasks[id];
  if (record_) start_[id] = ctx.now();
  switch (t.resource) {
    case Resource::local: {
      const SimTime d = t.scales ? scaled(t.duration, factor_) : t.duration;
      if (d <= 0) {
        finish(id, ctx);
      } else {
        Event& e = ctx.emit(ctx.self(), d);
        e.type = kTaskDone;
        e.key = id;
      }
      break;
    }
    case Resource::collective: {
      const Group& grp = group_[static_cast<int>(t.group)];
      const SimTime c = cost(t);
      if (grp.members <= 1) {
        Event& e = ctx.emit(ctx.self(), c);
        e.type = kCollDone;
        e.count = static_cast<std::int32_t>(t.group);
        e.key = t.tag;
        break;
      }
      // Coordinator: a member chosen by the sequence number spreads the load over nodes.
      const std::int64_t full = t.group == GroupKind::tp ? st_.tp : t.group == GroupKind::dp ? st_.dp : 2;
      std::int64_t k = static_cast<std::int64_t>((static_cast<std::uint64_t>(t.tag) * 2654435761ULL) % static_cast<std::uint64_t>(full));
      if (view_.mode == SimMode::reduced) k = t.group == GroupKind::embed ? k : 0;
      const std::int64_t coord_node = st_.node_of(member(t.group, k));
      const std::int64_t key = (static_cast<std::int64_t>(t.group) << 56) | (group_index(t.group) << 32) | t.tag;
      if (!grp.cross) {
        // Inside a node the NVSwitch LP coordinates: the cost is split between the members'
        // notices and its answer (the end stays max(issue) + cost).
        const SimTime up = c / 2;
        Event& e = ctx.emit(view_.node_lp(coord_node, 2), up);
        e.type = kCollArrive;
        e.key = key;
        e.value = c;
        e.count = grp.members;
        e.amount = static_cast<double>(up);
      } else {
        // Across nodes each node's NIC gathers its members (1 ps away), one NIC coordinates
        // the nodes: 1 + (c-2)/2 + rest + 1 = c, and only one notice per node crosses ranks.
        Event& e = ctx.emit(nic_, 1);
        e.type = kCollArrive;
        e.key = key;
        e.value = c;
        e.count = grp.local;
        e.amount = static_cast<double>(grp.nodes);
        e.extra = view_.node_lp(coord_node, 3);
      }
      break;
    }
    case Resource::send: {
      // Transfer time from where the two GPUs actually are (stage boundaries may cut nodes).
      const std::int64_t peer_device = st_.device_of(t.peer_stage, dp_rank_, tp_rank_);
      SimTime d = st_.node_of(peer_device) == st_.node_of(device_) ? st_.p2p_same_node : st_.p2p_cross_node;
      if (is_handshake(t)) d = t.duration;
      Event& done = ctx.emit(ctx.self(), d);
      done.type = kTaskDone;
      done.key = id;
      Event& msg = ctx.emit(view_.lp_of_device(peer_device), d);
      msg.type = kMessage;
      msg.key = t.tag;
      break;
    }
    case Resource::recv: {
      auto it = std::find_if(arrived_.begin(), arrived_.end(), [&](const auto& a) { return a.first == t.tag; });
      if (it != arrived_.end()) {
        arrived_.erase(it);
        finish(id, ctx);
      } else {
        waiting_.emplace_back(t.tag, id);
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

void HostLp::handle(const Event& e, Context& ctx) {
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

std::vector<LpId>& Gathering::at(std::int64_t key) {
  if (std::vector<LpId>* m = find(key)) return *m;
  if (size_ == open_.size()) open_.push_back({key, {}});
  Entry& e = open_[size_++];
  e.key = key;
  e.members.clear();
  return e.members;
}

std::vector<LpId>* Gathering::find(std::int64_t key) {
  for (std::size_t i = size_; i-- > 0;)
    if (open_[i].key == key) return &open_[i].members;
  return nullptr;
}

void Gathering::erase(std::int64_t key) {
  for (std::size_t i = size_; i-- > 0;)
    if (open_[i].key == key) {
      std::swap(open_[i], open_[size_ - 1]);
      --size_;
      return;
    }
}

void CoordinatorLp::handle(const Event& e, Context& ctx) {
  if (e.type != kCollArrive) throw std::logic_error("CoordinatorLp: unexpected event type " + std::to_string(e.type));
  std::vector<LpId>& members = pending_.at(e.key);
  members.push_back(e.src);
  if (static_cast<std::int32_t>(members.size()) < e.count) return;
  // Every member has issued it: all finish `cost` after the last issue.
  const SimTime delay = e.value - static_cast<SimTime>(e.amount);
  Event d;
  d.type = kCollDone;
  d.count = static_cast<std::int32_t>(static_cast<std::uint64_t>(e.key) >> 56);
  d.key = e.key & 0xffffffffLL;
  for (LpId m : members) ctx.send(m, delay, d);
  pending_.erase(e.key);
}

void NicLp::handle(const Event& e, Context& ctx) {
  switch (e.type) {
    case kCollArrive: {  // a local member issued it
      std::vector<LpId>& members = local_.at(e.key);
      members.push_back(e.src);
      if (static_cast<std::int32_t>(members.size()) < e.count) return;
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
      std::vector<LpId>& nics = nodes_.at(e.key);
      nics.push_back(e.src);
      if (static_cast<std::int32_t>(nics.size()) < e.count) return;
      const SimTime c = e.value;
      Event down;
      down.type = kNodeDone;
      down.key = e.key;
      for (LpId nic : nics) ctx.send(nic, c - 2 - (c - 2) / 2, down);
      nodes_.erase(e.key);
      return;
    }
    case kNodeDone: {  // tell the local members
      const std::vector<LpId>* members = local_.find(e.key);
      if (!members) throw std::logic_error("NicLp: completion of a collective with no local members");
      Event d;
      d.type = kCollDone;
      d.count = static_cast<std::int32_t>(static_cast<std::uint64_t>(e.key) >> 56);
      d.key = e.key & 0xffffffffLL;
      for (LpId m : *members) ctx.send(m, 1, d);
      local_.erase(e.key);
      return;
    }
    default: throw std::logic_error("NicLp: unexpected event type " + std::to_string(e.type));
  }
}

}  // namespace wb::gpu
