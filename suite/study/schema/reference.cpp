#include "study/schema/reference.hpp"

#include <cmath>
#include <limits>

namespace wb::study::schema::reference {

const TableSpec& table() {
  static const TableSpec t("reference", {&scenario_id, &scenario_index, &metric, &units, &published, &predicted,
                                         &relative_error, &compare, &tolerance, &pass, &source, &note, &known_miss});
  return t;
}

const char* to_string(Compare c) {
  switch (c) {
    case Compare::within: return "within";
    case Compare::at_least: return "at_least";
    case Compare::at_most: return "at_most";
  }
  return "?";
}

bool passes(double published, Compare compare, double tolerance, double predicted) {
  if (std::isnan(predicted)) return false;
  const double slack = published == 0.0 ? tolerance : std::fabs(published) * tolerance;
  switch (compare) {
    case Compare::within: return std::fabs(predicted - published) <= slack;
    case Compare::at_least: return predicted >= published - slack;
    case Compare::at_most: return predicted <= published + slack;
  }
  return false;
}

double relative_error_of(double published, double predicted) {
  if (published == 0.0) return std::numeric_limits<double>::quiet_NaN();
  return (predicted - published) / published;
}

}  // namespace wb::study::schema::reference
