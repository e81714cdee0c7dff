#include "study/reference_aggregate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace wb::study {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::int64_t lookup(const io::YamlValue& v, const std::map<std::string, std::int64_t>& by_id) {
  const std::string id = v.as_string();
  auto it = by_id.find(id);
  if (it != by_id.end()) return it->second;
  std::string best;
  std::size_t best_d = std::string::npos;
  for (const auto& [known, idx] : by_id) {
    (void)idx;
    const std::size_t d = io::edit_distance(id, known);
    if (d < best_d) {
      best_d = d;
      best = known;
    }
  }
  v.fail("no scenario with this id in the study" + (best.empty() ? std::string() : "; nearest: " + best));
}

// `{sweep: name}`: every scenario of the sweep, in study order.
void add_sweep(const io::YamlValue& item, const std::vector<Scenario>* scenarios, std::vector<std::int64_t>& out) {
  io::YamlMap m(item);
  const io::YamlValue name = m.required("sweep");
  m.done();
  const std::string sweep = name.as_string();
  std::size_t found = 0;
  std::string known;
  if (scenarios)
    for (const Scenario& sc : *scenarios) {
      if (sc.sweep == sweep) {
        if (std::find(out.begin(), out.end(), sc.index) == out.end()) out.push_back(sc.index);
        ++found;
      }
      if (known.find("'" + sc.sweep + "'") == std::string::npos) known += (known.empty() ? "'" : ", '") + sc.sweep + "'";
    }
  if (found == 0) name.fail("no sweep named '" + sweep + "' in the study" + (known.empty() ? std::string() : " (sweeps: " + known + ")"));
}

std::vector<std::int64_t> id_list(const io::YamlValue& v, const std::map<std::string, std::int64_t>& by_id,
                                  const std::vector<Scenario>* scenarios, bool& has_sweep) {
  std::vector<std::int64_t> out;
  if (v.is_map()) {
    add_sweep(v, scenarios, out);
    has_sweep = true;
    return out;
  }
  for (const auto& item : v.as_list()) {
    if (item.is_map()) {
      add_sweep(item, scenarios, out);
      has_sweep = true;
    } else {
      out.push_back(lookup(item, by_id));
    }
  }
  return out;
}

// Smallest value that is a number (the best of a set of alternatives; NaN marks one that does
// not fit or has no value); NaN when none is.
double smallest(const std::vector<double>& values) {
  double best = kNaN;
  for (double v : values)
    if (!std::isnan(v) && (std::isnan(best) || v < best)) best = v;
  return best;
}

}  // namespace

bool parse_reference_aggregate(io::YamlMap& r, Reference& ref, const std::map<std::string, std::int64_t>& by_id,
                               const std::vector<Scenario>* scenarios) {
  bool has_sweep = false;
  if (auto wt = r.optional("within_time")) ref.within_time_s = wt->as_positive_quantity(io::Dim::seconds);
  const auto sum = r.optional("sum");
  const auto best = r.optional("min");
  const auto ratio = r.optional("ratio");
  const auto label = r.optional("label");
  if ((sum ? 1 : 0) + (best ? 1 : 0) + (ratio ? 1 : 0) > 1) r.fail("a reference is one of sum, min or ratio");
  if (!sum && !best && !ratio) {
    if (label) label->fail("label names a sum, min or ratio; a one-scenario reference is named by its scenario");
    return false;
  }
  if (ref.within_time_s > 0) r.fail("within_time applies to one scenario, not to a sum, min or ratio");
  std::int64_t last = 0;
  if (sum || best) {
    const io::YamlValue& list = sum ? *sum : *best;
    ref.aggregate = sum ? Aggregate::sum : Aggregate::min;
    ref.terms = id_list(list, by_id, scenarios, has_sweep);
    if (ref.terms.size() < 2 && !has_sweep) list.fail("needs at least two scenarios (or {sweep: <name>})");
    ref.scenario_id = std::string(sum ? "sum" : "min") + " of " + std::to_string(ref.terms.size()) + " scenarios";
  } else {
    ref.aggregate = Aggregate::ratio;
    io::YamlMap m(*ratio);
    ref.terms = id_list(m.required("numerator"), by_id, scenarios, has_sweep);
    ref.denominator = id_list(m.required("denominator"), by_id, scenarios, has_sweep);
    m.done();
    ref.scenario_id = "ratio";
  }
  for (auto i : ref.terms) last = std::max(last, i);
  for (auto i : ref.denominator) last = std::max(last, i);
  ref.scenario_index = last;
  if (label) ref.scenario_id = label->as_string();
  return true;
}

double single_prediction(const Reference& ref, const ScenarioRow& row) {
  const double v = row.number(ref.metric);
  if (ref.within_time_s <= 0) return v;
  // Tokens trainable in the given wall time: the run is proportional to its tokens (steps x
  // step time), and failures cost the same fraction of a shorter run (goodput is kept).
  return v * ref.within_time_s / row.number("time_to_train_s");
}

std::vector<std::int64_t> aggregate_terms_outside(const Study& study, std::int64_t begin, std::int64_t end) {
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

std::vector<double> aggregate_predictions(MPI_Comm comm, const Study& study, std::int64_t first,
                                          const std::vector<ScenarioRow>& rows,
                                          const std::map<std::int64_t, ScenarioRow>& outside) {
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
        double v = mine ? rows[static_cast<std::size_t>(idx - first)].number(ref.metric) : 0.0;
        if (rank == 0) {
          auto it = outside.find(idx);
          if (it != outside.end()) v = it->second.number(ref.metric);
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

}  // namespace wb::study
