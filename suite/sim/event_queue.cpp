#include "sim/event_queue.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace wb::sim {

int EventQueue::bucket_of(SimTime t) const {
  const std::uint64_t x = static_cast<std::uint64_t>(t) ^ static_cast<std::uint64_t>(last_);
  return x == 0 ? 0 : 64 - __builtin_clzll(x);
}

void EventQueue::push(const Event& e) { push(e.time, e.dst, e.src, e.seq) = e; }

Event& EventQueue::push(SimTime time, LpId dst, LpId src, std::int64_t seq) {
  constexpr std::int64_t lp_limit = std::int64_t{1} << kLpBits;
  if (dst < 0 || src < 0 || dst >= lp_limit || src >= lp_limit)
    throw std::logic_error("EventQueue: LP ids must be below " + std::to_string(lp_limit));
  if (time < last_)
    throw std::logic_error("EventQueue: an event at " + std::to_string(time) + " ps after one at " +
                           std::to_string(last_) + " ps was taken");
  std::uint64_t slot = 0;
  if (free_.empty()) {
    slot = pool_.size();
    if (slot > kSlotMask) throw std::logic_error("EventQueue: more than 2^24 events pending");
    pool_.emplace_back();
  } else {
    slot = free_.back();
    free_.pop_back();
    pool_[slot] = Event{};
  }
  Event& e = pool_[slot];
  e.time = time;
  e.dst = dst;
  e.src = src;
  e.seq = seq;
  const int b = bucket_of(time);
  buckets_[b].emplace_back(time, (static_cast<std::uint64_t>(dst) << kLpBits | static_cast<std::uint64_t>(src)) << kSlotBits | slot);
  if (b == 0) sorted_ = false;
  else occupied_ |= std::uint64_t{1} << (b - 1);
  if (earliest_known_ && time < earliest_) earliest_ = time;
  ++size_;
  return e;
}

SimTime EventQueue::top_time() const {
  if (head_ < buckets_[0].size()) return last_;
  if (!earliest_known_) {
    const auto& b = buckets_[__builtin_ctzll(occupied_) + 1];
    SimTime t = b.front().time;
    for (const Key& k : b) t = std::min(t, k.time);
    earliest_ = t;
    earliest_known_ = true;
  }
  return earliest_;
}

void EventQueue::settle() {
  std::vector<Key>& now = buckets_[0];
  if (head_ == now.size()) {
    now.clear();
    head_ = 0;
    const SimTime t = top_time();
    const int from = __builtin_ctzll(occupied_) + 1;
    last_ = t;
    // Every key of the smallest bucket moves to a lower one (they agree with t on the bits above).
    std::vector<Key>& src = buckets_[from];
    for (const Key& k : src) {
      const int b = bucket_of(k.time);
      buckets_[b].push_back(k);
      if (b > 0) occupied_ |= std::uint64_t{1} << (b - 1);
    }
    src.clear();
    occupied_ &= ~(std::uint64_t{1} << (from - 1));
    earliest_known_ = false;
    sorted_ = false;
  }
  if (!sorted_) {
    // Same time: destination, source, then the source's sequence (event_before()). The keys
    // often come in that order already (a coordinator answers its members in order), which
    // one pass finds.
    auto before = [this](const Key& a, const Key& b) {
      const std::uint64_t la = a.packed >> kSlotBits, lb = b.packed >> kSlotBits;
      if (la != lb) return la < lb;
      return pool_[a.packed & kSlotMask].seq < pool_[b.packed & kSlotMask].seq;
    };
    const auto first = now.begin() + static_cast<std::ptrdiff_t>(head_);
    if (!std::is_sorted(first, now.end(), before)) std::sort(first, now.end(), before);
    sorted_ = true;
  }
}

Event EventQueue::pop() {
  settle();
  const std::vector<Key>& now = buckets_[0];
  const std::uint64_t slot = now[head_++].packed & kSlotMask;
  // The next event of this time, fetched while the engine handles this one.
  if (head_ < now.size()) __builtin_prefetch(&pool_[now[head_].packed & kSlotMask]);
  --size_;
  free_.push_back(static_cast<std::uint32_t>(slot));
  return pool_[slot];
}

}  // namespace wb::sim
