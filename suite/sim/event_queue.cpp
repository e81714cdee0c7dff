#include "sim/event_queue.hpp"

namespace wb::sim {

void EventQueue::push(const Event& e) {
  std::uint32_t slot = 0;
  if (free_.empty()) {
    slot = static_cast<std::uint32_t>(pool_.size());
    pool_.push_back(e);
  } else {
    slot = free_.back();
    free_.pop_back();
    pool_[slot] = e;
  }
  const Key k{e.time, static_cast<std::uint64_t>(static_cast<std::uint32_t>(e.dst)) << 32 | static_cast<std::uint32_t>(e.src),
              e.seq, slot};
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
  const std::uint32_t slot = heap_.front().slot;
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
  free_.push_back(slot);
  return pool_[slot];
}

}  // namespace wb::sim
