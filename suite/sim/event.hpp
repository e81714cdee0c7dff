#pragma once
// Simulated time and the event record of the parallel discrete-event engine (pdes.hpp).
//
// Time is an integer number of picoseconds: sums and comparisons are exact, so two runs that
// perform the same additions reach bit-identical times whatever the order in which ranks
// happened to do them. 2^63 ps is 106 days, far beyond one simulated training step.
//
// An Event is plain data (no pointers), so events that cross ranks travel as bytes. Events are
// processed in the total order (time, destination LP, source LP, source sequence): the sequence
// is counted per source LP, so the order never depends on which rank an LP lives on.
#include <cstdint>
#include <limits>
#include <type_traits>

namespace wb::sim {

using SimTime = std::int64_t;  // picoseconds
using LpId = std::int32_t;

inline constexpr SimTime kPicosecondsPerSecond = 1'000'000'000'000LL;
inline constexpr SimTime kNever = std::numeric_limits<SimTime>::max();

// Rounds seconds to picoseconds (a negative or NaN duration is a caller bug and gives 0).
SimTime to_sim_time(double seconds);
inline double to_seconds(SimTime t) { return static_cast<double>(t) / static_cast<double>(kPicosecondsPerSecond); }

struct Event {
  SimTime time = 0;
  LpId dst = 0;
  LpId src = 0;
  std::int64_t seq = 0;     // per-source counter, set by the engine
  std::int32_t type = 0;    // meaning chosen by the model
  std::int32_t count = 0;   // model payload
  std::int64_t key = 0;     // model payload (a task, a collective id, ...)
  std::int64_t value = 0;   // model payload (a duration, a multiplicity, ...)
  double amount = 0;        // model payload (bytes, work)
  std::int64_t extra = 0;   // model payload
};
static_assert(std::is_trivially_copyable_v<Event>, "events cross ranks as bytes");

// The engine's total order.
inline bool event_before(const Event& a, const Event& b) {
  if (a.time != b.time) return a.time < b.time;
  if (a.dst != b.dst) return a.dst < b.dst;
  if (a.src != b.src) return a.src < b.src;
  return a.seq < b.seq;
}

}  // namespace wb::sim
