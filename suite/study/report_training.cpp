// The training-time table of `waferbench report` (issue 4: wafer rows; GPU rows once they carry
// times).
#include <cmath>
#include <cstdio>

#include "study/report.hpp"

namespace wb::study {

namespace {

std::string fixed(double v, const char* format) {
  if (std::isnan(v)) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

}  // namespace

void print_training_table(std::ostream& os, const io::Table& sc) {
  const io::Column* step = sc.find("step_time_s");
  if (!step) return;
  bool any = false;
  for (std::size_t i = 0; i < sc.rows(); ++i) any = any || !std::isnan(step->f64[i]);
  if (!any) return;
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < sc.rows(); ++i) {
    const std::string placement = sc.at("placement").str[i];
    rows.push_back({sc.at("id").str[i], placement.empty() ? "-" : placement, sc.at("bound").str[i].empty() ? "-" : sc.at("bound").str[i],
                    std::to_string(sc.at("micro_batch").i64[i]), std::to_string(sc.at("grad_accum").i64[i]),
                    fixed(step->f64[i], "%.3f"), fixed(sc.at("tokens_per_s").f64[i], "%.4g"),
                    fixed(sc.at("mfu").f64[i], "%.3f"), fixed(sc.at("time_to_train_s").f64[i] / 86400.0, "%.2f"),
                    fixed(sc.at("goodput").f64[i], "%.3f"), fixed(sc.at("scaling_efficiency").f64[i], "%.3f"),
                    fixed(sc.at("device_hours").f64[i], "%.4g")});
  }
  os << "Training time (failure-free step; days with checkpoints, failures and restarts):\n";
  print_aligned(os,
                {"scenario", "placement", "bound", ">mb", ">passes", ">step_s", ">tokens/s", ">mfu", ">days", ">goodput",
                 ">scaling", ">device_h"},
                rows);
  os << "\n";
}

}  // namespace wb::study
