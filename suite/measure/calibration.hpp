#pragma once
// `waferbench calibrate`: measures the nodes a job runs on (host facts, STREAM bandwidth, Adam
// update rate, GEMM, MPI ping-pong and all-reduce inside and between nodes) and keeps the
// results for writing as a node description (calibration_yaml.hpp).
#include <mpi.h>

#include <optional>
#include <string>
#include <vector>

#include "measure/comm_bench.hpp"
#include "measure/host_bench.hpp"
#include "measure/host_info.hpp"

namespace wb::measure {

// quick: a second or two, for tests and smoke runs (arrays may sit partly in cache);
// standard: a working set of 4x the last-level cache, seconds;
// thorough: STREAM-sized arrays (4x the cache each), more repetitions, a larger GEMM and
// messages up to 256 MiB: about a minute.
enum class Effort { quick, standard, thorough };
const char* to_string(Effort e);

struct CalibrationPlan {
  HostEffort host;
  CommEffort comm;
  bool stream_below_rule = false;         // arrays smaller than STREAM's 4 x LLC rule
  bool stream_below_working_set = false;  // the three arrays together below 4 x LLC
  bool capped_by_memory = false;   // arrays limited to a quarter of the node's memory
};
CalibrationPlan plan_calibration(Effort effort, const HostInfo& node);

struct Calibration {
  std::string utc;  // start of the run, "2026-01-31T12:00:00Z"
  Effort effort = Effort::standard;
  CalibrationPlan plan;
  int ranks = 1;
  std::vector<std::string> hostnames;  // per node
  std::vector<int> ranks_per_node;
  std::vector<HostInfo> hosts;         // per node, as its leader saw it
  HostRates rates;
  std::optional<CommSweep> host_p2p;           // world ranks 0 and 1 when they share node 0
  std::optional<CommSweep> host_allreduce;     // the ranks of node 0
  std::optional<CommSweep> network_p2p;        // leaders of nodes 0 and 1
  std::optional<CommSweep> network_allreduce;  // all node leaders
  std::string kokkos_host_space;
  std::vector<std::string> warnings;
  double wall_s = 0;  // how long the measurements took

  int nodes() const { return static_cast<int>(hostnames.size()); }
};

// Collective over world. The result is complete on world rank 0 only. emulate_ranks_per_node > 0
// takes groups of that many consecutive ranks as nodes (testing on one machine).
Calibration run_calibration(MPI_Comm world, Effort effort, int emulate_ranks_per_node = 0);

}  // namespace wb::measure
