#pragma once
// The engine's pending events in the total order of event_before(): a 4-ary min-heap of 16-byte
// keys (time; destination, source and the event's slot packed in one word), the events
// themselves in a pool of slots. A heap of whole 64-byte events moves four times the bytes per
// level, and a d-ary heap whose sibling groups fill a cache line takes half the levels of a
// binary one (LaMarca and Ladner, "The influence of caches on the performance of heaps", JEA
// 1996); with thousands of LPs the queue outgrows the L1 cache and each level is a miss.
#include <cstdint>
#include <vector>

#include "sim/event.hpp"

namespace wb::sim {

class EventQueue {
 public:
  // Limits of the packed key: LP ids below 2^20, fewer than 2^24 events pending at once.
  static constexpr int kLpBits = 20, kSlotBits = 24;

  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  SimTime top_time() const { return heap_.front().time; }
  void push(const Event& e);  // throws std::logic_error beyond the limits
  Event pop();

 private:
  struct Key {
    SimTime time;
    std::uint64_t packed;  // destination | source | slot
  };
  static constexpr std::uint64_t kSlotMask = (std::uint64_t{1} << kSlotBits) - 1;
  // Same (time, destination, source): the source's sequence decides (rare).
  bool before(const Key& a, const Key& b) const {
    if (a.time != b.time) return a.time < b.time;
    const std::uint64_t la = a.packed >> kSlotBits, lb = b.packed >> kSlotBits;
    if (la != lb) return la < lb;
    return pool_[a.packed & kSlotMask].seq < pool_[b.packed & kSlotMask].seq;
  }
  std::vector<Key> heap_;
  std::vector<Event> pool_;
  std::vector<std::uint32_t> free_;
};

}  // namespace wb::sim
