// The fabric cache (suite/wafer/fabric_cache.hpp, read by study/plan/fabric_cache.hpp) on the
// file the CI layer-cache study writes: every /fabric row is found by its key, sparsity is
// matched within 1e-9, a missing key gives nothing, and the sparse shapes are cheaper than the
// dense ones.
//   wb_fabric_cache_tests <fabric_layer_cache_ci.h5>
#include <gtest/gtest.h>

#include <string>

#include "io/hdf5_file.hpp"
#include "study/plan/fabric_cache.hpp"
#include "study/schema/fabric.hpp"
#include "wafer/fabric_cache.hpp"

namespace {

std::string g_path;

namespace col = wb::study::schema::fabric;
using wb::study::schema::get;

TEST(FabricCache, EveryRowIsFoundByItsKey) {
  const auto cache = wb::study::plan::read_fabric_cache(g_path);
  const wb::io::Table t = wb::io::read_table(g_path, col::table().path());
  ASSERT_EQ(cache->entries().size(), t.rows());
  ASSERT_GT(t.rows(), 0u);
  for (std::size_t i = 0; i < t.rows(); ++i) {
    wb::wafer::FabricCacheKey k{get(t, col::chip).str[i], get(t, col::mapping).str[i], get(t, col::m).i64[i],
                                get(t, col::n).i64[i], get(t, col::batch).i64[i], get(t, col::p_rows).i64[i],
                                get(t, col::p_cols).i64[i], get(t, col::sparsity).f64[i] + 1e-12};
    const auto cycles = cache->lookup(k);
    ASSERT_TRUE(cycles) << get(t, col::case_name).str[i];
    EXPECT_EQ(*cycles, get(t, col::cycles).f64[i]);
    k.batch += 1;
    EXPECT_FALSE(cache->lookup(k));
  }
}

TEST(FabricCache, SparseShapesAreCheaper) {
  const auto cache = wb::study::plan::read_fabric_cache(g_path);
  int pairs = 0;
  for (const auto& e : cache->entries()) {
    if (e.key.sparsity != 0) continue;
    auto sparse = e.key;
    sparse.sparsity = 0.75;
    if (const auto s = cache->lookup(sparse)) {
      EXPECT_LT(*s, e.cycles) << e.case_name;
      ++pairs;
    }
  }
  EXPECT_GT(pairs, 0);
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: wb_fabric_cache_tests <fabric cache .h5>\n");
    return 2;
  }
  g_path = argv[1];
  return RUN_ALL_TESTS();
}
