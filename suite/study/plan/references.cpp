#include "study/plan/references.hpp"

#include <algorithm>

namespace wb::study::plan {

namespace col = schema::scenarios;
using schema::reference::Compare;

const char* Reference::units() const { return aggregate == Aggregate::ratio ? "1" : metric->units(); }

bool Reference::passes(double predicted) const {
  return schema::reference::passes(published, compare, tolerance, predicted);
}

std::string nearest_id(const std::string& id, const std::map<std::string, std::int64_t>& by_id) {
  std::string best;
  std::size_t best_d = std::string::npos;
  for (const auto& entry : by_id) {
    const std::size_t d = io::edit_distance(id, entry.first);
    if (d < best_d) {
      best_d = d;
      best = entry.first;
    }
  }
  return best;
}

namespace {

std::int64_t lookup(const io::YamlValue& v, const std::map<std::string, std::int64_t>& by_id) {
  const std::string id = v.as_string();
  auto it = by_id.find(id);
  if (it != by_id.end()) return it->second;
  const std::string best = nearest_id(id, by_id);
  v.fail("no scenario with this id in the study" + (best.empty() ? std::string() : "; nearest: " + best));
}

// `{sweep: name}`: every scenario of the sweep, in study order.
void add_sweep(const io::YamlValue& item, const std::vector<ScenarioSpec>& scenarios, std::vector<std::int64_t>& out) {
  io::YamlMap m(item);
  const io::YamlValue name = m.required("sweep");
  m.done();
  const std::string sweep = name.as_string();
  std::size_t found = 0;
  std::string known;
  for (const ScenarioSpec& sc : scenarios) {
    if (sc.sweep == sweep) {
      if (std::find(out.begin(), out.end(), sc.index) == out.end()) out.push_back(sc.index);
      ++found;
    }
    if (known.find("'" + sc.sweep + "'") == std::string::npos) known += (known.empty() ? "'" : ", '") + sc.sweep + "'";
  }
  if (found == 0) name.fail("no sweep named '" + sweep + "' in the study" + (known.empty() ? std::string() : " (sweeps: " + known + ")"));
}

std::vector<std::int64_t> id_list(const io::YamlValue& v, const std::map<std::string, std::int64_t>& by_id,
                                  const std::vector<ScenarioSpec>& scenarios, bool& has_sweep) {
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

// Reads `sum: [ids]`, `min: [ids]` or `ratio: {numerator: [ids], denominator: [ids]}` (with an
// optional `label`) and returns true; reads `within_time: <duration>` (kept on ref) and returns
// false so the caller reads `scenario` as usual.
bool parse_aggregate(io::YamlMap& r, Reference& ref, const std::map<std::string, std::int64_t>& by_id,
                     const std::vector<ScenarioSpec>& scenarios) {
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

double parse_tolerance(const io::YamlValue& v) {
  const double x = io::read_fraction(v, "tolerance");
  if (x < 0) v.fail("tolerance must not be negative");
  return x;
}

// The parts of a reference after what it compares: metric, published value, tolerance, source.
void finish_reference(io::YamlMap& r, Reference& ref) {
  const io::YamlValue metric = r.required("metric");
  const std::string name = metric.as_string();
  ref.metric = col::find(name);
  if (!ref.metric || ref.metric->type == io::ColumnType::str)
    metric.fail("'" + name + "' is not a numeric /scenarios column");
  if (ref.within_time_s > 0 && ref.metric != &col::train_tokens)
    metric.fail("within_time compares the tokens trainable in a wall time: the metric must be train_tokens");
  // A ratio of two values of a column has no units.
  ref.published = r.required("published").as_quantity(ref.aggregate == Aggregate::ratio ? io::Dim::count
                                                                                         : schema::input_dim(ref.metric->unit));
  if (auto c = r.optional("compare")) {
    const std::string cs = c->as_string();
    if (cs == "within") ref.compare = Compare::within;
    else if (cs == "at_least") ref.compare = Compare::at_least;
    else if (cs == "at_most") ref.compare = Compare::at_most;
    else c->fail("unknown compare '" + cs + "'; expected within, at_least or at_most");
  }
  ref.tolerance = parse_tolerance(r.required("tolerance"));
  ref.source = r.required("source").as_string();
  if (auto n = r.optional("note")) ref.note = n->as_string();
  if (auto km = r.optional("known_miss")) ref.known_miss = km->as_string();
  r.done();
}

}  // namespace

std::vector<Reference> parse_references(const io::YamlValue& list, const std::map<std::string, std::int64_t>& by_id,
                                        const std::vector<ScenarioSpec>& scenarios) {
  std::vector<Reference> out;
  for (const auto& rv : list.as_sequence()) {
    io::YamlMap r(rv);
    Reference ref;
    if (!parse_aggregate(r, ref, by_id, scenarios)) {
      const io::YamlValue sid = r.required("scenario");
      ref.scenario_id = sid.as_string();
      auto it = by_id.find(ref.scenario_id);
      if (it == by_id.end()) {
        const std::string best = nearest_id(ref.scenario_id, by_id);
        sid.fail("no scenario with this id in the study" + (best.empty() ? std::string() : "; nearest: " + best));
      }
      ref.scenario_index = it->second;
    }
    finish_reference(r, ref);
    out.push_back(std::move(ref));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Reference& a, const Reference& b) { return a.scenario_index < b.scenario_index; });
  return out;
}

const io::KeyTable& reference_keys() {
  using V = io::KeyValue;
  using io::Dim;
  static const io::KeyTable keys = {
      {"scenario", V::text, Dim::count, false, "the scenario id compared (a one-scenario reference)"},
      {"within_time", V::quantity, Dim::seconds, false,
       "with metric train_tokens: the tokens trainable in this wall time instead of the whole run"},
      {"sum", V::list, Dim::count, false, "scenario ids whose values are added (a part that cannot run makes it NaN)"},
      {"min", V::list, Dim::count, false, "scenario ids whose smallest value is compared (the best of alternatives)"},
      {"ratio", V::block, Dim::count, false, "the smallest value of numerator over the smallest of denominator"},
      {"ratio.numerator", V::list, Dim::count, true, "scenario ids"},
      {"ratio.denominator", V::list, Dim::count, true, "scenario ids"},
      {"sum[].sweep", V::text, Dim::count, false, "in a list of scenarios: every scenario of that sweep"},
      {"min[].sweep", V::text, Dim::count, false, "in a list of scenarios: every scenario of that sweep"},
      {"ratio.numerator[].sweep", V::text, Dim::count, false, "in a list of scenarios: every scenario of that sweep"},
      {"ratio.denominator[].sweep", V::text, Dim::count, false, "in a list of scenarios: every scenario of that sweep"},
      {"label", V::text, Dim::count, false, "names a sum, min or ratio in /reference"},
      {"metric", V::word, Dim::count, true, "the numeric /scenarios column compared"},
      {"published", V::quantity, Dim::count, true,
       "the published value, in the metric's unit (bytes, seconds and FLOP with units: 40GiB, 68d, 2.3e22)"},
      {"compare", V::word, Dim::count, false, "within (default), at_least or at_most"},
      {"tolerance", V::fraction, Dim::count, true, "relative tolerance (absolute when published is 0)"},
      {"source", V::text, Dim::count, true, "where the published value comes from"},
      {"note", V::text, Dim::count, false, "what the comparison assumes"},
      {"known_miss", V::text, Dim::count, false,
       "why the model cannot meet it; run --check then fails when it starts to pass"},
  };
  return keys;
}

}  // namespace wb::study::plan
