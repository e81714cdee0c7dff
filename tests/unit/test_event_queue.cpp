// The engine's queue against the total order it must give (event_before()): events pushed as
// an engine does (initial events at time 0, then each pop sends a few with positive delays,
// many landing on the same time), popped order compared with a sorted reference.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <stdexcept>

#include "sim/event_queue.hpp"

namespace {

struct Before {
  bool operator()(const wb::sim::Event& a, const wb::sim::Event& b) const { return wb::sim::event_before(a, b); }
};

TEST(EventQueue, PopsInTheEnginesTotalOrder) {
  std::mt19937_64 rng(7);
  wb::sim::EventQueue q;
  std::multiset<wb::sim::Event, Before> ref;
  std::int64_t seq = 0;
  auto push = [&](wb::sim::SimTime t, int dst, int src) {
    wb::sim::Event e;
    e.time = t;
    e.dst = dst;
    e.src = src;
    e.seq = seq++;
    e.key = seq;
    q.push(e);
    ref.insert(e);
  };
  for (int i = 0; i < 200; ++i) push(0, static_cast<int>(rng() % 50), static_cast<int>(rng() % 50));
  std::int64_t popped = 0;
  while (!q.empty()) {
    ASSERT_EQ(q.size(), ref.size());
    const wb::sim::SimTime top = q.top_time();
    const wb::sim::Event e = q.pop();
    const wb::sim::Event want = *ref.begin();
    ref.erase(ref.begin());
    ASSERT_EQ(top, want.time);
    ASSERT_EQ(e.time, want.time);
    ASSERT_EQ(e.dst, want.dst);
    ASSERT_EQ(e.src, want.src);
    ASSERT_EQ(e.seq, want.seq);
    ASSERT_EQ(e.key, want.key);
    ++popped;
    if (popped > 20000) continue;  // then drain
    const int sends = static_cast<int>(rng() % 3);
    for (int k = 0; k < sends; ++k) {
      // Delays from 1 ps to about 2^40 ps, a third of them on a few shared values (ties).
      const std::uint64_t r = rng();
      const std::uint64_t span = std::uint64_t{1} << (r % 41);
      const wb::sim::SimTime delay =
          r % 3 == 0 ? wb::sim::SimTime{1000} << (r % 4) : 1 + static_cast<wb::sim::SimTime>((r >> 8) % span);
      push(e.time + delay, static_cast<int>(rng() % 50), e.dst);
    }
  }
  EXPECT_GT(popped, 20000);
}

TEST(EventQueue, RefusesAnEventBeforeTheLastOneTaken) {
  wb::sim::EventQueue q;
  wb::sim::Event e;
  e.time = 100;
  q.push(e);
  q.pop();
  e.time = 99;
  EXPECT_THROW(q.push(e), std::logic_error);
}

}  // namespace
