#pragma once
// The state of a rectangle of PEs (one rank's block of the fabric), structure-of-arrays in Kokkos
// Views. Per-PE arrays are indexed p = ly * nx + lx. Link registers and credit returns live on a
// padded grid ((nx + 2) x (ny + 2)) whose ring holds the neighbours' registers (the halo), so the
// pull phase reads every neighbour the same way.
//
// Timing mode keeps queue occupancies only (one byte per queue); check mode adds the wavelet
// values and tags and an SRAM image per PE.
#include <Kokkos_Core.hpp>
#include <cstdint>

#include "kernels/fabric_types.hpp"

namespace wb::kernels::fabric {

using ExecSpace = Kokkos::DefaultExecutionSpace;

template <class T>
using View = Kokkos::View<T*, ExecSpace::memory_space>;

struct FabricState {
  int nx = 0, ny = 0;     // local PEs
  int gx0 = 0, gy0 = 0;   // global coordinates of local PE (0, 0)
  int gw = 0, gh = 0;     // global fabric
  int nbx = 0, nby = 0;   // activity blocks
  FabricConfig cfg;

  // Program tables (shared by all PEs).
  View<Route> routes;  // [route_id * kMaxColours + colour]
  View<Op> ops;        // [prog_id * kMaxOps + pc]

  // Static per-PE data.
  View<std::uint8_t> route_id;
  View<std::uint8_t> prog_id;
  View<std::int32_t> slots;  // [p * kSlots + s]

  // Router: input queue occupancy per colour, credits per (direction, colour).
  View<std::uint8_t> rq;      // [p * C + c]
  View<std::uint8_t> credit;  // [(p * 4 + d) * C + c]
  // PE input queues (ramp down) per colour.
  View<std::uint8_t> pq;  // [p * C + c]
  // Link registers (colour + 1 sent towards d, 0 = none) and credit returns (bit per colour
  // popped from a queue fed from d), on the padded grid.
  View<std::uint8_t> out;    // [pp * 4 + d]
  View<ColourMask> cret;     // [pp * 4 + d]

  // PE execution state.
  View<std::uint8_t> pc;       // main thread: current op
  View<std::uint8_t> act;      // main op activated
  View<std::int32_t> opi;      // main op progress
  View<std::int32_t> opj;      // ... second counter (kStreamGemm: progress within an output)
  View<std::int32_t> opk;      // ... third counter (kStreamGemm: weights expected + 1, 0 = unknown)
  View<std::int32_t> busy_left;
  View<std::uint8_t> apc;      // microthreads [p * kThreads + t]: op index, kThreadIdle when idle
  View<std::int32_t> aopi;     // ... op progress
  View<std::int32_t> abusy;    // ... cycles left on the current wavelet
  View<std::int32_t> loop;     // loop counters [p * kCounters + k]
  View<std::int32_t> launch;   // cycle the kernel's launch reaches the PE (it runs nothing before)
  View<std::int32_t> t_start;  // cycle the PE's timed region began (launch, or a kTimer op)
  View<std::int32_t> finish;   // cycle the PE finished its program, -1 while running
  View<std::int32_t> last;     // last cycle the PE was stepped (lazy counters of quiet PEs)

  // Counters.
  View<std::uint32_t> busy;
  View<std::uint32_t> stall_in;
  View<std::uint32_t> stall_out;
  View<std::int64_t> edge_out;  // wavelets that left the global fabric edge (one entry)
  View<std::int64_t> errors;    // misrouted wavelets or queue overflow (one entry)

  // Check mode.
  View<float> rqv;
  View<std::int32_t> rqt;
  View<std::uint8_t> rqh;  // ring head per queue
  View<float> pqv;
  View<std::int32_t> pqt;
  View<std::uint8_t> pqh;
  View<float> outv;        // [pp * 4 + d]
  View<std::int32_t> outt;
  View<float> sram;        // [p * sram_words + w]

  // Activity blocks.
  View<std::uint8_t> active;      // block had a non-quiet PE at the end of the last cycle
  View<std::uint8_t> need;        // block takes part in the pull phase this cycle
  View<std::uint8_t> ghost_in;    // a halo register next to the block is non-empty
  View<std::uint8_t> boundary;    // block touches an edge shared with another rank
  View<std::int32_t> list_active;
  View<std::int32_t> list_inner;
  View<std::int32_t> list_outer;

  KOKKOS_INLINE_FUNCTION int npe() const { return nx * ny; }
  KOKKOS_INLINE_FUNCTION int padded(int lx, int ly) const { return (ly + 1) * (nx + 2) + (lx + 1); }
  KOKKOS_INLINE_FUNCTION int block_of(int lx, int ly) const { return (ly / kBlockHeight) * nbx + lx / kBlockWidth; }
  KOKKOS_INLINE_FUNCTION std::int32_t arg(int p, std::int32_t v) const {
    return v >= 0 ? v : slots(static_cast<std::size_t>(p) * kSlots + static_cast<std::size_t>(-1 - v));
  }
};

// Bytes allocate_fabric() takes for a local block of nx x ny PEs (every View below, one term
// each), to ask whether it fits before allocating it.
inline double fabric_state_bytes(int nx, int ny, const FabricConfig& cfg, int n_routes, int n_programs) {
  const double n = static_cast<double>(nx) * ny, np = static_cast<double>(nx + 2) * (ny + 2);
  const double C = cfg.colours;
  const double nb = static_cast<double>((nx + kBlockWidth - 1) / kBlockWidth) * ((ny + kBlockHeight - 1) / kBlockHeight);
  const double tables = static_cast<double>(n_routes) * kMaxColours * sizeof(Route) +
                        static_cast<double>(n_programs) * kMaxOps * sizeof(Op);
  const double per_pe = 2 * sizeof(std::uint8_t) + kSlots * sizeof(std::int32_t)  // route_id, prog_id, slots
                        + (2 + kDirections) * C * sizeof(std::uint8_t)               // rq, pq, credit
                        + 2 * sizeof(std::uint8_t) + 4 * sizeof(std::int32_t)       // pc, act, opi, opj, opk, busy_left
                        + kThreads * (sizeof(std::uint8_t) + 2 * sizeof(std::int32_t))  // apc, aopi, abusy
                        + kCounters * sizeof(std::int32_t)                           // loop
                        + 4 * sizeof(std::int32_t) + 3 * sizeof(std::uint32_t);     // launch .. last, busy .. stall_out
  const double per_padded = kDirections * (sizeof(std::uint8_t) + sizeof(ColourMask));  // out, cret
  double check = 0;
  if (cfg.check) {
    const double D = cfg.queue_depth, Dp = cfg.pe_queue_depth;
    check = n * (C * D * (sizeof(float) + sizeof(std::int32_t)) + C * Dp * (sizeof(float) + sizeof(std::int32_t)) +
                 2 * C * sizeof(std::uint8_t) + static_cast<double>(cfg.sram_words) * sizeof(float)) +
            np * kDirections * (sizeof(float) + sizeof(std::int32_t));
  }
  return tables + n * per_pe + np * per_padded + 2 * sizeof(std::int64_t) + check + nb * (4 + 3 * sizeof(std::int32_t));
}

// Allocates every View of a local block (zero-initialised; credits and op state are set by the
// engine afterwards). Host-side; never called inside a parallel region.
inline FabricState allocate_fabric(int nx, int ny, int gx0, int gy0, int gw, int gh, const FabricConfig& cfg,
                                   int n_routes, int n_programs) {
  FabricState s;
  s.nx = nx;
  s.ny = ny;
  s.gx0 = gx0;
  s.gy0 = gy0;
  s.gw = gw;
  s.gh = gh;
  s.cfg = cfg;
  s.nbx = (nx + kBlockWidth - 1) / kBlockWidth;
  s.nby = (ny + kBlockHeight - 1) / kBlockHeight;
  const std::size_t n = static_cast<std::size_t>(nx) * static_cast<std::size_t>(ny);
  const std::size_t np = static_cast<std::size_t>(nx + 2) * static_cast<std::size_t>(ny + 2);
  const std::size_t C = static_cast<std::size_t>(cfg.colours);
  const std::size_t nb = static_cast<std::size_t>(s.nbx) * static_cast<std::size_t>(s.nby);
  s.routes = View<Route>("Fabric::routes", static_cast<std::size_t>(n_routes) * kMaxColours);
  s.ops = View<Op>("Fabric::ops", static_cast<std::size_t>(n_programs) * kMaxOps);
  s.route_id = View<std::uint8_t>("Fabric::route_id", n);
  s.prog_id = View<std::uint8_t>("Fabric::prog_id", n);
  s.slots = View<std::int32_t>("Fabric::slots", n * kSlots);
  s.rq = View<std::uint8_t>("Fabric::router_queue", n * C);
  s.credit = View<std::uint8_t>("Fabric::credit", n * kDirections * C);
  s.pq = View<std::uint8_t>("Fabric::pe_queue", n * C);
  s.out = View<std::uint8_t>("Fabric::link_out", np * kDirections);
  s.cret = View<ColourMask>("Fabric::credit_return", np * kDirections);
  s.pc = View<std::uint8_t>("Fabric::pc", n);
  s.act = View<std::uint8_t>("Fabric::activated", n);
  s.opi = View<std::int32_t>("Fabric::op_progress", n);
  s.opj = View<std::int32_t>("Fabric::op_progress_inner", n);
  s.opk = View<std::int32_t>("Fabric::op_expected", n);
  s.busy_left = View<std::int32_t>("Fabric::busy_left", n);
  s.apc = View<std::uint8_t>("Fabric::async_pc", n * kThreads);
  s.aopi = View<std::int32_t>("Fabric::async_progress", n * kThreads);
  s.abusy = View<std::int32_t>("Fabric::async_wait", n * kThreads);
  s.loop = View<std::int32_t>("Fabric::loop_counters", n * kCounters);
  s.launch = View<std::int32_t>("Fabric::launch", n);
  s.t_start = View<std::int32_t>("Fabric::timer_start", n);
  s.finish = View<std::int32_t>("Fabric::finish", n);
  s.last = View<std::int32_t>("Fabric::last_stepped", n);
  s.busy = View<std::uint32_t>("Fabric::busy", n);
  s.stall_in = View<std::uint32_t>("Fabric::stall_in", n);
  s.stall_out = View<std::uint32_t>("Fabric::stall_out", n);
  s.edge_out = View<std::int64_t>("Fabric::edge_out", 1);
  s.errors = View<std::int64_t>("Fabric::errors", 1);
  const std::size_t D = cfg.check ? static_cast<std::size_t>(cfg.queue_depth) : 0;
  const std::size_t Dp = cfg.check ? static_cast<std::size_t>(cfg.pe_queue_depth) : 0;
  const std::size_t nc = cfg.check ? n : 0;
  s.rqv = View<float>("Fabric::router_queue_values", nc * C * D);
  s.rqt = View<std::int32_t>("Fabric::router_queue_tags", nc * C * D);
  s.rqh = View<std::uint8_t>("Fabric::router_queue_head", nc * C);
  s.pqv = View<float>("Fabric::pe_queue_values", nc * C * Dp);
  s.pqt = View<std::int32_t>("Fabric::pe_queue_tags", nc * C * Dp);
  s.pqh = View<std::uint8_t>("Fabric::pe_queue_head", nc * C);
  s.outv = View<float>("Fabric::link_values", cfg.check ? np * kDirections : 0);
  s.outt = View<std::int32_t>("Fabric::link_tags", cfg.check ? np * kDirections : 0);
  s.sram = View<float>("Fabric::sram", nc * static_cast<std::size_t>(cfg.sram_words));
  s.active = View<std::uint8_t>("Fabric::block_active", nb);
  s.need = View<std::uint8_t>("Fabric::block_need", nb);
  s.ghost_in = View<std::uint8_t>("Fabric::block_ghost_in", nb);
  s.boundary = View<std::uint8_t>("Fabric::block_boundary", nb);
  s.list_active = View<std::int32_t>("Fabric::list_active", nb);
  s.list_inner = View<std::int32_t>("Fabric::list_inner", nb);
  s.list_outer = View<std::int32_t>("Fabric::list_outer", nb);
  return s;
}

}  // namespace wb::kernels::fabric
