#pragma once
// How a study's scenarios (or a fabric study's cases) are dealt: in contiguous blocks, so that
// every rank's rows are one contiguous slab of every table and a file does not depend on the
// rank count. A slice K of N (`run --slice K/N`) is the block rank K of N ranks would get, and
// the ranks of a sliced run deal that slice's block among themselves; `waferbench merge` checks
// each slice's rows against the same rule.
#include <cstdint>
#include <utility>

namespace wb::study::run {

// First item and count owned by `rank` of `ranks` when n items are dealt in blocks.
std::pair<std::int64_t, std::int64_t> block_of(std::int64_t n, std::int64_t rank, std::int64_t ranks);

}  // namespace wb::study::run
