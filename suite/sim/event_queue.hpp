#pragma once
// The engine's pending events in the total order of event_before(): a radix heap of 16-byte
// keys (time; destination, source and the event's slot packed in one word), the events
// themselves in a pool of slots.
//
// A radix heap (Ahuja, Mehlhorn, Orlin, Tarjan, "Faster algorithms for the shortest path
// problem", JACM 37(2) 1990) serves monotone queues, where nothing is pushed earlier than the
// last pop: bucket b > 0 holds the keys whose time first differs from the last popped time in
// bit b - 1, so a push is one bit scan, and a pop that finds bucket 0 empty moves the smallest
// non-empty bucket's keys down (each key moves at most 64 times in its life). The engine's
// queue is monotone (every event is sent with a positive delay, and events from other ranks
// arrive at or after the window's end). Bucket 0 holds every pending event of the current time;
// as none can be added at that time once it is reached, it is sorted once by (destination,
// source, sequence) (a pass when it is in order already) and popped from its front. It replaced a 4-ary heap whose sift-down, with
// its unpredictable branches, was a third of the engine's time on the 1T step.
#include <cstdint>
#include <vector>

#include "sim/event.hpp"

namespace wb::sim {

class EventQueue {
 public:
  // Limits of the packed key: LP ids below 2^20, fewer than 2^24 events pending at once.
  static constexpr int kLpBits = 20, kSlotBits = 24;

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  SimTime top_time() const;   // the queue must not be empty
  void push(const Event& e);  // throws std::logic_error beyond the limits or before the last pop
  // The same for an event with this header and an empty payload, which the caller then fills
  // in place (the reference holds until the next push or pop): an event assembled field by
  // field and then copied whole stalls the copy's wide loads on the narrow stores.
  Event& push(SimTime time, LpId dst, LpId src, std::int64_t seq);
  Event pop();
  // The destination of the event the next pop() returns when that is known without work (the
  // current time's events are in order), else -1: the engine fetches its LP ahead.
  LpId next_dst() const {
    return head_ < buckets_[0].size() && sorted_ ? static_cast<LpId>(buckets_[0][head_].packed >> (kSlotBits + kLpBits)) : -1;
  }

 private:
  struct Key {
    Key(SimTime t, std::uint64_t p) : time(t), packed(p) {}
    SimTime time;
    std::uint64_t packed;  // destination | source | slot
  };
  static constexpr std::uint64_t kSlotMask = (std::uint64_t{1} << kSlotBits) - 1;
  static constexpr int kBuckets = 65;
  int bucket_of(SimTime t) const;
  // Moves last_ to the earliest pending time: bucket 0 then holds its keys, from head_ in order.
  void settle();

  std::vector<Key> buckets_[kBuckets];
  std::uint64_t occupied_ = 0;  // bit b - 1: bucket b (b >= 1) not empty
  SimTime last_ = 0;            // time of bucket 0; no key is earlier
  std::size_t head_ = 0;        // bucket 0's keys before it have been popped
  bool sorted_ = true;          // bucket 0 from head_ in pop order
  // The earliest pending time while bucket 0 is empty (top_time() does not move last_: events
  // from other ranks may still come before it), found once per change.
  mutable SimTime earliest_ = 0;
  mutable bool earliest_known_ = false;
  std::size_t size_ = 0;
  std::vector<Event> pool_;
  std::vector<std::uint32_t> free_;
};

}  // namespace wb::sim
