#pragma once
// The alpha-beta (latency-bandwidth) model of a message or collective, t(n) = alpha + n / beta
// (Hockney 1994, Parallel Computing 20(3)), fitted to measured times over message sizes.
#include <vector>

namespace wb::measure {

struct AlphaBetaFit {
  double alpha_s = 0;            // intercept: the time of an empty message
  double beta_bytes_per_s = 0;   // 1 / slope
  double rms_relative_residual = 0;  // sqrt(mean(((t - model) / t)^2)): the fit's typical error
  double max_relative_residual = 0;
  double r_squared = 0;          // 1 - SS_res / SS_tot on the times themselves
  int points = 0;
  bool valid() const { return alpha_s > 0 && beta_bytes_per_s > 0; }
};

// Least squares on relative residuals (weights 1 / t^2): times span several decades over the
// sizes, and an unweighted fit would let the largest messages decide alpha alone. Needs at
// least two distinct sizes and positive times (std::invalid_argument otherwise).
AlphaBetaFit fit_alpha_beta(const std::vector<double>& bytes, const std::vector<double>& seconds);

// An all-reduce of n bytes over p ranks with a bandwidth-optimal algorithm (ring, or
// Rabenseifner's reduce-scatter + all-gather) costs 2 (p - 1) alpha + 2 (p - 1) / p * n / beta
// (Thakur, Rabenseifner & Gropp 2005, IJHPCA 19(1), Sec. 4): the per-step latency and per-link
// bandwidth that reproduce a fitted all-reduce time on p ranks.
struct LinkAlphaBeta {
  double latency_s = 0;
  double bandwidth_bytes_per_s = 0;
};
LinkAlphaBeta ring_equivalent_link(const AlphaBetaFit& allreduce_fit, int ranks);

}  // namespace wb::measure
