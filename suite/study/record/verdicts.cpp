#include "study/record/verdicts.hpp"

#include "study/schema/reference.hpp"

namespace wb::study::record {

namespace rc = schema::reference;

bool expected_miss(const io::Table& ref, std::size_t i) {
  const io::Column* known = schema::find(ref, rc::known_miss);
  return known && !known->str[i].empty();
}

ReportCounts count_references(const io::Table& ref) {
  ReportCounts counts;
  if (const io::Column* pass = schema::find(ref, rc::pass))
    for (std::size_t i = 0; i < pass->size(); ++i) {
      counts.references++;
      const bool ok = pass->i64[i] == 1;
      if (ok == expected_miss(ref, i)) counts.failed++;
      if (!ok && expected_miss(ref, i)) counts.known_misses++;
    }
  return counts;
}

}  // namespace wb::study::record
