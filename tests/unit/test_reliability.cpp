#include <gtest/gtest.h>

#include <cmath>

#include "sim/reliability.hpp"

using namespace wb::sim;

TEST(Reliability, JobMtbfAddsFailureRates) {
  EXPECT_DOUBLE_EQ(job_mtbf(1000, 1e6), 1e3);
  EXPECT_DOUBLE_EQ(job_mtbf(1000, 1e6, 125, 1e5), 1.0 / (1e-3 + 1.25e-3));
  EXPECT_TRUE(std::isinf(job_mtbf(0, 1e6)));
}

TEST(Reliability, DalyIntervalApproachesYoungForCheapCheckpoints) {
  const double m = 86400.0, d = 60.0;
  EXPECT_NEAR(daly_interval(d, m) / young_interval(d, m), 1.0, 0.02);
  EXPECT_DOUBLE_EQ(daly_interval(3 * m, m), m);
}

TEST(Reliability, NoFailuresOnlyCheckpointsCost) {
  FailureModel f;
  f.mtbf_s = INFINITY;
  f.checkpoint_s = 10;
  f.interval_s = 100;
  const auto r = expected_run_time(1000, f);
  EXPECT_DOUBLE_EQ(r.wall_s, 1100);
  EXPECT_DOUBLE_EQ(r.checkpoints, 10);
  EXPECT_NEAR(r.goodput, 1000.0 / 1100.0, 1e-12);
}

TEST(Reliability, FailuresCostMoreThanCheckpointsAndOptimumIsNearDaly) {
  FailureModel f;
  f.mtbf_s = 3600;
  f.checkpoint_s = 60;
  f.restart_s = 300;
  const double work = 30 * 86400.0;
  const auto best = expected_run_time(work, f);
  EXPECT_GT(best.wall_s, work + best.checkpoints * f.checkpoint_s);
  EXPECT_GT(best.failures, 0);
  // Daly's interval is at (or extremely near) the minimum of the expected wall time.
  for (double scale : {0.5, 0.8, 1.25, 2.0}) {
    FailureModel g = f;
    g.interval_s = best.interval_s * scale;
    EXPECT_GE(expected_run_time(work, g).wall_s, best.wall_s * (1 - 1e-4)) << scale;
  }
  // Daly eq. 20 by hand.
  const double tau = best.interval_s;
  EXPECT_NEAR(best.wall_s, 3600 * std::exp(300.0 / 3600) * std::expm1((tau + 60) / 3600) * work / tau, 1e-6 * work);
}
