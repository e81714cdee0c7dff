#pragma once
// The parts every fabric mapping builds its program from: deduplicated tables of routes and op
// lists, op and route constructors, loops with their jump targets, the repeat wrapper of the PE
// timers' view, and the routes of transfers along one line of PEs (rings of a shift GEMM).
// Internal to suite/wafer (fabric_*_programs.cpp).
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "kernels/fabric_types.hpp"

namespace wb::wafer::fabric {

namespace fk = wb::kernels::fabric;

using RouteTable = std::array<fk::Route, fk::kMaxColours>;
using OpList = std::array<fk::Op, fk::kMaxOps>;

inline constexpr std::uint8_t N = fk::port_bit(fk::kNorth);
inline constexpr std::uint8_t E = fk::port_bit(fk::kEast);
inline constexpr std::uint8_t S = fk::port_bit(fk::kSouth);
inline constexpr std::uint8_t W = fk::port_bit(fk::kWest);
inline constexpr std::uint8_t R = fk::port_bit(fk::kRamp);

// Deduplicating tables of routes and programs; index 0 is the empty entry.
struct Tables {
  std::vector<RouteTable> routes{RouteTable{}};
  std::vector<OpList> programs{OpList{}};
  int route(const RouteTable& r);
  int program(const std::vector<fk::Op>& ops);
};

fk::Route rt(int rx, std::uint8_t tx);
fk::Op make(std::uint8_t kind, std::uint8_t flags, int cin, int cout);

// An op list under construction, with counted loops whose jump targets it fills in.
class OpSequence {
 public:
  fk::Op& add(const fk::Op& op);
  // kFor on `counter` with `trips` iterations (literal or slot ref) ... kNext.
  void begin_loop(int counter, std::int32_t trips);
  void end_loop(std::int32_t step = 1);
  const std::vector<fk::Op>& ops() const { return ops_; }

 private:
  std::vector<fk::Op> ops_;
  std::vector<std::size_t> open_;
};

// A word range of a PE's SRAM that holds partial sums.
struct Accumulator {
  std::int32_t offset = 0;
  std::int32_t words = 0;  // literal or slot ref
};

// The PE timers' view of a kernel (WaferLLM's launch scripts): with warm-up or more than one
// repeat, the body runs warmup + repeats times back to back on loop counter 0, the timer starts
// at the first timed repeat, and every repeat first clears the accumulators (a single run finds
// them zero). Jump targets inside the body are shifted accordingly.
std::vector<fk::Op> with_repeats(const std::vector<fk::Op>& body, std::int64_t warmup, std::int64_t repeats,
                                 const std::vector<Accumulator>& accumulators);

// Routes of transfers between PEs of one line (a row, horizontal, or a column): PE x sends to
// dst[x] (or nowhere when dst[x] == x or < 0), the wavelets passing the PEs in between through
// their routers. Each transfer takes the first colour of `pool` that none of the routers on its
// path carries yet.
struct LineRoutes {
  std::vector<RouteTable> at;     // per position: the routes of this line's colours only
  std::vector<int> send_colour;   // per position: colour it sends on (-1: none)
  std::vector<int> recv_colour;   // per position: colour it receives on (-1: none)
};
LineRoutes line_routes(const std::vector<int>& dst, bool horizontal, const std::vector<int>& pool);

// The union of two route tables with disjoint colours.
RouteTable merge(const RouteTable& a, const RouteTable& b);

// Part i of n split in `parts` balanced contiguous pieces: (first, count).
inline std::pair<std::int64_t, std::int64_t> part(std::int64_t n, std::int64_t i, std::int64_t parts) {
  const std::int64_t begin = n * i / parts;
  return {begin, n * (i + 1) / parts - begin};
}

inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

}  // namespace wb::wafer::fabric
