#include "sim/reliability.hpp"

#include <cmath>
#include <limits>

namespace wb::sim {

double job_mtbf(std::int64_t count_a, double mtbf_a_s, std::int64_t count_b, double mtbf_b_s) {
  double rate = 0.0;
  if (count_a > 0 && mtbf_a_s > 0) rate += static_cast<double>(count_a) / mtbf_a_s;
  if (count_b > 0 && mtbf_b_s > 0) rate += static_cast<double>(count_b) / mtbf_b_s;
  return rate > 0 ? 1.0 / rate : std::numeric_limits<double>::infinity();
}

double young_interval(double checkpoint_s, double mtbf_s) { return std::sqrt(2.0 * checkpoint_s * mtbf_s); }

double daly_interval(double checkpoint_s, double mtbf_s) {
  const double d = checkpoint_s, m = mtbf_s;
  if (d >= 2.0 * m) return m;
  const double x = d / (2.0 * m);
  return std::sqrt(2.0 * d * m) * (1.0 + std::sqrt(x) / 3.0 + x / 9.0) - d;
}

RunTime expected_run_time(double work_s, const FailureModel& f) {
  RunTime r;
  r.work_s = work_s;
  const bool fails = std::isfinite(f.mtbf_s) && f.mtbf_s > 0;
  if (f.interval_s > 0) r.interval_s = f.interval_s;
  else if (fails && f.checkpoint_s > 0) r.interval_s = daly_interval(f.checkpoint_s, f.mtbf_s);
  else r.interval_s = work_s;  // no failures: nothing to protect against, one final checkpoint
  const double tau = r.interval_s > 0 ? r.interval_s : work_s;
  r.checkpoints = tau > 0 ? work_s / tau : 0.0;
  if (!fails) {
    r.wall_s = work_s + r.checkpoints * f.checkpoint_s;
  } else {
    const double m = f.mtbf_s;
    r.wall_s = m * std::exp(f.restart_s / m) * std::expm1((tau + f.checkpoint_s) / m) * work_s / tau;
    r.failures = r.wall_s / m;
  }
  r.goodput = r.wall_s > 0 ? work_s / r.wall_s : 1.0;
  r.idle_fraction = 1.0 - r.goodput;
  return r;
}

}  // namespace wb::sim
