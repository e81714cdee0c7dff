#pragma once
// The state of a rectangle of PEs (one rank's part of the fabric plus the ghost PEs around it that
// it simulates again between halo exchanges), in Kokkos Views.
//
// Layout. Every per-PE array is indexed by p = (ly + 1) * stride + (lx + 1) on a grid padded by
// one PE on every side (stride = ex + 2), so a PE's neighbours are p +- 1 and p +- stride and a
// row of PEs is contiguous. Arrays the cycle kernels sweep with vector loops are structure of
// arrays with one plane of that grid per colour (and per direction): the router queue of colour c
// of PE p is router_queue[c * plane + p]. The padding ring is never stepped; its link registers
// stay empty, so the PEs along the rectangle's edge read "nothing arrives" from outside.
// What only the instruction interpreter touches (program counter, loop counters, microthreads)
// is one 64-byte PeCore per PE, so an interpreted PE costs one cache line.
//
// Timing mode keeps queue occupancies only (one byte per queue); check mode adds the wavelet
// values and tags and an SRAM image per PE.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <type_traits>

#include "kernels/fabric_types.hpp"

namespace wb::kernels::fabric {

using ExecSpace = Kokkos::DefaultExecutionSpace;

template <class T>
using View = Kokkos::View<T*, ExecSpace::memory_space>;
// The arrays of a FabricState are unmanaged windows into one arena the engine owns: a cycle
// launches two kernels per block row, and copying ~45 reference-counted Views into every launch
// would cost more than the work of a quiet row.
template <class T>
using Span = Kokkos::View<T*, ExecSpace::memory_space, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;

inline constexpr std::uint8_t kNoPort = 0xFF;  // receive port of a colour the router does not carry

// The interpreter's state of one PE: main thread, microthreads, loop counters, timer.
struct alignas(64) PeCore {
  std::uint8_t pc = 0;   // main thread: current op
  std::uint8_t act = 0;  // main op activated
  std::uint8_t pad[2] = {0, 0};
  std::uint8_t apc[kThreads] = {kThreadIdle, kThreadIdle, kThreadIdle, kThreadIdle};  // microthread ops
  std::int32_t opi = 0;  // main op progress
  std::int32_t opj = 0;  // ... second counter (kStreamGemm: progress within an output)
  std::int32_t opk = 0;  // ... third counter (kStreamGemm: weights expected + 1, 0 = unknown)
  std::int32_t aopi[kThreads] = {0, 0, 0, 0};   // microthread op progress
  std::int32_t abusy[kThreads] = {0, 0, 0, 0};  // ... cycles left on the current wavelet
  std::int32_t loop[kCounters] = {0, 0};        // loop counters
  std::int32_t t_start = 0;  // cycle the PE's timed region began (launch, or a kTimer op)
};
static_assert(sizeof(PeCore) == 64, "PeCore is one cache line");

struct FabricState {
  int ex = 0, ey = 0;      // local PEs: owned and ghost
  int ox0 = 0, oy0 = 0;    // first owned PE, local coordinates
  int nx = 0, ny = 0;      // owned PEs
  int gx0 = 0, gy0 = 0;    // global coordinates of local PE (0, 0)
  int gw = 0, gh = 0;      // global fabric
  int stride = 0;          // padded row
  std::size_t plane = 0;   // padded grid: (ey + 2) * stride
  int nbx = 0, nby = 0;    // activity blocks
  FabricConfig cfg;

  // Program table (shared by all PEs).
  Span<Op> ops;  // [prog_id * kMaxOps + pc]

  // Static per-PE data.
  Span<std::uint8_t> prog_id;
  Span<std::int32_t> slots;        // [s * plane + p]: a plane per slot, as the interpreter reads a few
  Span<std::uint8_t> route_tx;     // [c * plane + p]: transmit set of colour c (port bits)
  Span<std::uint8_t> route_rx;     // [c * plane + p]: receive port of colour c, kNoPort if none
  Span<std::int32_t> launch;       // cycle the kernel's launch reaches the PE (it runs nothing before)

  // Router: input queue occupancy per colour, credits per (colour, direction).
  Span<std::uint8_t> router_queue;  // [c * plane + p]
  Span<std::uint8_t> credit;        // [(c * 4 + d) * plane + p]
  // PE input queues (ramp down) per colour.
  Span<std::uint8_t> pe_queue;      // [c * plane + p]
  // Link registers (colour + 1 sent towards d this cycle, 0 = none) and credit returns (bit per
  // colour popped from a queue fed from d), at the sending PE.
  Span<std::uint8_t> link_out;        // [d * plane + p]
  Span<ColourMask> credit_return;     // [d * plane + p]

  // PE execution state.
  Span<PeCore> core;
  Span<std::uint8_t> mode;        // PeMode
  Span<ColourMask> wait_mask;     // kModeBusy / kModeWait: PE queues whose wavelet wakes the PE
  Span<std::uint8_t> after;       // kModeBusy: AfterBusy, what the PE does when its count runs out
  Span<ColourMask> after_mask;    // ... kAfterWait: the PE queues it then waits for
  Span<std::int32_t> busy_left;   // main thread: cycles of work left
  Span<std::int32_t> finish;      // cycle the PE finished its program, -1 while running
  Span<std::int32_t> last;        // last cycle the PE was stepped (lazy counters of quiet PEs)

  // Counters.
  Span<std::uint32_t> busy;
  Span<std::uint32_t> stall_in;
  Span<std::uint32_t> stall_out;
  Span<std::int64_t> edge_out;  // wavelets that left the global fabric edge (one entry)
  Span<std::int64_t> errors;    // misrouted wavelets or queue overflow (one entry)
  Span<std::int64_t> block_steps;  // blocks stepped, summed over cycles (one entry)

  // Check mode.
  Span<float> rqv;          // [(c * plane + p) * queue_depth + slot]
  Span<std::int32_t> rqt;
  Span<std::uint8_t> rqh;   // ring head per queue [c * plane + p]
  Span<float> pqv;          // [(c * plane + p) * pe_queue_depth + slot]
  Span<std::int32_t> pqt;
  Span<std::uint8_t> pqh;
  Span<float> outv;         // [d * plane + p]
  Span<std::int32_t> outt;
  Span<float> sram;         // [p * sram_words + w]

  // Activity blocks, two generations (cycle parity): active = a PE of the block was not quiet at
  // the end of that cycle; owned_active = the same among the PEs this rank owns.
  Span<std::uint8_t> active;        // [(t & 1) * nb + b]
  Span<std::uint8_t> owned_active;  // [(t & 1) * nb + b]
  Span<std::uint8_t> ghost_block;   // block holds ghost PEs (stepped after every exchange)

  KOKKOS_INLINE_FUNCTION std::size_t index(int lx, int ly) const {
    return static_cast<std::size_t>(ly + 1) * static_cast<std::size_t>(stride) + static_cast<std::size_t>(lx + 1);
  }
  KOKKOS_INLINE_FUNCTION int blocks() const { return nbx * nby; }
  KOKKOS_INLINE_FUNCTION bool owned(int lx, int ly) const {
    return lx >= ox0 && lx < ox0 + nx && ly >= oy0 && ly < oy0 + ny;
  }
  KOKKOS_INLINE_FUNCTION std::int32_t arg(std::size_t p, std::int32_t v) const {
    return v >= 0 ? v : slots(static_cast<std::size_t>(-1 - v) * plane + p);
  }
};

// The arena behind a FabricState: every array of it, 64-byte aligned, zero-initialised (the
// engine sets the program, the credits and the op state afterwards). Host-side; never called
// inside a parallel region. The state is valid while the arena lives.
struct FabricArena {
  View<std::uint8_t> bytes;
  FabricState state;
};

// Every array of the state of an ex x ey block (ghosts included) carved from base, 64-byte aligned;
// with base == nullptr only counted. Returns the bytes the arena needs.
inline std::size_t lay_out_fabric(FabricState& s, int ex, int ey, const FabricConfig& cfg, int n_programs,
                                  std::uint8_t* base) {
  s.ex = ex;
  s.ey = ey;
  s.cfg = cfg;
  s.stride = ex + 2;
  s.plane = static_cast<std::size_t>(ey + 2) * static_cast<std::size_t>(s.stride);
  s.nbx = (ex + kBlockWidth - 1) / kBlockWidth;
  s.nby = (ey + kBlockHeight - 1) / kBlockHeight;
  const std::size_t n = s.plane;
  const std::size_t C = static_cast<std::size_t>(cfg.colours);
  const std::size_t nb = static_cast<std::size_t>(s.nbx) * static_cast<std::size_t>(s.nby);
  const std::size_t D = cfg.check ? static_cast<std::size_t>(cfg.queue_depth) : 0;
  const std::size_t Dp = cfg.check ? static_cast<std::size_t>(cfg.pe_queue_depth) : 0;
  const std::size_t nc = cfg.check ? n : 0;
  std::size_t used = 0;
  auto carve = [&](auto& span, std::size_t count) {
    using T = typename std::remove_reference_t<decltype(span)>::value_type;
    used = (used + 63) / 64 * 64;
    if (base) span = std::remove_reference_t<decltype(span)>(reinterpret_cast<T*>(base + used), count);
    used += count * sizeof(T);
  };
  carve(s.ops, static_cast<std::size_t>(n_programs) * kMaxOps);
  carve(s.prog_id, n);
  carve(s.slots, n * kSlots);
  carve(s.route_tx, n * C);
  carve(s.route_rx, n * C);
  carve(s.launch, n);
  carve(s.router_queue, n * C);
  carve(s.credit, n * kDirections * C);
  carve(s.pe_queue, n * C);
  carve(s.link_out, n * kDirections);
  carve(s.credit_return, n * kDirections);
  carve(s.core, n);
  carve(s.mode, n);
  carve(s.wait_mask, n);
  carve(s.after, n);
  carve(s.after_mask, n);
  carve(s.busy_left, n);
  carve(s.finish, n);
  carve(s.last, n);
  carve(s.busy, n);
  carve(s.stall_in, n);
  carve(s.stall_out, n);
  carve(s.edge_out, 1);
  carve(s.errors, 1);
  carve(s.block_steps, 1);
  carve(s.rqv, nc * C * D);
  carve(s.rqt, nc * C * D);
  carve(s.rqh, nc * C);
  carve(s.pqv, nc * C * Dp);
  carve(s.pqt, nc * C * Dp);
  carve(s.pqh, nc * C);
  carve(s.outv, nc * kDirections);
  carve(s.outt, nc * kDirections);
  carve(s.sram, nc * static_cast<std::size_t>(cfg.sram_words));
  carve(s.active, 2 * nb);
  carve(s.owned_active, 2 * nb);
  carve(s.ghost_block, nb);
  return used;
}

// Bytes allocate_fabric() takes, to ask whether they fit before allocating them.
inline std::size_t fabric_arena_bytes(int ex, int ey, const FabricConfig& cfg, int n_programs) {
  FabricState s;
  return lay_out_fabric(s, ex, ey, cfg, n_programs, nullptr);
}

inline FabricArena allocate_fabric(int ex, int ey, const FabricConfig& cfg, int n_programs) {
  FabricArena a;
  const std::size_t used = lay_out_fabric(a.state, ex, ey, cfg, n_programs, nullptr);
  a.bytes = View<std::uint8_t>("Fabric::state", used);
  lay_out_fabric(a.state, ex, ey, cfg, n_programs, a.bytes.data());
  return a;
}

}  // namespace wb::kernels::fabric
