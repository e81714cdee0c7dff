#pragma once
// Halo of the fabric cycle: the link registers and credit returns that boundary PEs put on the
// links towards a neighbouring block, packed into one buffer per direction, and unpacked into
// the ring of the padded grid on the receiving side (no MPI here; the caller sends the buffers).
//
// Buffer layout for a side of length L: word i = out | cret << 8 (cret: 16 colour bits); in check mode words L + i hold
// the wavelet value bits and 2L + i its tag.
#include <Kokkos_Core.hpp>

#include "kernels/fabric_state.hpp"

namespace wb::kernels::fabric {

// Words in the halo buffer of a side of length L.
inline std::size_t halo_words(int length, bool check) {
  return static_cast<std::size_t>(length) * (check ? 3 : 1);
}

// Length of the side facing direction d.
KOKKOS_INLINE_FUNCTION int side_length(const FabricState& s, int d) { return (d == kNorth || d == kSouth) ? s.nx : s.ny; }

// Padded index of the i-th local PE along the side facing d (inner = true) or of the ring
// cell just outside it (inner = false).
KOKKOS_INLINE_FUNCTION int side_cell(const FabricState& s, int d, int i, bool inner) {
  const int o = inner ? 0 : 1;
  switch (d) {
    case kNorth: return s.padded(i, 0 - o);
    case kSouth: return s.padded(i, s.ny - 1 + o);
    case kEast: return s.padded(s.nx - 1 + o, i);
    default: return s.padded(0 - o, i);
  }
}

union FloatBits {
  float f;
  std::uint32_t u;
};

struct FabricHaloPack {
  FabricState s;
  View<std::uint32_t> buf;
  int d;
  KOKKOS_INLINE_FUNCTION void operator()(const std::int64_t i) const {
    const int L = side_length(s, d);
    const int cell = side_cell(s, d, static_cast<int>(i), true) * kDirections + d;
    buf(static_cast<std::size_t>(i)) = static_cast<std::uint32_t>(s.out(cell)) | (static_cast<std::uint32_t>(s.cret(cell)) << 8);
    if (s.cfg.check) {
      FloatBits b;
      b.f = s.outv(cell);
      buf(static_cast<std::size_t>(L + i)) = b.u;
      buf(static_cast<std::size_t>(2 * L + i)) = static_cast<std::uint32_t>(s.outt(cell));
    }
  }
};

// Unpacks what the neighbour in direction d sent (its registers facing opposite(d)) into the
// ring cells of that side.
struct FabricHaloUnpack {
  FabricState s;
  View<std::uint32_t> buf;
  int d;
  KOKKOS_INLINE_FUNCTION void operator()(const std::int64_t i) const {
    const int L = side_length(s, d);
    const int cell = side_cell(s, d, static_cast<int>(i), false) * kDirections + opposite(d);
    const std::uint32_t w = buf(static_cast<std::size_t>(i));
    s.out(cell) = static_cast<std::uint8_t>(w & 0xFF);
    s.cret(cell) = static_cast<ColourMask>((w >> 8) & 0xFFFF);
    if (s.cfg.check) {
      FloatBits b;
      b.u = buf(static_cast<std::size_t>(L + i));
      s.outv(cell) = b.f;
      s.outt(cell) = static_cast<std::int32_t>(buf(static_cast<std::size_t>(2 * L + i)));
    }
  }
};

// ghost_in(b) for every block: a ring cell next to the block holds a wavelet or a credit return
// for it (each block reads only its own ring cells).
struct FabricGhostIn {
  FabricState s;
  KOKKOS_INLINE_FUNCTION void operator()(const std::int64_t b) const {
    const int bx = static_cast<int>(b % s.nbx), by = static_cast<int>(b / s.nbx);
    const int x0 = bx * kBlockWidth, y0 = by * kBlockHeight;
    const int x1 = x0 + kBlockWidth < s.nx ? x0 + kBlockWidth : s.nx;
    const int y1 = y0 + kBlockHeight < s.ny ? y0 + kBlockHeight : s.ny;
    bool any = false;
    auto look = [&](int d, int i) {
      const int cell = side_cell(s, d, i, false) * kDirections + opposite(d);
      any = any || s.out(cell) != 0 || s.cret(cell) != 0;
    };
    if (y0 == 0)
      for (int x = x0; x < x1; ++x) look(kNorth, x);
    if (y1 == s.ny)
      for (int x = x0; x < x1; ++x) look(kSouth, x);
    if (x0 == 0)
      for (int y = y0; y < y1; ++y) look(kWest, y);
    if (x1 == s.nx)
      for (int y = y0; y < y1; ++y) look(kEast, y);
    s.ghost_in(static_cast<std::size_t>(b)) = any ? 1 : 0;
  }
};

}  // namespace wb::kernels::fabric
