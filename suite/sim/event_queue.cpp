#include "sim/event_queue.hpp"

#include <stdexcept>
#include <string>

namespace wb::sim {

void EventQueue::push(const Event& e) {
  constexpr std::int64_t lp_limit = std::int64_t{1} << kLpBits;
  if (e.dst < 0 || e.src < 0 || e.dst >= lp_limit || e.src >= lp_limit)
    throw std::logic_error("EventQueue: LP ids must be below " + std::to_string(lp_limit));
  std::uint64_t slot = 0;
  if (free_.empty()) {
    slot = pool_.size();
    if (slot > kSlotMask) throw std::logic_error("EventQueue: more than 2^24 events pending");
    pool_.push_back(e);
  } else {
    slot = free_.back();
    free_.pop_back();
    pool_[slot] = e;
  }
  const Key k{e.time, (static_cast<std::uint64_t>(e.dst) << kLpBits | static_cast<std::uint64_t>(e.src)) << kSlotBits | slot};
  std::size_t i = heap_.size();
  heap_.push_back(k);
  while (i > 0) {
    const std::size_t parent = (i - 1) / 4;
    if (!before(k, heap_[parent])) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = k;
}

Event EventQueue::pop() {
  const std::uint64_t slot = heap_.front().packed & kSlotMask;
  const Key last = heap_.back();
  heap_.pop_back();
  const std::size_t n = heap_.size();
  if (n > 0) {
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = 4 * i + 1;
      if (first >= n) break;
      std::size_t best = first;
      const std::size_t end = first + 4 < n ? first + 4 : n;
      for (std::size_t c = first + 1; c < end; ++c)
        if (before(heap_[c], heap_[best])) best = c;
      if (!before(heap_[best], last)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = last;
  }
  free_.push_back(static_cast<std::uint32_t>(slot));
  return pool_[slot];
}

}  // namespace wb::sim
