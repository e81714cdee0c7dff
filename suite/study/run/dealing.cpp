#include "study/run/dealing.hpp"

namespace wb::study::run {

std::pair<std::int64_t, std::int64_t> block_of(std::int64_t n, std::int64_t rank, std::int64_t ranks) {
  const std::int64_t begin = n * rank / ranks;
  const std::int64_t end = n * (rank + 1) / ranks;
  return {begin, end - begin};
}

}  // namespace wb::study::run
