#pragma once
// Ghost PEs: a rank simulates, besides its own PEs, the `depth` rows and columns of PEs beyond
// each side it shares with another rank. A wavelet moves one hop per cycle, so after an exchange
// of the state of those ghost PEs the rank's own PEs evolve exactly for `depth` cycles without
// hearing from the neighbours. This file packs a rectangle of PEs' state into a buffer and unpacks
// it into another rectangle (no MPI here; the caller sends the buffers).
//
// What a ghost needs. A ghost PE j hops beyond the rank's edge must route exactly for the first
// depth - j + 1 cycles of an epoch (its link registers reach an owned PE j - 1 cycles later), so
// its router state (router and PE queue occupancies, credits; values and tags in check mode) is
// exchanged for every ghost. What its own PE does in a cycle reaches its router a cycle later, so
// the PE's state (interpreter, mode, busy count, finish cycle; SRAM in check mode) matters for
// ghosts up to depth - 1 hops only, and the outermost row or column of ghosts gets router state
// alone (with depth 1, ghosts are routers only). Its stale PE state then only shapes what that
// ghost does after it has stopped mattering. PEs without a program never change their own state,
// so the engine narrows the PE part to the rectangle of the ghosts that run one. Link registers
// are not part of any state: every ghost block is stepped in the first cycle after an exchange,
// which writes them afresh before any PE reads them. Counters of ghost PEs are never read.
#include <Kokkos_Core.hpp>
#include <cstdint>

#include "kernels/fabric_state.hpp"

namespace wb::kernels::fabric {

// One per-PE array: `planes` planes of `plane_bytes` each, `elem_bytes` per PE in a plane; `pe`:
// part of the PE's state (not sent for the outermost ghosts).
struct HaloField {
  std::uint8_t* base = nullptr;
  std::size_t elem_bytes = 0;
  std::size_t planes = 0;
  std::size_t plane_bytes = 0;
  bool pe = false;
};

inline constexpr int kMaxHaloFields = 20;

struct HaloFields {
  HaloField field[kMaxHaloFields];
  int count = 0;

  template <class T>
  void add(const Span<T>& span, std::size_t elems_per_pe, std::size_t planes, std::size_t plane_elems, bool pe) {
    if (span.extent(0) == 0) return;
    HaloField& f = field[count++];
    f.base = reinterpret_cast<std::uint8_t*>(span.data());
    f.elem_bytes = elems_per_pe * sizeof(T);
    f.planes = planes;
    f.plane_bytes = plane_elems * sizeof(T);
    f.pe = pe;
  }
};

// The dynamic state of every PE of a FabricState: router state first, then the PE's own.
inline HaloFields halo_fields(const FabricState& s) {
  const std::size_t C = static_cast<std::size_t>(s.cfg.colours);
  const std::size_t P = s.plane;
  const std::size_t D = static_cast<std::size_t>(s.cfg.queue_depth);
  const std::size_t Dp = static_cast<std::size_t>(s.cfg.pe_queue_depth);
  HaloFields h;
  h.add(s.router_queue, 1, C, P, false);
  h.add(s.pe_queue, 1, C, P, false);
  h.add(s.credit, 1, C * kDirections, P, false);
  if (s.cfg.check) {
    h.add(s.rqh, 1, C, P, false);
    h.add(s.rqv, D, C, P * D, false);
    h.add(s.rqt, D, C, P * D, false);
    h.add(s.pqh, 1, C, P, false);
    h.add(s.pqv, Dp, C, P * Dp, false);
    h.add(s.pqt, Dp, C, P * Dp, false);
  }
  h.add(s.mode, 1, 1, P, true);
  h.add(s.wait_mask, 1, 1, P, true);
  h.add(s.after, 1, 1, P, true);
  h.add(s.after_mask, 1, 1, P, true);
  h.add(s.busy_left, 1, 1, P, true);
  h.add(s.finish, 1, 1, P, true);
  h.add(s.core, 1, 1, P, true);
  if (s.cfg.check)
    h.add(s.sram, static_cast<std::size_t>(s.cfg.sram_words), 1, P * static_cast<std::size_t>(s.cfg.sram_words), true);
  return h;
}

// A rectangle of local PEs: columns [x0, x0 + w), rows [y0, y0 + h).
struct HaloRect {
  int x0 = 0, y0 = 0, w = 0, h = 0;
  KOKKOS_INLINE_FUNCTION std::size_t area() const { return static_cast<std::size_t>(w) * static_cast<std::size_t>(h); }
};

// What one message carries: the router state of `all`, the PE state of `pe` (inside `all`
// without its row or column farthest from the ghosts' owner; the rows of `pe` are rows of `all`).
struct HaloSpan {
  HaloRect all, pe;
  KOKKOS_INLINE_FUNCTION const HaloRect& of(const HaloField& f) const { return f.pe ? pe : all; }
};

// Buffer layout: field by field, plane by plane, row by row of the field's rectangle. A row of PEs
// is contiguous in every plane (fabric_state.hpp), so each (field, plane, row) is one block copy;
// one work item per row of `all`.
template <bool Pack>
struct FabricHaloCopy {
  FabricState s;
  HaloFields fields;
  HaloSpan span;
  View<std::uint32_t> buf;

  KOKKOS_INLINE_FUNCTION void operator()(const std::int64_t row) const {
    const int y = span.all.y0 + static_cast<int>(row);
    std::uint8_t* packed_base = reinterpret_cast<std::uint8_t*>(buf.data());
    std::size_t offset = 0;
    for (int k = 0; k < fields.count; ++k) {
      const HaloField& f = fields.field[k];
      const HaloRect& r = span.of(f);
      const std::size_t h = static_cast<std::size_t>(r.h);
      const std::size_t run = static_cast<std::size_t>(r.w) * f.elem_bytes;
      if (y >= r.y0 && y < r.y0 + r.h) {
        const std::size_t p = s.index(r.x0, y);
        const std::size_t ry = static_cast<std::size_t>(y - r.y0);
        for (std::size_t c = 0; c < f.planes; ++c) {
          std::uint8_t* state = f.base + c * f.plane_bytes + p * f.elem_bytes;
          std::uint8_t* packed = packed_base + offset + (c * h + ry) * run;
          for (std::size_t b = 0; b < run; ++b) {
            if (Pack) packed[b] = state[b];
            else state[b] = packed[b];
          }
        }
      }
      offset += f.planes * h * run;
    }
  }
};

// Words of the buffer for a span.
inline std::size_t halo_words(const HaloFields& fields, const HaloSpan& span) {
  std::size_t bytes = 0;
  for (int k = 0; k < fields.count; ++k) {
    const HaloField& f = fields.field[k];
    bytes += f.planes * f.elem_bytes * span.of(f).area();
  }
  return (bytes + 3) / 4;
}

}  // namespace wb::kernels::fabric
