#include "measure/fit.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace wb::measure {

AlphaBetaFit fit_alpha_beta(const std::vector<double>& bytes, const std::vector<double>& seconds) {
  if (bytes.size() != seconds.size()) throw std::invalid_argument("fit_alpha_beta: sizes and times differ in length");
  if (bytes.size() < 2) throw std::invalid_argument("fit_alpha_beta: needs at least two message sizes");
  double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (!(seconds[i] > 0) || !std::isfinite(seconds[i])) throw std::invalid_argument("fit_alpha_beta: times must be positive");
    const double w = 1.0 / (seconds[i] * seconds[i]);
    sw += w;
    sx += w * bytes[i];
    sy += w * seconds[i];
    sxx += w * bytes[i] * bytes[i];
    sxy += w * bytes[i] * seconds[i];
  }
  const double det = sw * sxx - sx * sx;
  if (!(det > 0)) throw std::invalid_argument("fit_alpha_beta: needs at least two distinct message sizes");
  const double slope = (sw * sxy - sx * sy) / det;
  AlphaBetaFit f;
  f.alpha_s = (sy - slope * sx) / sw;
  f.beta_bytes_per_s = slope > 0 ? 1.0 / slope : 0.0;
  f.points = static_cast<int>(bytes.size());
  double mean = 0;
  for (double t : seconds) mean += t;
  mean /= static_cast<double>(seconds.size());
  double ss_res = 0, ss_tot = 0, sum_rel2 = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const double model = f.alpha_s + slope * bytes[i];
    const double r = seconds[i] - model;
    ss_res += r * r;
    ss_tot += (seconds[i] - mean) * (seconds[i] - mean);
    const double rel = r / seconds[i];
    sum_rel2 += rel * rel;
    f.max_relative_residual = std::max(f.max_relative_residual, std::fabs(rel));
  }
  f.rms_relative_residual = std::sqrt(sum_rel2 / static_cast<double>(bytes.size()));
  f.r_squared = ss_tot > 0 ? 1.0 - ss_res / ss_tot : 1.0;
  return f;
}

LinkAlphaBeta ring_equivalent_link(const AlphaBetaFit& fit, int ranks) {
  if (ranks < 2) throw std::invalid_argument("ring_equivalent_link: an all-reduce needs at least two ranks");
  const double p = ranks;
  LinkAlphaBeta l;
  l.latency_s = fit.alpha_s / (2.0 * (p - 1.0));
  l.bandwidth_bytes_per_s = fit.beta_bytes_per_s * 2.0 * (p - 1.0) / p;
  return l;
}

}  // namespace wb::measure
