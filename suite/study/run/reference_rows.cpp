#include "study/run/reference_rows.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "study/schema/reference.hpp"

namespace wb::study::run {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
using plan::Aggregate;
using plan::Reference;

// Smallest value that is a number (the best of a set of alternatives; NaN marks one that does
// not fit or has no value); NaN when none is.
double smallest(const std::vector<double>& values) {
  double best = kNaN;
  for (double v : values)
    if (!std::isnan(v) && (std::isnan(best) || v < best)) best = v;
  return best;
}

// The predicted value of a one-scenario reference from its row (within_time applied).
double single_prediction(const Reference& ref, const Row& row) {
  const double v = row.number(*ref.metric);
  if (ref.within_time_s <= 0) return v;
  // Tokens trainable in the given wall time: the run is proportional to its tokens (steps x
  // step time), and failures cost the same fraction of a shorter run (goodput is kept).
  return v * ref.within_time_s / row.number(schema::scenarios::time_to_train_s);
}

}  // namespace

io::Table reference_table(const plan::Study& study, std::int64_t first, const std::vector<Row>& rows,
                          const std::vector<double>& aggregates) {
  namespace col = schema::reference;
  io::Table t = col::table().empty();
  const std::int64_t last = first + static_cast<std::int64_t>(rows.size());
  for (std::size_t i = 0; i < study.references.size(); ++i) {
    const Reference& ref = study.references[i];
    if (ref.scenario_index < first || ref.scenario_index >= last) continue;
    const Row& row = rows[static_cast<std::size_t>(ref.scenario_index - first)];
    const double p = ref.aggregate == Aggregate::none ? single_prediction(ref, row) : aggregates.at(i);
    schema::put(t, col::scenario_id, ref.scenario_id);
    schema::put(t, col::scenario_index, ref.scenario_index);
    schema::put(t, col::metric, std::string(ref.metric->name));
    schema::put(t, col::units, std::string(ref.units()));
    schema::put(t, col::published, ref.published);
    schema::put(t, col::predicted, p);
    schema::put(t, col::relative_error, col::relative_error_of(ref.published, p));
    schema::put(t, col::compare, std::string(col::to_string(ref.compare)));
    schema::put(t, col::tolerance, ref.tolerance);
    schema::put(t, col::pass, std::int64_t{ref.passes(p) ? 1 : 0});
    schema::put(t, col::source, ref.source);
    schema::put(t, col::note, ref.note);
    schema::put(t, col::known_miss, ref.known_miss);
  }
  return t;
}

std::vector<std::int64_t> aggregate_terms_outside(const plan::Study& study, std::int64_t begin, std::int64_t end) {
  std::vector<std::int64_t> out;
  for (const auto& ref : study.references) {
    if (ref.aggregate == Aggregate::none || ref.scenario_index < begin || ref.scenario_index >= end) continue;
    for (const auto* list : {&ref.terms, &ref.denominator})
      for (const std::int64_t idx : *list)
        if ((idx < begin || idx >= end) && std::find(out.begin(), out.end(), idx) == out.end()) out.push_back(idx);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<double> aggregate_predictions(MPI_Comm comm, const plan::Study& study, std::int64_t first,
                                          const std::vector<Row>& rows, const std::map<std::int64_t, Row>& outside) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  // Every value an aggregate needs, in a fixed order; each rank fills those of its own rows and
  // zeros elsewhere, so the sum over ranks is exact and the result independent of the rank count.
  std::vector<double> values;
  std::vector<std::size_t> offsets;
  const std::int64_t last = first + static_cast<std::int64_t>(rows.size());
  for (const auto& ref : study.references) {
    offsets.push_back(values.size());
    if (ref.aggregate == Aggregate::none) continue;
    for (const auto* list : {&ref.terms, &ref.denominator}) {
      for (const std::int64_t idx : *list) {
        const bool mine = idx >= first && idx < last;
        double v = mine ? rows[static_cast<std::size_t>(idx - first)].number(*ref.metric) : 0.0;
        if (rank == 0) {
          auto it = outside.find(idx);
          if (it != outside.end()) v = it->second.number(*ref.metric);
        }
        values.push_back(v);
      }
    }
  }
  if (!values.empty())
    MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM, comm);

  std::vector<double> out(study.references.size(), kNaN);
  for (std::size_t i = 0; i < study.references.size(); ++i) {
    const Reference& ref = study.references[i];
    if (ref.aggregate == Aggregate::none) continue;
    const auto begin = values.begin() + static_cast<std::ptrdiff_t>(offsets[i]);
    const std::vector<double> num(begin, begin + static_cast<std::ptrdiff_t>(ref.terms.size()));
    const std::vector<double> den(begin + static_cast<std::ptrdiff_t>(ref.terms.size()),
                                  begin + static_cast<std::ptrdiff_t>(ref.terms.size() + ref.denominator.size()));
    if (ref.aggregate == Aggregate::sum) {
      double s = 0;
      for (double v : num) s += v;  // NaN in any term makes the sum NaN: a part that cannot run
      out[i] = s;
    } else if (ref.aggregate == Aggregate::min) {
      out[i] = smallest(num);
    } else {
      out[i] = smallest(num) / smallest(den);
    }
  }
  return out;
}

}  // namespace wb::study::run
