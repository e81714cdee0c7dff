#include "wafer/fabric_cache.hpp"

#include <cmath>

#include "io/hdf5_file.hpp"
#include "wafer/fabric_program.hpp"

namespace wb::wafer {

FabricCache::FabricCache(const std::string& path) : path_(path) {
  const io::Table t = io::read_table(path, "/fabric");
  for (std::size_t i = 0; i < t.rows(); ++i) {
    FabricCacheEntry e;
    e.key.chip = t.at("chip").str[i];
    e.key.mapping = t.at("mapping").str[i];
    e.key.m = t.at("m").i64[i];
    e.key.n = t.at("n").i64[i];
    e.key.batch = t.at("batch").i64[i];
    e.key.p_rows = t.at("p_rows").i64[i];
    e.key.p_cols = t.at("p_cols").i64[i];
    e.key.sparsity = t.at("sparsity").f64[i];
    e.case_name = t.at("case").str[i];
    e.origin = t.at("origin").str[i];
    e.cycles = t.at("cycles").f64[i];
    e.time_s = t.at("time_s").f64[i];
    e.sampled_outputs = t.at("sampled_outputs").i64[i];
    entries_.push_back(std::move(e));
  }
}

const FabricCacheEntry* FabricCache::find(const FabricCacheKey& k) const {
  for (const auto& e : entries_) {
    const auto& q = e.key;
    if (q.chip == k.chip && q.mapping == k.mapping && q.m == k.m && q.n == k.n && q.batch == k.batch &&
        q.p_rows == k.p_rows && q.p_cols == k.p_cols && std::fabs(q.sparsity - k.sparsity) <= 1e-9)
      return &e;
  }
  return nullptr;
}

std::optional<double> FabricCache::lookup(const FabricCacheKey& key) const {
  if (const auto* e = find(key)) return e->cycles;
  return std::nullopt;
}

}  // namespace wb::wafer

namespace wb::wafer {

std::optional<double> FabricCache::lookup_whole_fabric(const WaferSpec& chip, const std::string& mapping, std::int64_t m,
                                                       std::int64_t n, std::int64_t batch, double sparsity) const {
  const auto mp = parse_fabric_mapping(mapping);
  if (!mp) return std::nullopt;
  const auto [rows, cols] = whole_fabric_rectangle(chip, *mp, m, n, batch);
  return lookup(FabricCacheKey{chip.name, mapping, m, n, batch, rows, cols, sparsity});
}

}  // namespace wb::wafer
