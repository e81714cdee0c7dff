#pragma once
// The logical processes of a simulated GPU cluster (sim/pdes.hpp), and which of them a run
// holds (View):
//   one per GPU          runs its stage's Program (step_program.hpp): streams, dependencies,
//                        its straggler factor;
//   four per node        host CPU (processor-sharing over the node's cores: CPU-Adam of all the
//                        node's ranks), PCIe (one shared uplink per PCIe switch and direction),
//                        NVSwitch (coordinates collectives inside the node) and NIC
//                        (coordinates collectives that cross nodes: the network).
// The engine driver (cluster_sim.cpp) creates them and deals them to ranks.
#include <cmath>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "gpu/cluster_sim.hpp"
#include "gpu/step_program.hpp"
#include "sim/pdes.hpp"
#include "sim/shared_server.hpp"

namespace wb::gpu {

using sim::Context;
using sim::Event;
using sim::LpId;

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
  // The tasks a GPU LP has found ready while it handles one event: emptied before the handler
  // returns, so one stack serves every GPU of the run (a stack per GPU is one more cache line
  // per event that misses over thousands of GPUs).
  mutable std::vector<std::uint32_t> ready;
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

View make_view(const StepSetup& st, SimMode mode);

// A compute duration slowed by a straggler factor (at least 1 ps).
inline SimTime scaled(SimTime d, double f) {
  if (f == 1.0 || d == 0) return d;
  const SimTime x = static_cast<SimTime>(std::llround(static_cast<double>(d) * f));
  return x < 1 ? 1 : x;
}

// Pending predecessor counts of the GPUs of one stage on one rank, task-major (structure of
// arrays): the GPUs of a stage run one program nearly in step, so the counts they lower at
// about the same time share cache lines (one array per GPU missed the cache on nearly every
// event over thousands of GPUs).
class StagePending {
 public:
  StagePending(const Program& prog, std::size_t gpus);
  std::uint16_t* column(std::size_t k) { return counts_.data() + k; }
  std::size_t stride() const { return gpus_; }

 private:
  std::size_t gpus_;
  std::vector<std::uint16_t> counts_;
};

class GpuLp final : public sim::LogicalProcess {
 public:
  // `record`: keep every task's start and end (for the timeline and the critical path);
  // otherwise only each step's end. `pending`: this GPU's column of its stage's counts.
  GpuLp(const StepSetup& st, const Program& prog, const View& view, std::int64_t device, double factor, bool keep_timeline,
        std::int64_t label, bool record, std::uint16_t* pending, std::size_t pending_stride);

  void handle(const Event& e, Context& ctx) override;

  std::int64_t device() const { return device_; }
  // The device this LP reports as: a fast-path representative stands for the slowest GPU.
  std::int64_t label() const { return label_; }
  double factor() const { return factor_; }
  bool records() const { return record_; }
  const std::vector<SimTime>& starts() const { return start_; }
  const std::vector<SimTime>& ends() const { return end_; }
  bool keeps_timeline() const { return keep_timeline_; }
  SimTime step_end(std::uint8_t step) const { return step_end_[step]; }
  bool complete() const { return finished_ == prog_.tasks.size(); }
  static constexpr int kMaxSteps = 2;  // simulated steps (two with the delayed update)

 private:
  // Zero-duration tasks finish inline; a worklist avoids deep recursion.
  void finish(std::uint32_t task, Context& ctx);
  void drain(Context& ctx);

  std::int64_t member(GroupKind g, std::int64_t k) const;
  std::int64_t group_index(GroupKind g) const;
  const GroupShape& shape(GroupKind g) const { return shape_[static_cast<int>(g)]; }
  // Members of this GPU's group of kind g on this GPU's node (those present in the view).
  std::int64_t local_members(GroupKind g) const;
  // A collective's cost: as the program computed it for the representative's group, or for
  // this GPU's own group when that one is placed differently.
  SimTime cost(const Task& t) const;

  void begin(std::uint32_t id, Context& ctx);

  // What every event touches comes first, next to the vtable pointer: over thousands of GPUs
  // each of their lines is a cache miss per event.
  const Program& prog_;
  const View& view_;
  std::uint16_t* pending_;  // task i's count at pending_[i * stride_]
  std::uint32_t stride_;
  std::uint32_t finished_ = 0;
  bool record_;
  bool keep_timeline_;
  bool multi_step_ = false;
  double factor_;
  SimTime step_end_[kMaxSteps] = {0, 0};
  // Per group kind, constant for this GPU: members in the view, members on this GPU's node,
  // nodes it spans, whether it spans several, whether it is placed unlike the representative's
  // (its collectives then costed for it).
  struct Group {
    std::int32_t members = 1, local = 1;
    std::int32_t nodes = 1;
    bool cross = false, own_cost = false;
  } group_[kGroupKinds];
  LpId nic_ = 0;
  const StepSetup& st_;
  std::int64_t device_, label_, stage_ = 0, dp_rank_ = 0, tp_rank_ = 0;
  GroupShape shape_[kGroupKinds];
  std::vector<SimTime> start_, end_;  // when recording
  // Pipeline messages that came before their receive was reached (tag, time), and receives
  // waiting for their message (tag, task): a few at a time, so a list.
  std::vector<std::pair<std::int64_t, SimTime>> arrived_;
  std::vector<std::pair<std::int64_t, std::uint32_t>> waiting_;
};

// Host CPU or PCIe of one node: processor-sharing servers.
class HostLp final : public sim::LogicalProcess {
 public:
  HostLp(std::size_t servers, double capacity) : servers_(servers, sim::SharedServer(capacity)) {}

  void handle(const Event& e, Context& ctx) override;

 private:
  struct Job {
    LpId gpu;
    std::int64_t task;
  };
  std::vector<sim::SharedServer> servers_;
  std::vector<Job> jobs_;
};

// The collectives a coordinator is gathering the members (or nodes) of: a handful at a time,
// so a list searched from its end, whose entries keep their member vectors' storage for the
// next collective (a hash map allocated a node and a vector per collective).
class Gathering {
 public:
  // The members gathered so far of the collective `key` (an empty list if it is new).
  std::vector<LpId>& at(std::int64_t key);
  // The collective's list if it is being gathered, else nullptr.
  std::vector<LpId>* find(std::int64_t key);
  void erase(std::int64_t key);

 private:
  struct Entry {
    std::int64_t key;
    std::vector<LpId> members;
  };
  std::vector<Entry> open_;
  std::size_t size_ = 0;  // open_[0, size_) in use; the rest keep their storage
};

// NVSwitch or NIC of a node: coordinates the collectives it is chosen for.
class CoordinatorLp final : public sim::LogicalProcess {
 public:
  void handle(const Event& e, Context& ctx) override;

 private:
  Gathering pending_;
};

// NIC of a node: gathers the node's members of a collective that spans nodes, and coordinates
// the collectives it is chosen for (one notice per node).
class NicLp final : public sim::LogicalProcess {
 public:
  void handle(const Event& e, Context& ctx) override;

 private:
  Gathering local_, nodes_;
};

}  // namespace wb::gpu
