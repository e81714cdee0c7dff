#include "sim/mesh_engine.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include "kernels/fabric_cycle.hpp"
#include "kernels/fabric_halo.hpp"
#include "sim/memory_budget.hpp"

namespace wb::sim {

namespace {

using Range = Kokkos::RangePolicy<fk::ExecSpace, Kokkos::IndexType<std::int64_t>>;
using Blocks = Kokkos::RangePolicy<fk::ExecSpace, Kokkos::IndexType<int>>;

// Cycles between termination tests (an all-reduce of active blocks and errors); the cycle count
// is exact whatever the period, which bounds the halo depth.
constexpr std::int32_t kCheckInterval = 64;
// L2 bytes per core when the C library does not say (the smaller of current server cores').
constexpr long kDefaultL2Bytes = 1L << 20;

// Cycles per wavefront (MeshEngine::epoch): as many, up to the epoch, as keep its band of
// kSweepLag rows per cycle (and the 3 rows around it) of `row_bytes` within 3/4 of a core's L2.
int wave_levels(double row_bytes, int epoch) {
  long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  if (l2 <= 0) l2 = kDefaultL2Bytes;
  const double rows = 0.75 * static_cast<double>(l2) / row_bytes;
  const int levels = static_cast<int>((rows - 3) / fk::kSweepLag);
  return std::clamp(levels, 1, epoch);
}

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
  const int want = program.halo_depth > 0 ? program.halo_depth : kDefaultHaloDepth;
  if (want > kCheckInterval || (want & (want - 1)) != 0)
    throw std::invalid_argument("fabric: halo_depth must be a power of two up to " + std::to_string(kCheckInterval));

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

  const auto [oy, ny] = split(program.height, coords[0], dims_[0]);
  const auto [ox, nx] = split(program.width, coords[1], dims_[1]);
  // Ghost PEs come from the next rank only: the depth is at most the narrowest part across a split.
  int limit = std::numeric_limits<int>::max();
  if (dims_[1] > 1) limit = std::min(limit, nx);
  if (dims_[0] > 1) limit = std::min(limit, ny);
  int global_limit = limit;
  MPI_Allreduce(&limit, &global_limit, 1, MPI_INT, MPI_MIN, comm_);
  depth_ = want;
  while (depth_ > global_limit) depth_ /= 2;
  const auto ghost = [&](int dir) { return neighbour_[static_cast<std::size_t>(dir)] != MPI_PROC_NULL ? depth_ : 0; };
  const int gl = ghost(fk::kWest), gr = ghost(fk::kEast), gt = ghost(fk::kNorth), gb = ghost(fk::kSouth);
  // A fabric too large for the nodes' memory says so here, before anything is allocated.
  require_memory(comm_,
                 static_cast<double>(fk::fabric_arena_bytes(nx + gl + gr, ny + gt + gb, cfg,
                                                            static_cast<int>(program.programs.size()))),
                 "the state of the " + std::to_string(program.width) + "x" + std::to_string(program.height) +
                     " PE fabric" + (cfg.check ? " (check mode)" : ""));
  arena_ = fk::allocate_fabric(nx + gl + gr, ny + gt + gb, cfg, static_cast<int>(program.programs.size()));
  wave_levels_ = program.wave_levels > 0
                     ? std::min(program.wave_levels, depth_)
                     : wave_levels(static_cast<double>(arena_.bytes.extent(0)) / (ny + gt + gb + 2), depth_);
  s_ = arena_.state;
  s_.ox0 = gl;
  s_.oy0 = gt;
  s_.nx = nx;
  s_.ny = ny;
  s_.gx0 = ox - gl;
  s_.gy0 = oy - gt;
  s_.gw = program.width;
  s_.gh = program.height;
  arena_.state = s_;

  {
    auto ops = Kokkos::create_mirror_view(s_.ops);
    for (std::size_t p = 0; p < program.programs.size(); ++p)
      for (int k = 0; k < fk::kMaxOps; ++k) ops(p * fk::kMaxOps + k) = program.programs[p][k];
    Kokkos::deep_copy(s_.ops, ops);
  }
  // PEs: own and ghost (the program generator describes any PE alike).
  {
    auto prog_id = Kokkos::create_mirror_view(s_.prog_id);
    auto slots = Kokkos::create_mirror_view(s_.slots);
    auto tx = Kokkos::create_mirror_view(s_.route_tx);
    auto rx = Kokkos::create_mirror_view(s_.route_rx);
    auto launch = Kokkos::create_mirror_view(s_.launch);
    auto finish = Kokkos::create_mirror_view(s_.finish);
    auto last = Kokkos::create_mirror_view(s_.last);
    auto core = Kokkos::create_mirror_view(s_.core);
    auto mode = Kokkos::create_mirror_view(s_.mode);
    auto credit = Kokkos::create_mirror_view(s_.credit);
    auto sram = Kokkos::create_mirror_view(s_.sram);
    Kokkos::deep_copy(sram, 0.0f);
    Kokkos::deep_copy(credit, static_cast<std::uint8_t>(cfg.queue_depth));
    Kokkos::deep_copy(rx, fk::kNoPort);
    Kokkos::deep_copy(finish, 0);
    const std::size_t words = cfg.check ? static_cast<std::size_t>(cfg.sram_words) : 0;
    const std::size_t C = static_cast<std::size_t>(cfg.colours);
    for (int ly = 0; ly < s_.ey; ++ly) {
      for (int lx = 0; lx < s_.ex; ++lx) {
        const std::size_t p = s_.index(lx, ly);
        PeSetup pe;
        pe.sram = cfg.check ? &sram(p * words) : nullptr;
        if (program.setup) program.setup(s_.gx0 + lx, s_.gy0 + ly, pe);
        if (pe.route_id < 0 || pe.route_id >= static_cast<int>(program.routes.size()) || pe.prog_id < 0 ||
            pe.prog_id >= static_cast<int>(program.programs.size()))
          throw std::logic_error("fabric: PE setup names a route table or program that does not exist");
        if (pe.launch < 0) throw std::logic_error("fabric: PE setup gives a negative launch cycle");
        const auto& routes = program.routes[static_cast<std::size_t>(pe.route_id)];
        for (std::size_t c = 0; c < C; ++c) {
          const fk::Route r = routes[c];
          tx(c * s_.plane + p) = r.tx;
          rx(c * s_.plane + p) = r.rx >= 0 ? static_cast<std::uint8_t>(r.rx) : fk::kNoPort;
        }
        prog_id(p) = static_cast<std::uint8_t>(pe.prog_id);
        for (int k = 0; k < fk::kSlots; ++k) slots(static_cast<std::size_t>(k) * s_.plane + p) = pe.slots[static_cast<std::size_t>(k)];
        finish(p) = pe.prog_id == 0 ? 0 : -1;
        last(p) = -1;
        launch(p) = pe.launch;
        core(p) = fk::PeCore{};
        core(p).t_start = pe.launch;
        mode(p) = fk::kModeRun;
      }
    }
    Kokkos::deep_copy(s_.prog_id, prog_id);
    Kokkos::deep_copy(s_.slots, slots);
    Kokkos::deep_copy(s_.route_tx, tx);
    Kokkos::deep_copy(s_.route_rx, rx);
    Kokkos::deep_copy(s_.launch, launch);
    Kokkos::deep_copy(s_.finish, finish);
    Kokkos::deep_copy(s_.last, last);
    Kokkos::deep_copy(s_.core, core);
    Kokkos::deep_copy(s_.mode, mode);
    Kokkos::deep_copy(s_.credit, credit);
    Kokkos::deep_copy(s_.sram, sram);
  }
  // Blocks: all active before cycle 0 (generation of cycle -1); ghost blocks marked.
  {
    const std::size_t nb = static_cast<std::size_t>(s_.blocks());
    auto active = Kokkos::create_mirror_view(s_.active);
    auto ghost_block = Kokkos::create_mirror_view(s_.ghost_block);
    for (std::size_t b = 0; b < nb; ++b) {
      active(b) = 0;
      active(nb + b) = 1;
      const int bx = static_cast<int>(b % static_cast<std::size_t>(s_.nbx)), by = static_cast<int>(b / static_cast<std::size_t>(s_.nbx));
      const int x0 = bx * fk::kBlockWidth, x1 = std::min(x0 + fk::kBlockWidth, s_.ex);
      const int y0 = by * fk::kBlockHeight, y1 = std::min(y0 + fk::kBlockHeight, s_.ey);
      ghost_block(b) = (x0 < s_.ox0 || x1 > s_.ox0 + s_.nx || y0 < s_.oy0 || y1 > s_.oy0 + s_.ny) ? 1 : 0;
    }
    Kokkos::deep_copy(s_.active, active);
    Kokkos::deep_copy(s_.ghost_block, ghost_block);
  }
  if (has_neighbours_) halo_ = MeshHalo(comm_, s_, neighbour_, depth_);
}

MeshEngine::~MeshEngine() {
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

void MeshEngine::exchange_halo() {
  if (has_neighbours_) halo_.exchange(s_);
}

// Cycles [t0, t1) of every local PE: wavefronts of up to wave_levels_ cycles, each a series of
// sweeps over the block rows (fk::FabricSweep: the order the two phases need). A wavefront keeps
// about kSweepLag * levels rows in flight; wave_levels() sizes it to the core's L2, so the rows
// are read from memory once per wavefront rather than once per cycle.
template <bool Check>
void MeshEngine::epoch(std::int32_t t0, std::int32_t t1, bool force) {
  for (std::int32_t w0 = t0; w0 < t1; w0 += wave_levels_) {
    const int levels = static_cast<int>(std::min<std::int32_t>(wave_levels_, t1 - w0));
    const Blocks items(0, 2 * s_.nbx * levels);
    const int sweeps = fk::FabricSweep<Check>::count(s_, levels);
    for (int sweep = 0; sweep < sweeps; ++sweep)
      Kokkos::parallel_for("Fabric::sweep", items, fk::FabricSweep<Check>{s_, sweep, w0, force});
  }
}

std::int64_t MeshEngine::owned_active_blocks(std::int32_t t) const {
  const fk::FabricState s = s_;
  const std::size_t base = static_cast<std::size_t>(t & 1) * static_cast<std::size_t>(s.blocks());
  std::int64_t n = 0;
  Kokkos::parallel_reduce(
      "Fabric::count_active", Range(0, s.blocks()),
      KOKKOS_LAMBDA(const std::int64_t b, std::int64_t& v) { v += s.owned_active(base + static_cast<std::size_t>(b)); }, n);
  return n;
}

MeshStats MeshEngine::run(std::int64_t max_cycles) {
  if (max_cycles <= 0 || max_cycles > (std::int64_t(1) << 31) - 2)
    throw std::invalid_argument("fabric: max_cycles must be 1 .. 2^31 - 2");
  const fk::FabricState s = s_;
  // Owned PE j of this rank (row-major over its nx x ny part).
  const auto owned_pe = KOKKOS_LAMBDA(const std::int64_t j) {
    return s.index(s.ox0 + static_cast<int>(j % s.nx), s.oy0 + static_cast<int>(j / s.nx));
  };
  const std::int64_t owned = static_cast<std::int64_t>(s.nx) * s.ny;
  MPI_Barrier(comm_);
  const auto t0 = std::chrono::steady_clock::now();
  std::int32_t t = 0;
  std::int64_t unfinished = 0;
  while (true) {
    const std::int32_t end = static_cast<std::int32_t>(std::min<std::int64_t>(t + depth_, max_cycles));
    if (has_neighbours_) {
      halo_.exchange(s_);
      // Ghost blocks start the epoch active: stepping them rewrites their link registers.
      const std::size_t base = static_cast<std::size_t>((t - 1) & 1) * static_cast<std::size_t>(s.blocks());
      Kokkos::parallel_for(
          "Fabric::wake_ghosts", Range(0, s.blocks()), KOKKOS_LAMBDA(const std::int64_t b) {
            if (s.ghost_block(static_cast<std::size_t>(b))) s.active(base + static_cast<std::size_t>(b)) = 1;
          });
    }
    bool force = false;
    if (!skip_quiet_) {
      // Every block stays in the loop while any PE is unfinished (the reference for the skipping).
      std::int64_t open = 0;
      Kokkos::parallel_reduce(
          "Fabric::count_unfinished", Range(0, owned),
          KOKKOS_LAMBDA(const std::int64_t j, std::int64_t& n) { n += s.finish(owned_pe(j)) < 0 ? 1 : 0; }, open);
      force = open > 0;
    }
    if (s_.cfg.check) epoch<true>(t, end, force);
    else epoch<false>(t, end, force);
    t = end;
    if (t % kCheckInterval == 0 || t >= max_cycles) {
      std::int64_t local[2] = {owned_active_blocks(t - 1), 0};
      Kokkos::deep_copy(local[1], Kokkos::subview(s_.errors, 0));
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
    const std::int32_t last_cycle = t - 1;
    Kokkos::parallel_reduce(
        "Fabric::flush_counters", Range(0, owned),
        KOKKOS_LAMBDA(const std::int64_t j, std::int64_t& open) {
          const std::size_t p = owned_pe(j);
          if (s.finish(p) < 0) {
            s.stall_in(p) += static_cast<std::uint32_t>(last_cycle - s.last(p));
            s.last(p) = last_cycle;
            ++open;
          }
        },
        unfinished);
  }
  MeshStats st;
  std::int64_t sums[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::int64_t maxf = 0;
  Kokkos::parallel_reduce(
      "Fabric::sum_busy", Range(0, owned), KOKKOS_LAMBDA(const std::int64_t j, std::int64_t& v) { v += s.busy(owned_pe(j)); },
      sums[0]);
  Kokkos::parallel_reduce(
      "Fabric::sum_stall_in", Range(0, owned),
      KOKKOS_LAMBDA(const std::int64_t j, std::int64_t& v) { v += s.stall_in(owned_pe(j)); }, sums[1]);
  Kokkos::parallel_reduce(
      "Fabric::sum_stall_out", Range(0, owned),
      KOKKOS_LAMBDA(const std::int64_t j, std::int64_t& v) { v += s.stall_out(owned_pe(j)); }, sums[2]);
  Kokkos::parallel_reduce(
      "Fabric::count_programs", Range(0, owned),
      KOKKOS_LAMBDA(const std::int64_t j, std::int64_t& v) { v += s.prog_id(owned_pe(j)) != 0 ? 1 : 0; }, sums[3]);
  Kokkos::parallel_reduce(
      "Fabric::sum_timer_span", Range(0, owned),
      KOKKOS_LAMBDA(const std::int64_t j, std::int64_t& v) {
        const std::size_t p = owned_pe(j);
        v += s.prog_id(p) != 0 ? s.finish(p) + 1 - s.core(p).t_start : 0;
      },
      sums[4]);
  std::int64_t start_min = std::numeric_limits<std::int64_t>::max();
  Kokkos::parallel_reduce(
      "Fabric::first_start", Range(0, owned),
      KOKKOS_LAMBDA(const std::int64_t j, std::int64_t& m) {
        const std::size_t p = owned_pe(j);
        if (s.prog_id(p) != 0 && s.core(p).t_start < m) m = s.core(p).t_start;
      },
      Kokkos::Min<std::int64_t>(start_min));
  Kokkos::parallel_reduce(
      "Fabric::last_finish", Range(0, owned),
      KOKKOS_LAMBDA(const std::int64_t j, std::int64_t& m) {
        const std::size_t p = owned_pe(j);
        if (s.finish(p) + 1 > m) m = s.finish(p) + 1;
      },
      Kokkos::Max<std::int64_t>(maxf));
  Kokkos::deep_copy(sums[5], Kokkos::subview(s_.edge_out, 0));
  sums[6] = unfinished;
  Kokkos::deep_copy(sums[7], Kokkos::subview(s_.block_steps, 0));
  std::int64_t g[8];
  MPI_Allreduce(sums, g, 8, MPI_INT64_T, MPI_SUM, comm_);
  std::int64_t gmax = 0;
  MPI_Allreduce(&maxf, &gmax, 1, MPI_INT64_T, MPI_MAX, comm_);
  std::int64_t gstart = 0;
  MPI_Allreduce(&start_min, &gstart, 1, MPI_INT64_T, MPI_MIN, comm_);
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
  st.block_steps = g[7];
  st.edge_out = g[5];
  st.wall_s = wall;
  st.ranks = ranks_;
  st.dims = dims_;
  st.halo_depth = depth_;
  return st;
}

std::string MeshEngine::describe_unfinished(int max_items) const {
  auto finish = host_copy(s_.finish);
  auto core = host_copy(s_.core);
  auto busy_left = host_copy(s_.busy_left);
  auto pq = host_copy(s_.pe_queue);
  auto rq = host_copy(s_.router_queue);
  auto prog = host_copy(s_.prog_id);
  auto ops = host_copy(s_.ops);
  const int C = s_.cfg.colours;
  std::string out;
  int shown = 0;
  for (int ly = s_.oy0; ly < s_.oy0 + s_.ny && shown < max_items; ++ly)
    for (int lx = s_.ox0; lx < s_.ox0 + s_.nx && shown < max_items; ++lx) {
      const std::size_t p = s_.index(lx, ly);
      if (finish(p) >= 0) continue;
      const fk::PeCore& k = core(p);
      const auto& op = ops(static_cast<std::size_t>(prog(p)) * fk::kMaxOps + k.pc);
      out += "PE(" + std::to_string(s_.gx0 + lx) + "," + std::to_string(s_.gy0 + ly) + ") op " + std::to_string(k.pc) +
             " kind " + std::to_string(op.kind) + " progress " + std::to_string(k.opi) + "/" + std::to_string(k.opj) +
             " loops " + std::to_string(k.loop[0]) + "/" + std::to_string(k.loop[1]) + " busy " +
             std::to_string(busy_left(p)) + " microthreads";
      for (int t = 0; t < fk::kThreads; ++t) out += k.apc[t] == fk::kThreadIdle ? " -" : " " + std::to_string(k.apc[t]);
      out += " pe_queues";
      for (int c = 0; c < C; ++c) out += " " + std::to_string(pq(static_cast<std::size_t>(c) * s_.plane + p));
      out += " router_queues";
      for (int c = 0; c < C; ++c) out += " " + std::to_string(rq(static_cast<std::size_t>(c) * s_.plane + p));
      out += "; ";
      ++shown;
    }
  return out;
}

std::vector<std::int64_t> MeshEngine::gather(Field field) const {
  std::vector<std::int64_t> local(static_cast<std::size_t>(s_.nx) * static_cast<std::size_t>(s_.ny));
  auto take = [&](const auto& view) {
    auto h = host_copy(view);
    std::size_t i = 0;
    for (int ly = s_.oy0; ly < s_.oy0 + s_.ny; ++ly)
      for (int lx = s_.ox0; lx < s_.ox0 + s_.nx; ++lx) local[i++] = static_cast<std::int64_t>(h(s_.index(lx, ly)));
  };
  switch (field) {
    case Field::busy: take(s_.busy); break;
    case Field::stall_in: take(s_.stall_in); break;
    case Field::stall_out: take(s_.stall_out); break;
    case Field::finish: take(s_.finish); break;
  }
  const int n = s_.nx * s_.ny;
  std::vector<int> counts(static_cast<std::size_t>(ranks_)), displs(static_cast<std::size_t>(ranks_));
  MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm_);
  int box[4] = {s_.gx0 + s_.ox0, s_.gy0 + s_.oy0, s_.nx, s_.ny};
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
  for (int ly = s_.oy0; ly < s_.oy0 + s_.ny; ++ly)
    for (int lx = s_.ox0; lx < s_.ox0 + s_.nx; ++lx) {
      const int gx = s_.gx0 + lx, gy = s_.gy0 + ly;
      if (!select(gx, gy)) continue;
      keys.push_back(static_cast<std::int64_t>(gy) * s_.gw + gx);
      const std::size_t p = s_.index(lx, ly);
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
