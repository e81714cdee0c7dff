#pragma once
// The engine's pending events in the total order of event_before(): a 4-ary min-heap of small
// keys (time, destination, source, sequence and a slot), the events themselves in a pool of
// slots. A heap of whole 64-byte events moves four times the bytes per level; with thousands of
// LPs the queue outgrows the L1 cache and each level is a cache miss (LaMarca and Ladner,
// "The influence of caches on the performance of heaps", JEA 1996: d-ary heaps with cache-line
// sized sibling groups).
#include <cstdint>
#include <vector>

#include "sim/event.hpp"

namespace wb::sim {

class EventQueue {
 public:
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  SimTime top_time() const { return heap_.front().time; }
  void push(const Event& e);
  Event pop();

 private:
  struct Key {
    SimTime time;
    std::uint64_t lps;  // destination << 32 | source
    std::int64_t seq;
    std::uint32_t slot;
  };
  static bool before(const Key& a, const Key& b) {
    if (a.time != b.time) return a.time < b.time;
    if (a.lps != b.lps) return a.lps < b.lps;
    return a.seq < b.seq;
  }
  std::vector<Key> heap_;
  std::vector<Event> pool_;
  std::vector<std::uint32_t> free_;
};

}  // namespace wb::sim
