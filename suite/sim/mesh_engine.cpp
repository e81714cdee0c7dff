#include "sim/mesh_engine.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <stdexcept>
#include <string>

#include "kernels/fabric_cycle.hpp"
#include "kernels/fabric_halo.hpp"
#include "sim/memory_budget.hpp"

namespace wb::sim {

namespace {

using Range = Kokkos::RangePolicy<fk::ExecSpace, Kokkos::IndexType<std::int64_t>>;

// First element and count of part `i` of n split into `parts` contiguous pieces.
std::pair<int, int> split(int n, int i, int parts) {
  const int begin = static_cast<int>(static_cast<std::int64_t>(n) * i / parts);
  const int end = static_cast<int>(static_cast<std::int64_t>(n) * (i + 1) / parts);
  return {begin, end - begin};
}

template <class V>
auto host_copy(const V& v) {
  auto h = Kokkos::create_mirror_view(v);
  Kokkos::deep_copy(h, v);
  return h;
}

}  // namespace

MeshEngine::MeshEngine(MPI_Comm comm, const MeshProgram& program) {
  if (program.width <= 0 || program.height <= 0) throw std::invalid_argument("fabric: empty mesh");
  const auto& cfg = program.config;
  if (cfg.colours < 1 || cfg.colours > fk::kMaxColours)
    throw std::invalid_argument("fabric: a program uses 1 to " + std::to_string(fk::kMaxColours) + " colours");
  if (cfg.queue_depth < 1 || cfg.queue_depth > 255 || cfg.pe_queue_depth < 1 || cfg.pe_queue_depth > 255)
    throw std::invalid_argument("fabric: queue depths must be 1..255");
  if (program.routes.empty() || program.programs.empty() || program.routes.size() > 256 || program.programs.size() > 256)
    throw std::invalid_argument("fabric: 1..256 route tables and programs");
  for (const auto& op : program.programs.front())
    if (op.kind != fk::kEnd) throw std::invalid_argument("fabric: program 0 must be empty (PEs without work)");

  int world = 1;
  MPI_Comm_size(comm, &world);
  // Rank grid: rows x columns, with more pieces across the columns. Row-wise waves (a reduction
  // front moving south, a row broadcast) then keep every rank busy; a fabric too narrow for that
  // is split the other way.
  int d[2] = {0, 0};
  MPI_Dims_create(world, 2, d);
  const int big = std::max(d[0], d[1]), small = std::min(d[0], d[1]);
  dims_ = program.width >= big ? std::array<int, 2>{small, big} : std::array<int, 2>{big, small};
  if (dims_[0] > program.height || dims_[1] > program.width)
    throw std::invalid_argument("fabric: " + std::to_string(world) + " ranks for a " + std::to_string(program.width) +
                                "x" + std::to_string(program.height) + " mesh leave a rank without PEs");
  int dims[2] = {dims_[0], dims_[1]};
  int periods[2] = {0, 0};
  MPI_Cart_create(comm, 2, dims, periods, 0, &comm_);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &ranks_);
  int coords[2] = {0, 0};
  MPI_Cart_coords(comm_, rank_, 2, coords);
  MPI_Cart_shift(comm_, 0, 1, &neighbour_[fk::kNorth], &neighbour_[fk::kSouth]);
  MPI_Cart_shift(comm_, 1, 1, &neighbour_[fk::kWest], &neighbour_[fk::kEast]);
  for (int n : neighbour_) has_neighbours_ = has_neighbours_ || n != MPI_PROC_NULL;
  skip_quiet_ = program.skip_quiet;

  const auto [gy0, ny] = split(program.height, coords[0], dims_[0]);
  const auto [gx0, nx] = split(program.width, coords[1], dims_[1]);
  // A fabric too large for the nodes' memory says so here, before anything is allocated.
  require_memory(comm_,
                 fk::fabric_state_bytes(nx, ny, cfg, static_cast<int>(program.routes.size()),
                                        static_cast<int>(program.programs.size())),
                 "the state of the " + std::to_string(program.width) + "x" + std::to_string(program.height) +
                     " PE fabric" + (cfg.check ? " (check mode)" : ""));
  s_ = fk::allocate_fabric(nx, ny, gx0, gy0, program.width, program.height, cfg,
                           static_cast<int>(program.routes.size()), static_cast<int>(program.programs.size()));

  // Tables.
  {
    auto routes = Kokkos::create_mirror_view(s_.routes);
    for (std::size_t r = 0; r < program.routes.size(); ++r)
      for (int c = 0; c < fk::kMaxColours; ++c) routes(r * fk::kMaxColours + c) = program.routes[r][c];
    Kokkos::deep_copy(s_.routes, routes);
    auto ops = Kokkos::create_mirror_view(s_.ops);
    for (std::size_t p = 0; p < program.programs.size(); ++p)
      for (int k = 0; k < fk::kMaxOps; ++k) ops(p * fk::kMaxOps + k) = program.programs[p][k];
    Kokkos::deep_copy(s_.ops, ops);
  }
  // PEs.
  {
    auto route_id = Kokkos::create_mirror_view(s_.route_id);
    auto prog_id = Kokkos::create_mirror_view(s_.prog_id);
    auto slots = Kokkos::create_mirror_view(s_.slots);
    auto finish = Kokkos::create_mirror_view(s_.finish);
    auto last = Kokkos::create_mirror_view(s_.last);
    auto apc = Kokkos::create_mirror_view(s_.apc);
    auto launch = Kokkos::create_mirror_view(s_.launch);
    auto t_start = Kokkos::create_mirror_view(s_.t_start);
    auto credit = Kokkos::create_mirror_view(s_.credit);
    auto sram = Kokkos::create_mirror_view(s_.sram);
    Kokkos::deep_copy(sram, 0.0f);
    Kokkos::deep_copy(credit, static_cast<std::uint8_t>(cfg.queue_depth));
    const std::size_t words = cfg.check ? static_cast<std::size_t>(cfg.sram_words) : 0;
    for (int ly = 0; ly < ny; ++ly) {
      for (int lx = 0; lx < nx; ++lx) {
        const std::size_t p = static_cast<std::size_t>(ly) * nx + lx;
        PeSetup pe;
        pe.sram = cfg.check ? &sram(p * words) : nullptr;
        if (program.setup) program.setup(gx0 + lx, gy0 + ly, pe);
        if (pe.route_id < 0 || pe.route_id >= static_cast<int>(program.routes.size()) || pe.prog_id < 0 ||
            pe.prog_id >= static_cast<int>(program.programs.size()))
          throw std::logic_error("fabric: PE setup names a route table or program that does not exist");
        route_id(p) = static_cast<std::uint8_t>(pe.route_id);
        prog_id(p) = static_cast<std::uint8_t>(pe.prog_id);
        for (int k = 0; k < fk::kSlots; ++k) slots(p * fk::kSlots + k) = pe.slots[static_cast<std::size_t>(k)];
        if (pe.launch < 0) throw std::logic_error("fabric: PE setup gives a negative launch cycle");
        finish(p) = pe.prog_id == 0 ? 0 : -1;
        last(p) = -1;
        launch(p) = pe.launch;
        t_start(p) = pe.launch;
        for (int t = 0; t < fk::kThreads; ++t) apc(p * fk::kThreads + t) = fk::kThreadIdle;
      }
    }
    Kokkos::deep_copy(s_.route_id, route_id);
    Kokkos::deep_copy(s_.prog_id, prog_id);
    Kokkos::deep_copy(s_.slots, slots);
    Kokkos::deep_copy(s_.finish, finish);
    Kokkos::deep_copy(s_.last, last);
    Kokkos::deep_copy(s_.apc, apc);
    Kokkos::deep_copy(s_.launch, launch);
    Kokkos::deep_copy(s_.t_start, t_start);
    Kokkos::deep_copy(s_.credit, credit);
    Kokkos::deep_copy(s_.sram, sram);
  }
  // Blocks: all active at cycle 0; the ones along a side shared with another rank are boundary.
  {
    auto boundary = Kokkos::create_mirror_view(s_.boundary);
    for (int by = 0; by < s_.nby; ++by)
      for (int bx = 0; bx < s_.nbx; ++bx)
        boundary(static_cast<std::size_t>(by) * s_.nbx + bx) =
            (by == 0 && neighbour_[fk::kNorth] != MPI_PROC_NULL) || (by == s_.nby - 1 && neighbour_[fk::kSouth] != MPI_PROC_NULL) ||
            (bx == 0 && neighbour_[fk::kWest] != MPI_PROC_NULL) || (bx == s_.nbx - 1 && neighbour_[fk::kEast] != MPI_PROC_NULL);
    Kokkos::deep_copy(s_.boundary, boundary);
    Kokkos::deep_copy(s_.active, static_cast<std::uint8_t>(1));
  }
  for (int dd = 0; dd < fk::kDirections; ++dd) {
    const std::size_t words = fk::halo_words(fk::side_length(s_, dd), cfg.check);
    send_[dd] = fk::View<std::uint32_t>("Fabric::halo_send", neighbour_[dd] == MPI_PROC_NULL ? 0 : words);
    recv_[dd] = fk::View<std::uint32_t>("Fabric::halo_recv", neighbour_[dd] == MPI_PROC_NULL ? 0 : words);
    send_host_[dd].resize(send_[dd].extent(0));
    recv_host_[dd].resize(recv_[dd].extent(0));
  }
}

MeshEngine::~MeshEngine() {
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

std::int32_t MeshEngine::compact(int which, const fk::View<std::int32_t>& list) {
  std::int32_t count = 0;
  Kokkos::parallel_scan("Fabric::compact_blocks", Range(0, static_cast<std::int64_t>(s_.nbx) * s_.nby),
                        fk::FabricCompact{s_, list, static_cast<fk::FabricCompact::Which>(which)}, count);
  return count;
}

int MeshEngine::post_halo(std::array<MPI_Request, 8>& req) {
  int nreq = 0;
  for (int d = 0; d < fk::kDirections; ++d) {
    if (neighbour_[d] == MPI_PROC_NULL) continue;
    const int len = fk::side_length(s_, d);
    Kokkos::parallel_for("Fabric::halo_pack", Range(0, len), fk::FabricHaloPack{s_, send_[d], d});
    Kokkos::View<std::uint32_t*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged> sh(send_host_[d].data(), send_host_[d].size());
    Kokkos::deep_copy(sh, send_[d]);
    MPI_Irecv(recv_host_[d].data(), static_cast<int>(recv_host_[d].size()), MPI_UINT32_T, neighbour_[d], fk::opposite(d),
              comm_, &req[static_cast<std::size_t>(nreq++)]);
    MPI_Isend(send_host_[d].data(), static_cast<int>(send_host_[d].size()), MPI_UINT32_T, neighbour_[d], d, comm_,
              &req[static_cast<std::size_t>(nreq++)]);
  }
  return nreq;
}

void MeshEngine::finish_halo(std::array<MPI_Request, 8>& req, int nreq) {
  MPI_Waitall(nreq, req.data(), MPI_STATUSES_IGNORE);
  for (int d = 0; d < fk::kDirections; ++d) {
    if (neighbour_[d] == MPI_PROC_NULL) continue;
    Kokkos::View<std::uint32_t*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged> rh(recv_host_[d].data(), recv_host_[d].size());
    Kokkos::deep_copy(recv_[d], rh);
    Kokkos::parallel_for("Fabric::halo_unpack", Range(0, fk::side_length(s_, d)), fk::FabricHaloUnpack{s_, recv_[d], d});
  }
  Kokkos::parallel_for("Fabric::ghost_in", Range(0, static_cast<std::int64_t>(s_.nbx) * s_.nby), fk::FabricGhostIn{s_});
}

void MeshEngine::exchange_halo() {
  std::array<MPI_Request, 8> req;
  const int nreq = post_halo(req);
  finish_halo(req, nreq);
}

template <bool Check>
void MeshEngine::cycle_impl(std::int32_t t) {
  // Phase 1: routers forward, PEs step.
  if (n_active_ > 0)
    Kokkos::parallel_for("Fabric::route_and_step", Range(0, static_cast<std::int64_t>(n_active_) * fk::kBlockPes),
                         fk::FabricRoutePe<Check>{s_, s_.list_active, t});
  block_steps_ += n_active_;

  // Halo: post the boundary registers to the neighbours, take the inputs of the interior meanwhile.
  std::array<MPI_Request, 8> req;
  const int nreq = has_neighbours_ ? post_halo(req) : 0;
  const std::int64_t nb = static_cast<std::int64_t>(s_.nbx) * s_.nby;
  Kokkos::parallel_for("Fabric::need", Range(0, nb), fk::FabricNeed{s_});
  const std::int32_t n_inner = compact(fk::FabricCompact::inner_need, s_.list_inner);
  if (n_inner > 0)
    Kokkos::parallel_for("Fabric::pull_inner", Range(0, static_cast<std::int64_t>(n_inner) * fk::kBlockPes),
                         fk::FabricPull<Check>{s_, s_.list_inner});
  std::int32_t n_outer = 0;
  if (has_neighbours_) {
    finish_halo(req, nreq);
    n_outer = compact(fk::FabricCompact::outer_need, s_.list_outer);
    if (n_outer > 0)
      Kokkos::parallel_for("Fabric::pull_boundary", Range(0, static_cast<std::int64_t>(n_outer) * fk::kBlockPes),
                           fk::FabricPull<Check>{s_, s_.list_outer});
  }
  // Which blocks can still change.
  if (n_inner > 0) Kokkos::parallel_for("Fabric::quiet_inner", Range(0, n_inner), fk::FabricQuiet{s_, s_.list_inner, t});
  if (n_outer > 0) Kokkos::parallel_for("Fabric::quiet_boundary", Range(0, n_outer), fk::FabricQuiet{s_, s_.list_outer, t});
  if (!skip_quiet_) {
    // Every block stays in the loop while any PE is unfinished (the reference for the skipping).
    const fk::FabricState s = s_;
    std::int32_t open = 0;
    Kokkos::parallel_reduce(
        "Fabric::count_unfinished", Range(0, s.npe()),
        KOKKOS_LAMBDA(const std::int64_t p, std::int32_t& n) { n += s.finish(p) < 0 ? 1 : 0; }, open);
    if (open > 0) Kokkos::deep_copy(s_.active, static_cast<std::uint8_t>(1));
  }
  n_active_ = compact(fk::FabricCompact::active_blocks, s_.list_active);
}

void MeshEngine::cycle(std::int32_t t) {
  if (s_.cfg.check) cycle_impl<true>(t);
  else cycle_impl<false>(t);
}

MeshStats MeshEngine::run(std::int64_t max_cycles) {
  if (max_cycles <= 0 || max_cycles > (std::int64_t(1) << 31) - 2)
    throw std::invalid_argument("fabric: max_cycles must be 1 .. 2^31 - 2");
  n_active_ = compact(fk::FabricCompact::active_blocks, s_.list_active);
  constexpr std::int32_t kCheckInterval = 64;
  MPI_Barrier(comm_);
  const auto t0 = std::chrono::steady_clock::now();
  std::int32_t t = 0;
  std::int64_t unfinished = 0;
  while (true) {
    cycle(t);
    ++t;
    if (t % kCheckInterval == 0 || t >= max_cycles) {
      std::int64_t local[2] = {n_active_, 0};
      std::int64_t errors = 0;
      Kokkos::deep_copy(errors, Kokkos::subview(s_.errors, 0));
      local[1] = errors;
      std::int64_t global[2] = {0, 0};
      MPI_Allreduce(local, global, 2, MPI_INT64_T, MPI_SUM, comm_);
      if (global[1] > 0)
        throw std::runtime_error("fabric: " + std::to_string(global[1]) +
                                 " wavelet(s) misrouted or overflowed a queue by cycle " + std::to_string(t) +
                                 " (a program generator bug)");
      if (global[0] == 0) break;
      if (t >= max_cycles)
        throw std::runtime_error("fabric: the program did not finish within " + std::to_string(max_cycles) +
                                 " cycles; rank " + std::to_string(rank_) + ": " + describe_unfinished(4));
    }
  }
  const double wall_local = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  end_cycle_ = t;

  // Catch up the stall counters of PEs that ended quiet and unfinished (none when finished).
  {
    const fk::FabricState s = s_;
    const std::int32_t end = t;
    Kokkos::parallel_reduce(
        "Fabric::flush_counters", Range(0, s.npe()),
        KOKKOS_LAMBDA(const std::int64_t p, std::int64_t& open) {
          if (s.finish(p) < 0) {
            s.stall_in(p) += static_cast<std::uint32_t>(end - 1 - s.last(p));
            s.last(p) = end - 1;
            ++open;
          }
        },
        unfinished);
  }
  MeshStats st;
  {
    const fk::FabricState s = s_;
    std::int64_t sums[7] = {0, 0, 0, 0, 0, 0, 0};
    std::int64_t maxf = 0;
    Kokkos::parallel_reduce(
        "Fabric::sum_busy", Range(0, s.npe()), KOKKOS_LAMBDA(const std::int64_t p, std::int64_t& v) { v += s.busy(p); },
        sums[0]);
    Kokkos::parallel_reduce(
        "Fabric::sum_stall_in", Range(0, s.npe()),
        KOKKOS_LAMBDA(const std::int64_t p, std::int64_t& v) { v += s.stall_in(p); }, sums[1]);
    Kokkos::parallel_reduce(
        "Fabric::sum_stall_out", Range(0, s.npe()),
        KOKKOS_LAMBDA(const std::int64_t p, std::int64_t& v) { v += s.stall_out(p); }, sums[2]);
    Kokkos::parallel_reduce(
        "Fabric::count_programs", Range(0, s.npe()),
        KOKKOS_LAMBDA(const std::int64_t p, std::int64_t& v) { v += s.prog_id(p) != 0 ? 1 : 0; }, sums[3]);
    Kokkos::parallel_reduce(
        "Fabric::sum_timer_span", Range(0, s.npe()),
        KOKKOS_LAMBDA(const std::int64_t p, std::int64_t& v) { v += s.prog_id(p) != 0 ? s.finish(p) + 1 - s.t_start(p) : 0; },
        sums[4]);
    std::int64_t start_min = std::numeric_limits<std::int64_t>::max();
    Kokkos::parallel_reduce(
        "Fabric::first_start", Range(0, s.npe()),
        KOKKOS_LAMBDA(const std::int64_t p, std::int64_t& m) {
          if (s.prog_id(p) != 0 && s.t_start(p) < m) m = s.t_start(p);
        },
        Kokkos::Min<std::int64_t>(start_min));
    Kokkos::parallel_reduce(
        "Fabric::last_finish", Range(0, s.npe()),
        KOKKOS_LAMBDA(const std::int64_t p, std::int64_t& m) {
          if (s.finish(p) + 1 > m) m = s.finish(p) + 1;
        },
        Kokkos::Max<std::int64_t>(maxf));
    std::int64_t edge = 0;
    Kokkos::deep_copy(edge, Kokkos::subview(s.edge_out, 0));
    sums[5] = edge;
    sums[6] = unfinished;
    std::int64_t g[7];
    MPI_Allreduce(sums, g, 7, MPI_INT64_T, MPI_SUM, comm_);
    std::int64_t gmax = 0;
    MPI_Allreduce(&maxf, &gmax, 1, MPI_INT64_T, MPI_MAX, comm_);
    std::int64_t gstart = 0;
    MPI_Allreduce(&start_min, &gstart, 1, MPI_INT64_T, MPI_MIN, comm_);
    std::int64_t steps = 0;
    MPI_Allreduce(&block_steps_, &steps, 1, MPI_INT64_T, MPI_SUM, comm_);
    double wall = 0;
    MPI_Allreduce(&wall_local, &wall, 1, MPI_DOUBLE, MPI_MAX, comm_);
    if (g[6] > 0)
      throw std::runtime_error("fabric: deadlock: " + std::to_string(g[6]) + " PE(s) wait for wavelets that never come (cycle " +
                               std::to_string(t) + "); rank " + std::to_string(rank_) + ": " + describe_unfinished(4));
    st.cycles = gmax;
    st.simulated_cycles = t;
    st.pes = static_cast<std::int64_t>(s.gw) * s.gh;
    st.program_pes = g[3];
    st.span_sum = g[4];
    st.start_min = g[3] > 0 ? gstart : 0;
    st.busy = g[0];
    st.stall_in = g[1];
    st.stall_out = g[2];
    // Stall counters can run past the last finish only in the quiet tail, which has none.
    st.idle = st.cycles * st.pes - st.busy - st.stall_in - st.stall_out;
    st.block_steps = steps;
    st.edge_out = g[5];
    st.wall_s = wall;
    st.ranks = ranks_;
    st.dims = dims_;
  }
  return st;
}

std::string MeshEngine::describe_unfinished(int max_items) const {
  auto finish = host_copy(s_.finish);
  auto pc = host_copy(s_.pc);
  auto opi = host_copy(s_.opi);
  auto opj = host_copy(s_.opj);
  auto apc = host_copy(s_.apc);
  auto loop = host_copy(s_.loop);
  auto busy_left = host_copy(s_.busy_left);
  auto pq = host_copy(s_.pq);
  auto rq = host_copy(s_.rq);
  auto prog = host_copy(s_.prog_id);
  auto ops = host_copy(s_.ops);
  const int C = s_.cfg.colours;
  std::string out;
  int shown = 0;
  for (int p = 0; p < s_.npe() && shown < max_items; ++p) {
    if (finish(p) >= 0) continue;
    const auto& op = ops(static_cast<std::size_t>(prog(p)) * fk::kMaxOps + pc(p));
    out += "PE(" + std::to_string(s_.gx0 + p % s_.nx) + "," + std::to_string(s_.gy0 + p / s_.nx) + ") op " +
           std::to_string(pc(p)) + " kind " + std::to_string(op.kind) + " progress " + std::to_string(opi(p)) + "/" +
           std::to_string(opj(p)) + " loops " + std::to_string(loop(p * fk::kCounters)) + "/" +
           std::to_string(loop(p * fk::kCounters + 1)) + " busy " + std::to_string(busy_left(p)) + " microthreads";
    for (int t = 0; t < fk::kThreads; ++t) {
      const int a = apc(p * fk::kThreads + t);
      out += a == fk::kThreadIdle ? " -" : " " + std::to_string(a);
    }
    out += " pe_queues";
    for (int c = 0; c < C; ++c) out += " " + std::to_string(pq(static_cast<std::size_t>(p) * C + c));
    out += " router_queues";
    for (int c = 0; c < C; ++c) out += " " + std::to_string(rq(static_cast<std::size_t>(p) * C + c));
    out += "; ";
    ++shown;
  }
  return out;
}

std::vector<std::int64_t> MeshEngine::gather(Field field) const {
  std::vector<std::int64_t> local(static_cast<std::size_t>(s_.npe()));
  switch (field) {
    case Field::busy: {
      auto h = host_copy(s_.busy);
      for (std::size_t i = 0; i < local.size(); ++i) local[i] = h(i);
      break;
    }
    case Field::stall_in: {
      auto h = host_copy(s_.stall_in);
      for (std::size_t i = 0; i < local.size(); ++i) local[i] = h(i);
      break;
    }
    case Field::stall_out: {
      auto h = host_copy(s_.stall_out);
      for (std::size_t i = 0; i < local.size(); ++i) local[i] = h(i);
      break;
    }
    case Field::finish: {
      auto h = host_copy(s_.finish);
      for (std::size_t i = 0; i < local.size(); ++i) local[i] = h(i);
      break;
    }
  }
  const int n = s_.npe();
  std::vector<int> counts(static_cast<std::size_t>(ranks_)), displs(static_cast<std::size_t>(ranks_));
  MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm_);
  int box[4] = {s_.gx0, s_.gy0, s_.nx, s_.ny};
  std::vector<int> boxes(static_cast<std::size_t>(4 * ranks_));
  MPI_Gather(box, 4, MPI_INT, boxes.data(), 4, MPI_INT, 0, comm_);
  std::vector<std::int64_t> all;
  if (rank_ == 0) {
    int off = 0;
    for (int r = 0; r < ranks_; ++r) {
      displs[static_cast<std::size_t>(r)] = off;
      off += counts[static_cast<std::size_t>(r)];
    }
    all.resize(static_cast<std::size_t>(off));
  }
  MPI_Gatherv(local.data(), n, MPI_INT64_T, all.data(), counts.data(), displs.data(), MPI_INT64_T, 0, comm_);
  std::vector<std::int64_t> global;
  if (rank_ == 0) {
    global.assign(static_cast<std::size_t>(s_.gw) * static_cast<std::size_t>(s_.gh), 0);
    for (int r = 0; r < ranks_; ++r) {
      const int* b = &boxes[static_cast<std::size_t>(4 * r)];
      for (int ly = 0; ly < b[3]; ++ly)
        for (int lx = 0; lx < b[2]; ++lx)
          global[static_cast<std::size_t>(b[1] + ly) * static_cast<std::size_t>(s_.gw) + static_cast<std::size_t>(b[0] + lx)] =
              all[static_cast<std::size_t>(displs[static_cast<std::size_t>(r)] + ly * b[2] + lx)];
    }
  }
  return global;
}

std::vector<std::pair<std::int64_t, std::vector<float>>> MeshEngine::gather_sram(
    const std::function<bool(int gx, int gy)>& select) const {
  const std::size_t words = static_cast<std::size_t>(s_.cfg.sram_words);
  if (!s_.cfg.check) throw std::logic_error("fabric: SRAM images exist in check mode only");
  auto sram = host_copy(s_.sram);
  std::vector<float> payload;
  std::vector<std::int64_t> keys;
  for (int ly = 0; ly < s_.ny; ++ly)
    for (int lx = 0; lx < s_.nx; ++lx) {
      const int gx = s_.gx0 + lx, gy = s_.gy0 + ly;
      if (!select(gx, gy)) continue;
      keys.push_back(static_cast<std::int64_t>(gy) * s_.gw + gx);
      const std::size_t p = static_cast<std::size_t>(ly) * s_.nx + lx;
      for (std::size_t w = 0; w < words; ++w) payload.push_back(sram(p * words + w));
    }
  const int nk = static_cast<int>(keys.size());
  std::vector<int> counts(static_cast<std::size_t>(ranks_)), displs(static_cast<std::size_t>(ranks_));
  MPI_Gather(&nk, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm_);
  std::vector<std::int64_t> all_keys;
  std::vector<float> all_payload;
  std::vector<int> pcounts(static_cast<std::size_t>(ranks_)), pdispls(static_cast<std::size_t>(ranks_));
  int total = 0;
  if (rank_ == 0) {
    for (int r = 0; r < ranks_; ++r) {
      displs[static_cast<std::size_t>(r)] = total;
      pcounts[static_cast<std::size_t>(r)] = counts[static_cast<std::size_t>(r)] * static_cast<int>(words);
      pdispls[static_cast<std::size_t>(r)] = total * static_cast<int>(words);
      total += counts[static_cast<std::size_t>(r)];
    }
    all_keys.resize(static_cast<std::size_t>(total));
    all_payload.resize(static_cast<std::size_t>(total) * words);
  }
  MPI_Gatherv(keys.data(), nk, MPI_INT64_T, all_keys.data(), counts.data(), displs.data(), MPI_INT64_T, 0, comm_);
  MPI_Gatherv(payload.data(), nk * static_cast<int>(words), MPI_FLOAT, all_payload.data(), pcounts.data(), pdispls.data(),
              MPI_FLOAT, 0, comm_);
  std::vector<std::pair<std::int64_t, std::vector<float>>> out;
  for (int i = 0; i < total; ++i)
    out.emplace_back(all_keys[static_cast<std::size_t>(i)],
                     std::vector<float>(all_payload.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(i) * words),
                                        all_payload.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(i + 1) * words)));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace wb::sim
