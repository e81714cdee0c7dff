#include "wafer/fabric_cache.hpp"

#include <cmath>

#include "wafer/fabric_program.hpp"

namespace wb::wafer {

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

std::optional<double> FabricCache::lookup_whole_fabric(const WaferSpec& chip, const std::string& mapping, std::int64_t m,
                                                       std::int64_t n, std::int64_t batch, double sparsity) const {
  const auto mp = parse_fabric_mapping(mapping);
  if (!mp) return std::nullopt;
  const auto [rows, cols] = whole_fabric_rectangle(chip, *mp, m, n, batch);
  return lookup(FabricCacheKey{chip.name, mapping, m, n, batch, rows, cols, sparsity});
}

}  // namespace wb::wafer
