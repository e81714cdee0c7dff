#pragma once
// Whole-run time of a synchronous training job that fails and restarts: checkpoints every tau
// seconds of work, each costing delta seconds to write; a failure loses the work since the last
// checkpoint and costs a restart (reschedule, reload). Shared by the GPU-cluster and wafer
// models.
//
// Sources: Young, "A first order approximation to the optimum checkpoint interval", CACM 17(9)
// 1974 (tau = sqrt(2 delta M)); Daly, "A higher order estimate of the optimum checkpoint interval
// for restart dumps", FGCS 22(3) 2006 (the optimum interval, eq. 37, and the expected wall time
// with exponentially distributed failures, eq. 20).
#include <cstdint>

namespace wb::sim {

struct FailureModel {
  double mtbf_s = 0;          // mean time between failures of the whole job (0 or inf: none)
  double checkpoint_s = 0;    // delta: time to write one checkpoint
  double restart_s = 0;       // R: time from a failure until work resumes from a checkpoint
  double interval_s = 0;      // tau: work between checkpoints; <= 0 means "use Daly's optimum"
};

// Job MTBF from independent components: 1 / sum(count_i / mtbf_i). Components with mtbf <= 0
// are ignored; returns +inf when nothing fails.
double job_mtbf(std::int64_t count_a, double mtbf_a_s, std::int64_t count_b = 0, double mtbf_b_s = 0);

// Young's first-order optimum interval sqrt(2 delta M).
double young_interval(double checkpoint_s, double mtbf_s);

// Daly's higher-order optimum interval (eq. 37); M when delta >= 2M.
double daly_interval(double checkpoint_s, double mtbf_s);

struct RunTime {
  double work_s = 0;        // failure-free compute time
  double wall_s = 0;        // expected wall time with checkpoints, failures and restarts
  double interval_s = 0;    // checkpoint interval used
  double checkpoints = 0;   // expected number written
  double failures = 0;      // expected number of failures
  double goodput = 1;       // work_s / wall_s
  double idle_fraction = 0; // 1 - goodput: time the machine spends not advancing training
};

// Expected wall time for work_s seconds of failure-free work (Daly eq. 20:
// T = M e^{R/M} (e^{(tau+delta)/M} - 1) work/tau). Without failures, only checkpoint writes add.
RunTime expected_run_time(double work_s, const FailureModel& f);

}  // namespace wb::sim
