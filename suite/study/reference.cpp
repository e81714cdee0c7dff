#include "study/reference.hpp"

#include <cmath>
#include <limits>

#include "study/reference_aggregate.hpp"

namespace wb::study {

double relative_error(double published, double predicted) {
  if (published == 0.0) return std::numeric_limits<double>::quiet_NaN();
  return (predicted - published) / published;
}

bool reference_passes(const Reference& ref, double predicted) {
  if (std::isnan(predicted)) return false;
  const double pub = ref.published;
  const double slack = pub == 0.0 ? ref.tolerance : std::fabs(pub) * ref.tolerance;
  switch (ref.compare) {
    case Compare::within: return std::fabs(predicted - pub) <= slack;
    case Compare::at_least: return predicted >= pub - slack;
    case Compare::at_most: return predicted <= pub + slack;
  }
  return false;
}

io::Table reference_table(const Study& study, std::int64_t first, const std::vector<ScenarioRow>& rows,
                          const std::vector<double>& aggregates) {
  io::Table t;
  auto& sid = t.add("scenario_id", io::ColumnType::str, "", "scenario the published value is compared with");
  auto& sidx = t.add("scenario_index", io::ColumnType::i64, "1", "row of the scenario in /scenarios");
  auto& metric = t.add("metric", io::ColumnType::str, "", "/scenarios column compared");
  auto& units = t.add("units", io::ColumnType::str, "", "units of published and predicted");
  auto& pub = t.add("published", io::ColumnType::f64, "see units", "published value");
  auto& pred = t.add("predicted", io::ColumnType::f64, "see units", "value computed by the model");
  auto& rel = t.add("relative_error", io::ColumnType::f64, "1", "(predicted - published) / published; NaN when published is 0");
  auto& cmp = t.add("compare", io::ColumnType::str, "", "within, at_least or at_most the published value");
  auto& tol = t.add("tolerance", io::ColumnType::f64, "1", "relative tolerance (absolute when published is 0)");
  auto& pass = t.add("pass", io::ColumnType::i64, "1", "1 when the prediction meets the reference");
  auto& src = t.add("source", io::ColumnType::str, "", "where the published value comes from");
  auto& note = t.add("note", io::ColumnType::str, "", "what the comparison assumes");
  auto& known = t.add("known_miss", io::ColumnType::str, "", "why the model is known to miss this value (empty: none)");
  const std::int64_t last = first + static_cast<std::int64_t>(rows.size());
  for (std::size_t i = 0; i < study.references.size(); ++i) {
    const Reference& ref = study.references[i];
    if (ref.scenario_index < first || ref.scenario_index >= last) continue;
    const ScenarioRow& row = rows[static_cast<std::size_t>(ref.scenario_index - first)];
    const double p = ref.aggregate == Aggregate::none ? single_prediction(ref, row) : aggregates.at(i);
    sid.str.push_back(ref.scenario_id);
    sidx.i64.push_back(ref.scenario_index);
    metric.str.push_back(ref.metric);
    units.str.push_back(ref.aggregate == Aggregate::ratio ? "1" : find_column(ref.metric)->units);
    pub.f64.push_back(ref.published);
    pred.f64.push_back(p);
    rel.f64.push_back(relative_error(ref.published, p));
    cmp.str.push_back(to_string(ref.compare));
    tol.f64.push_back(ref.tolerance);
    pass.i64.push_back(reference_passes(ref, p) ? 1 : 0);
    src.str.push_back(ref.source);
    note.str.push_back(ref.note);
    known.str.push_back(ref.known_miss);
  }
  return t;
}

}  // namespace wb::study
