#include "study/report_time.hpp"

#include <cmath>
#include <cstdio>
#include <vector>

#include "study/report.hpp"

namespace wb::study {

namespace {

std::string fixed(double x, const char* fmt) {
  if (std::isnan(x)) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, fmt, x);
  return buf;
}

}  // namespace

void print_time_tables(std::ostream& os, const io::Table& sc, const std::string& kind) {
  std::vector<std::vector<std::string>> rows;
  if (kind == "training") {
    for (std::size_t i = 0; i < sc.rows(); ++i) {
      auto f = [&](const char* c) { return sc.at(c).f64[i]; };
      rows.push_back({sc.at("id").str[i], sc.at("fits").i64[i] ? "yes" : "NO", fixed(f("step_time_s"), "%.3f"),
                      fixed(f("step_compute_s"), "%.3f"), fixed(f("step_exposed_comm_s"), "%.3f"),
                      fixed(f("step_offload_transfer_s"), "%.3f"), fixed(f("step_cpu_optimizer_s"), "%.3f"),
                      fixed(f("step_pipeline_bubble_s"), "%.3f"), fixed(f("step_straggler_wait_s"), "%.3f"),
                      fixed(f("tflops_per_device"), "%.1f"), fixed(100.0 * f("mfu"), "%.1f"),
                      fixed(f("tokens_per_s"), "%.4g"), fixed(f("time_to_train_s") / 86400.0, "%.2f"),
                      fixed(f("goodput"), "%.4f")});
    }
    os << "Training step (s) along its critical path, throughput and time to train:\n";
    print_aligned(os,
                  {"scenario", "fits", ">step", ">compute", ">comm", ">offload", ">cpu opt", ">bubble", ">straggler",
                   ">TFLOP/s/GPU", ">MFU %", ">tokens/s", ">days", ">goodput"},
                  rows);
    os << "\n";
  } else if (kind == "inference") {
    for (std::size_t i = 0; i < sc.rows(); ++i) {
      auto f = [&](const char* c) { return sc.at(c).f64[i]; };
      rows.push_back({sc.at("id").str[i], sc.at("fits").i64[i] ? "yes" : "NO", fixed(f("generate_time_s"), "%.2f"),
                      fixed(f("load_time_s"), "%.2f"), fixed(f("prefill_time_s"), "%.3f"), fixed(f("decode_time_s"), "%.3f"),
                      fixed(100.0 * f("load_time_s") / f("generate_time_s"), "%.0f")});
    }
    os << "Time to generate (s): loading the model, prefill, decode:\n";
    print_aligned(os, {"scenario", "fits", ">generate", ">load", ">prefill", ">decode", ">load %"}, rows);
    os << "\n";
  }
}

}  // namespace wb::study
