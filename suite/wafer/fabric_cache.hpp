#pragma once
// Lookup of simulated per-layer cycle counts (the "fabric cache"): the /fabric rows of a result
// file written by a fabric study, typically
//   waferbench run inputs/studies/fabric_layer_cache.yaml -o results/fabric_layer_cache.h5
// which the study layer reads (study/plan/fabric_cache.hpp) and hands over as entries. A row is
// keyed by chip, mapping, GEMM shape y[batch, n] = x[batch, m] W[m, n], PE rectangle and weight
// sparsity; its value is `cycles`, the on-chip cycles of the case's statistic (the host's launch
// and readback are the separate launch_cycles column: inside a training step the layers run back
// to back on the wafer, with no host call between them). The key and the file format are
// described in docs/fabric-model.md.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace wb::wafer {

struct WaferSpec;

struct FabricCacheKey {
  std::string chip;      // system file stem: "cs-2"
  std::string mapping;   // the kernel: "weight-streaming", "chain", "allreduce", "meshgemv", "cannon", ...
  std::int64_t m = 0, n = 0, batch = 1;
  std::int64_t p_rows = 0, p_cols = 0;
  double sparsity = 0;   // fraction of zero weights; matched within 1e-9
};

struct FabricCacheEntry {
  FabricCacheKey key;
  std::string case_name;
  std::string origin;     // which model GEMMs use this shape
  double cycles = 0;
  double time_s = 0;      // at the chip's clock
  std::int64_t sampled_outputs = 0;  // > 0: extended linearly from s and 2s simulated outputs
};

class FabricCache {
 public:
  FabricCache() = default;
  // A cache of the given rows; `path` only names where they came from.
  explicit FabricCache(std::vector<FabricCacheEntry> entries, std::string path = "")
      : path_(std::move(path)), entries_(std::move(entries)) {}

  std::optional<double> lookup(const FabricCacheKey& key) const;
  // A layer given the whole fabric of `chip` (rectangle from whole_fabric_rectangle()).
  std::optional<double> lookup_whole_fabric(const WaferSpec& chip, const std::string& mapping, std::int64_t m,
                                            std::int64_t n, std::int64_t batch, double sparsity) const;
  const FabricCacheEntry* find(const FabricCacheKey& key) const;
  const std::vector<FabricCacheEntry>& entries() const { return entries_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<FabricCacheEntry> entries_;
};

}  // namespace wb::wafer
