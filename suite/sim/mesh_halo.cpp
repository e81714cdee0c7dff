#include "sim/mesh_halo.hpp"

#include <algorithm>

namespace wb::sim {

namespace {

using Range = Kokkos::RangePolicy<fk::ExecSpace, Kokkos::IndexType<std::int64_t>>;

// The smallest rectangle inside r that holds every PE of r with a program. A PE without one is
// finished from the start and its own state never changes, on its owner as on the ranks that
// simulate it as a ghost, so only its router state needs to travel. Both ends of a message see
// the same PEs and programs, so they agree on the rectangle.
template <class ProgId>
fk::HaloRect with_programs(const fk::FabricState& s, const ProgId& prog_id, const fk::HaloRect& r) {
  int x0 = r.x0 + r.w, x1 = r.x0, y0 = r.y0 + r.h, y1 = r.y0;
  for (int y = r.y0; y < r.y0 + r.h; ++y)
    for (int x = r.x0; x < r.x0 + r.w; ++x) {
      if (prog_id(s.index(x, y)) == 0) continue;
      x0 = std::min(x0, x);
      x1 = std::max(x1, x + 1);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y + 1);
    }
  if (x1 <= x0 || y1 <= y0) return {r.x0, r.y0, 0, 0};
  return {x0, y0, x1 - x0, y1 - y0};
}

}  // namespace

MeshHalo::MeshHalo(MPI_Comm comm, const fk::FabricState& s, const std::array<int, 4>& neighbour, int depth)
    : comm_(comm), neighbour_(neighbour), fields_(fk::halo_fields(s)) {
  const int k = depth;
  // East-west: the owned rows; north-south: every local column, ghosts included. The PE state
  // leaves out the row or column that becomes the receiver's outermost ghosts.
  send_span_[fk::kWest] = {{s.ox0, s.oy0, k, s.ny}, {s.ox0, s.oy0, k - 1, s.ny}};
  recv_span_[fk::kWest] = {{s.ox0 - k, s.oy0, k, s.ny}, {s.ox0 - k + 1, s.oy0, k - 1, s.ny}};
  send_span_[fk::kEast] = {{s.ox0 + s.nx - k, s.oy0, k, s.ny}, {s.ox0 + s.nx - k + 1, s.oy0, k - 1, s.ny}};
  recv_span_[fk::kEast] = {{s.ox0 + s.nx, s.oy0, k, s.ny}, {s.ox0 + s.nx, s.oy0, k - 1, s.ny}};
  send_span_[fk::kNorth] = {{0, s.oy0, s.ex, k}, {0, s.oy0, s.ex, k - 1}};
  recv_span_[fk::kNorth] = {{0, s.oy0 - k, s.ex, k}, {0, s.oy0 - k + 1, s.ex, k - 1}};
  send_span_[fk::kSouth] = {{0, s.oy0 + s.ny - k, s.ex, k}, {0, s.oy0 + s.ny - k + 1, s.ex, k - 1}};
  recv_span_[fk::kSouth] = {{0, s.oy0 + s.ny, s.ex, k}, {0, s.oy0 + s.ny, s.ex, k - 1}};
  auto prog_id = Kokkos::create_mirror_view(s.prog_id);
  Kokkos::deep_copy(prog_id, s.prog_id);
  for (int d = 0; d < fk::kDirections; ++d) {
    const bool on = neighbour_[static_cast<std::size_t>(d)] != MPI_PROC_NULL;
    const std::size_t ds = static_cast<std::size_t>(d);
    send_span_[ds].pe = with_programs(s, prog_id, send_span_[ds].pe);
    recv_span_[ds].pe = with_programs(s, prog_id, recv_span_[ds].pe);
    send_[ds] = fk::View<std::uint32_t>("Fabric::halo_send", on ? fk::halo_words(fields_, send_span_[ds]) : 0);
    recv_[ds] = fk::View<std::uint32_t>("Fabric::halo_recv", on ? fk::halo_words(fields_, recv_span_[ds]) : 0);
    send_host_[ds] = Kokkos::create_mirror_view(send_[ds]);
    recv_host_[ds] = Kokkos::create_mirror_view(recv_[ds]);
  }
}

std::size_t MeshHalo::bytes_sent() const {
  std::size_t bytes = 0;
  for (const auto& b : send_) bytes += b.extent(0) * sizeof(std::uint32_t);
  return bytes;
}

void MeshHalo::stage(const fk::FabricState& s, int d0, int d1) {
  std::array<MPI_Request, 4> req;
  int n = 0;
  for (int d : {d0, d1}) {
    const std::size_t ds = static_cast<std::size_t>(d);
    if (neighbour_[ds] == MPI_PROC_NULL) continue;
    Kokkos::parallel_for("Fabric::halo_pack", Range(0, send_span_[ds].all.h),
                         fk::FabricHaloCopy<true>{s, fields_, send_span_[ds], send_[ds]});
    Kokkos::deep_copy(send_host_[ds], send_[ds]);
    MPI_Irecv(recv_host_[ds].data(), static_cast<int>(recv_host_[ds].extent(0)), MPI_UINT32_T, neighbour_[ds],
              fk::opposite(d), comm_, &req[static_cast<std::size_t>(n++)]);
    MPI_Isend(send_host_[ds].data(), static_cast<int>(send_host_[ds].extent(0)), MPI_UINT32_T, neighbour_[ds], d, comm_,
              &req[static_cast<std::size_t>(n++)]);
  }
  MPI_Waitall(n, req.data(), MPI_STATUSES_IGNORE);
  for (int d : {d0, d1}) {
    const std::size_t ds = static_cast<std::size_t>(d);
    if (neighbour_[ds] == MPI_PROC_NULL) continue;
    Kokkos::deep_copy(recv_[ds], recv_host_[ds]);
    Kokkos::parallel_for("Fabric::halo_unpack", Range(0, recv_span_[ds].all.h),
                         fk::FabricHaloCopy<false>{s, fields_, recv_span_[ds], recv_[ds]});
  }
}

void MeshHalo::exchange(const fk::FabricState& s) {
  stage(s, fk::kWest, fk::kEast);
  stage(s, fk::kNorth, fk::kSouth);
}

}  // namespace wb::sim
