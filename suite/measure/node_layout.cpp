#include "measure/node_layout.hpp"

#include <string>

namespace wb::measure {

NodeLayout::NodeLayout(MPI_Comm world, int emulate_ranks_per_node) : world_(world), emulated_(emulate_ranks_per_node > 0) {
  MPI_Comm_rank(world, &world_rank_);
  MPI_Comm_size(world, &world_size_);
  if (emulated_)
    MPI_Comm_split(world, world_rank_ / emulate_ranks_per_node, world_rank_, &node_);
  else
    MPI_Comm_split_type(world, MPI_COMM_TYPE_SHARED, world_rank_, MPI_INFO_NULL, &node_);
  MPI_Comm_rank(node_, &node_rank_);
  MPI_Comm_size(node_, &node_size_);
  MPI_Comm_split(world, node_rank_ == 0 ? 0 : MPI_UNDEFINED, world_rank_, &leaders_);

  // Leaders learn the node count, each node's host name and size; then tell their node.
  int nodes = 0;
  std::vector<char> names;
  std::vector<int> sizes;
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int len = 0;
  MPI_Get_processor_name(name, &len);
  if (leaders_ != MPI_COMM_NULL) {
    MPI_Comm_rank(leaders_, &node_index_);
    MPI_Comm_size(leaders_, &nodes);
    names.resize(static_cast<std::size_t>(nodes) * MPI_MAX_PROCESSOR_NAME);
    sizes.resize(static_cast<std::size_t>(nodes));
    MPI_Allgather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, names.data(), MPI_MAX_PROCESSOR_NAME, MPI_CHAR, leaders_);
    MPI_Allgather(&node_size_, 1, MPI_INT, sizes.data(), 1, MPI_INT, leaders_);
  }
  MPI_Bcast(&node_index_, 1, MPI_INT, 0, node_);
  MPI_Bcast(&nodes, 1, MPI_INT, 0, node_);
  names.resize(static_cast<std::size_t>(nodes) * MPI_MAX_PROCESSOR_NAME);
  sizes.resize(static_cast<std::size_t>(nodes));
  MPI_Bcast(names.data(), static_cast<int>(names.size()), MPI_CHAR, 0, node_);
  MPI_Bcast(sizes.data(), nodes, MPI_INT, 0, node_);
  for (int i = 0; i < nodes; ++i) {
    hostnames_.emplace_back(&names[static_cast<std::size_t>(i) * MPI_MAX_PROCESSOR_NAME]);
    if (emulated_) hostnames_.back() += ":node" + std::to_string(i);
  }
  ranks_per_node_ = sizes;
}

NodeLayout::~NodeLayout() {
  if (leaders_ != MPI_COMM_NULL) MPI_Comm_free(&leaders_);
  if (node_ != MPI_COMM_NULL) MPI_Comm_free(&node_);
}

}  // namespace wb::measure
