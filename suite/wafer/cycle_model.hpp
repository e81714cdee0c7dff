#pragma once
// The chain of cycle sources the wafer model asks: `preferred` ones first (the fabric
// simulator's cache), then the analytic mapping, which always answers. For each product it tries
// every kernel that applies (the dataflow's own, and the resident kernels where both operands are
// on the PEs) and whose fullest PE fits the kernel SRAM budget, and keeps the fastest.
#include <optional>
#include <string>
#include <vector>

#include "wafer/analytic_cycles.hpp"
#include "wafer/cycle_source.hpp"

namespace wb::wafer {

struct GemmCycles {
  double cycles = 0;   // all instances (side by side in sub-rectangles, in rounds if need be)
  std::string source;  // name() of the source that answered
  Kernel kernel = Kernel::weight_streaming;  // the kernel chosen
};

class CycleModel {
 public:
  explicit CycleModel(const WaferSpec& spec, std::vector<const CycleSource*> preferred = {})
      : spec_(spec), analytic_(spec), preferred_(std::move(preferred)) {}

  GemmCycles gemm(const Gemm& g, Phase phase, Dataflow flow, const Rect& rect) const;
  // Element-wise operations spread over every PE's SIMD lanes.
  double vector_cycles(double ops, const Rect& rect) const;
  const WaferSpec& spec() const { return spec_; }

 private:
  const WaferSpec& spec_;
  AnalyticCycles analytic_;
  std::vector<const CycleSource*> preferred_;
  std::optional<double> cycles_of(const CycleQuery& q, std::string& source) const;
};

}  // namespace wb::wafer
