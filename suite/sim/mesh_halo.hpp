#pragma once
// The ghost PEs' exchange of the mesh engine: every `depth` cycles each rank sends the state of
// its `depth` outermost rows and columns of PEs to the neighbours that simulate them as ghosts
// (router state of all of them, the PEs' own state of depth - 1; kernels/fabric_halo.hpp), and
// receives theirs. Columns first (east-west, own rows only), then
// rows (north-south, the whole width with the ghost columns just received), so the corners reach
// the diagonal neighbours in two steps without messages of their own.
#include <mpi.h>

#include <array>
#include <cstdint>

#include "kernels/fabric_halo.hpp"

namespace wb::sim {

namespace fk = wb::kernels::fabric;

class MeshHalo {
 public:
  MeshHalo() = default;
  // `neighbour` by direction (kNorth ...), MPI_PROC_NULL where the rank's part meets the fabric edge.
  MeshHalo(MPI_Comm comm, const fk::FabricState& s, const std::array<int, 4>& neighbour, int depth);

  // Collective with the neighbours: the ghost PEs of `s` take their owners' state.
  void exchange(const fk::FabricState& s);
  // Bytes this rank sends per exchange.
  std::size_t bytes_sent() const;

 private:
  void stage(const fk::FabricState& s, int d0, int d1);

  MPI_Comm comm_ = MPI_COMM_NULL;
  std::array<int, 4> neighbour_{MPI_PROC_NULL, MPI_PROC_NULL, MPI_PROC_NULL, MPI_PROC_NULL};
  fk::HaloFields fields_;
  std::array<fk::HaloSpan, 4> send_span_{}, recv_span_{};
  std::array<fk::View<std::uint32_t>, 4> send_, recv_;
  std::array<fk::View<std::uint32_t>::HostMirror, 4> send_host_, recv_host_;
};

}  // namespace wb::sim
