#pragma once
// Which ranks of a job share a node. Ranks are grouped with MPI_Comm_split_type(SHARED) (ranks
// that can share memory are on one node); the lowest world rank of each node is its leader, and
// the leaders form a communicator for measurements between nodes. Nodes are numbered in the
// order of their leaders' world ranks, so world rank 0 is always on node 0 and leads it.
// For testing the paths between nodes on one machine, consecutive groups of ranks can be taken
// as nodes instead (`emulate_ranks_per_node`); their names become "<host>:node<i>".
#include <mpi.h>

#include <string>
#include <vector>

namespace wb::measure {

class NodeLayout {
 public:
  explicit NodeLayout(MPI_Comm world, int emulate_ranks_per_node = 0);  // collective over world
  ~NodeLayout();
  NodeLayout(const NodeLayout&) = delete;
  NodeLayout& operator=(const NodeLayout&) = delete;

  MPI_Comm world() const { return world_; }
  MPI_Comm node() const { return node_; }        // the ranks on this rank's node
  MPI_Comm leaders() const { return leaders_; }  // one rank per node; MPI_COMM_NULL on non-leaders

  int world_rank() const { return world_rank_; }
  int world_size() const { return world_size_; }
  int node_rank() const { return node_rank_; }
  int node_size() const { return node_size_; }
  int node_index() const { return node_index_; }
  int nodes() const { return static_cast<int>(hostnames_.size()); }
  bool leader() const { return node_rank_ == 0; }
  bool emulated() const { return emulated_; }

  const std::vector<std::string>& hostnames() const { return hostnames_; }  // per node (MPI_Get_processor_name)
  const std::vector<int>& ranks_per_node() const { return ranks_per_node_; }

 private:
  MPI_Comm world_;
  MPI_Comm node_ = MPI_COMM_NULL;
  MPI_Comm leaders_ = MPI_COMM_NULL;
  int world_rank_ = 0, world_size_ = 1, node_rank_ = 0, node_size_ = 1, node_index_ = 0;
  bool emulated_ = false;
  std::vector<std::string> hostnames_;
  std::vector<int> ranks_per_node_;
};

}  // namespace wb::measure
