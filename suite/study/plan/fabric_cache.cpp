#include "study/plan/fabric_cache.hpp"

#include <stdexcept>

#include "io/error.hpp"
#include "io/hdf5_file.hpp"
#include "study/schema/fabric.hpp"

namespace wb::study::plan {

namespace {

namespace col = schema::fabric;

std::vector<wafer::FabricCacheEntry> entries_of(const io::Table& t) {
  const auto& chip = schema::get(t, col::chip).str;
  const auto& mapping = schema::get(t, col::mapping).str;
  const auto& m = schema::get(t, col::m).i64;
  const auto& n = schema::get(t, col::n).i64;
  const auto& batch = schema::get(t, col::batch).i64;
  const auto& p_rows = schema::get(t, col::p_rows).i64;
  const auto& p_cols = schema::get(t, col::p_cols).i64;
  const auto& sparsity = schema::get(t, col::sparsity).f64;
  const auto& case_name = schema::get(t, col::case_name).str;
  const auto& origin = schema::get(t, col::origin).str;
  const auto& cycles = schema::get(t, col::cycles).f64;
  const auto& time_s = schema::get(t, col::time_s).f64;
  const auto& sampled = schema::get(t, col::sampled_outputs).i64;
  std::vector<wafer::FabricCacheEntry> out;
  for (std::size_t i = 0; i < t.rows(); ++i) {
    wafer::FabricCacheEntry e;
    e.key = {chip[i], mapping[i], m[i], n[i], batch[i], p_rows[i], p_cols[i], sparsity[i]};
    e.case_name = case_name[i];
    e.origin = origin[i];
    e.cycles = cycles[i];
    e.time_s = time_s[i];
    e.sampled_outputs = sampled[i];
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::shared_ptr<const wafer::FabricCache> read_fabric_cache(const std::string& path) {
  const io::Table t = io::read_table(path, col::table().path());
  try {
    return std::make_shared<const wafer::FabricCache>(entries_of(t), path);
  } catch (const std::logic_error& e) {  // a column missing (out_of_range) or of another type
    throw io::IoError(path + ": " + col::table().path() + " is not a fabric cache: " + e.what());
  }
}

}  // namespace wb::study::plan
