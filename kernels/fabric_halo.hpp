#pragma once
// Ghost PEs: a rank simulates, besides its own PEs, the `depth` rows and columns of PEs beyond
// each side it shares with another rank. A wavelet moves one hop per cycle, so after an exchange
// of the full state of those ghost PEs the rank's own PEs evolve exactly for `depth` cycles
// without hearing from the neighbours (the ghost PEs at distance j from the edge go wrong after
// depth - j cycles, too late to reach an owned PE). This file packs a rectangle of PEs' state into
// a buffer and unpacks it into another rectangle (no MPI here; the caller sends the buffers).
//
// What a PE's state is: its router and PE queues (with values, tags and SRAM in check mode), its
// credits, its interpreter state and mode, its busy count and finish cycle. Link registers are not
// part of it: every ghost block is stepped in the first cycle after an exchange, which writes
// them afresh before any PE reads them. Counters of ghost PEs are never read.
#include <Kokkos_Core.hpp>
#include <cstdint>

#include "kernels/fabric_state.hpp"

namespace wb::kernels::fabric {

// One per-PE array: `planes` planes of `plane_bytes` each, `elem_bytes` per PE in a plane.
struct HaloField {
  std::uint8_t* base = nullptr;
  std::size_t elem_bytes = 0;
  std::size_t planes = 0;
  std::size_t plane_bytes = 0;
};

inline constexpr int kMaxHaloFields = 20;

struct HaloFields {
  HaloField field[kMaxHaloFields];
  int count = 0;
  std::size_t bytes_per_pe = 0;

  template <class T>
  void add(const Span<T>& span, std::size_t elems_per_pe, std::size_t planes, std::size_t plane_elems) {
    if (span.extent(0) == 0) return;
    HaloField& f = field[count++];
    f.base = reinterpret_cast<std::uint8_t*>(span.data());
    f.elem_bytes = elems_per_pe * sizeof(T);
    f.planes = planes;
    f.plane_bytes = plane_elems * sizeof(T);
    bytes_per_pe += planes * f.elem_bytes;
  }
};

// The dynamic state of every PE of a FabricState.
inline HaloFields halo_fields(const FabricState& s) {
  const std::size_t C = static_cast<std::size_t>(s.cfg.colours);
  const std::size_t P = s.plane;
  HaloFields h;
  h.add(s.router_queue, 1, C, P);
  h.add(s.pe_queue, 1, C, P);
  h.add(s.credit, 1, C * kDirections, P);
  h.add(s.mode, 1, 1, P);
  h.add(s.wait_mask, 1, 1, P);
  h.add(s.after, 1, 1, P);
  h.add(s.after_mask, 1, 1, P);
  h.add(s.busy_left, 1, 1, P);
  h.add(s.finish, 1, 1, P);
  h.add(s.core, 1, 1, P);
  if (s.cfg.check) {
    const std::size_t D = static_cast<std::size_t>(s.cfg.queue_depth);
    const std::size_t Dp = static_cast<std::size_t>(s.cfg.pe_queue_depth);
    h.add(s.rqh, 1, C, P);
    h.add(s.rqv, D, C, P * D);
    h.add(s.rqt, D, C, P * D);
    h.add(s.pqh, 1, C, P);
    h.add(s.pqv, Dp, C, P * Dp);
    h.add(s.pqt, Dp, C, P * Dp);
    h.add(s.sram, static_cast<std::size_t>(s.cfg.sram_words), 1, P * static_cast<std::size_t>(s.cfg.sram_words));
  }
  return h;
}

// A rectangle of local PEs: columns [x0, x0 + w), rows [y0, y0 + h).
struct HaloRect {
  int x0 = 0, y0 = 0, w = 0, h = 0;
  KOKKOS_INLINE_FUNCTION std::size_t area() const { return static_cast<std::size_t>(w) * static_cast<std::size_t>(h); }
};

// Buffer layout: field by field, plane by plane, row by row of the rectangle. A row of PEs is
// contiguous in every plane (fabric_state.hpp), so each (field, plane, row) is one block copy; one
// work item per row of the rectangle.
template <bool Pack>
struct FabricHaloCopy {
  FabricState s;
  HaloFields fields;
  HaloRect rect;
  View<std::uint32_t> buf;

  KOKKOS_INLINE_FUNCTION void operator()(const std::int64_t row) const {
    const std::size_t y = static_cast<std::size_t>(row);
    const std::size_t h = static_cast<std::size_t>(rect.h);
    const std::size_t p = s.index(rect.x0, rect.y0 + static_cast<int>(row));
    std::uint8_t* packed_base = reinterpret_cast<std::uint8_t*>(buf.data());
    std::size_t offset = 0;
    for (int k = 0; k < fields.count; ++k) {
      const HaloField& f = fields.field[k];
      const std::size_t run = static_cast<std::size_t>(rect.w) * f.elem_bytes;
      for (std::size_t c = 0; c < f.planes; ++c) {
        std::uint8_t* state = f.base + c * f.plane_bytes + p * f.elem_bytes;
        std::uint8_t* packed = packed_base + offset + (c * h + y) * run;
        for (std::size_t b = 0; b < run; ++b) {
          if (Pack) packed[b] = state[b];
          else state[b] = packed[b];
        }
      }
      offset += f.planes * h * run;
    }
  }
};

// Words of the buffer for a rectangle.
inline std::size_t halo_words(const HaloFields& f, const HaloRect& r) { return (f.bytes_per_pe * r.area() + 3) / 4; }

}  // namespace wb::kernels::fabric
