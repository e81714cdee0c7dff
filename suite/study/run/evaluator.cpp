#include "study/run/evaluator.hpp"

#include <algorithm>
#include <cstdio>

#include "study/run/gpu_evaluator.hpp"
#include "study/run/wafer_evaluator.hpp"
#include "study/schema/result_file.hpp"

namespace wb::study::run {

const Evaluator& evaluator_for(plan::SystemKind kind) {
  static const GpuEvaluator gpu;
  static const WaferEvaluator wafer;
  switch (kind) {
    case plan::SystemKind::gpu:
    case plan::SystemKind::node: return gpu;
    case plan::SystemKind::wafer: return wafer;
  }
  return gpu;
}

void validate(plan::Study& study) {
  for (plan::ScenarioSpec& spec : study.scenarios) evaluator_for(spec.system->kind).validate(study, spec);
  study.validated = true;
}

std::string out_of_memory_reason(const std::string& device, double device_used, double device_capacity,
                                 const std::string& host, double host_used, double host_capacity) {
  const auto over = [](const std::string& what, double used, double capacity) {
    char buf[96];
    std::snprintf(buf, sizeof buf, ": %.1f of %.1f GiB", used / 1073741824.0, capacity / 1073741824.0);
    return what + buf;
  };
  std::string why;
  if (device_used > device_capacity) why = over("out of " + device, device_used, device_capacity);
  if (host_used > host_capacity) why += (why.empty() ? "" : "; ") + over("out of " + host, host_used, host_capacity);
  return why;
}

void set_setting(const plan::ScenarioSpec& spec, schema::scenarios::Row& row) {
  namespace col = schema::scenarios;
  row.set(col::id, spec.id);
  row.set(col::sweep, spec.sweep);
  row.set(col::model, spec.model->name);
  row.set(col::system, spec.system->name);
  row.set(col::system_count, spec.count);
  row.set(col::host, spec.host ? spec.host->name : std::string());
  row.set(col::params, model::count_params(*spec.model).total);
}

ScenarioResult evaluate(const plan::Study& study, const plan::ScenarioSpec& spec, MPI_Comm comm) {
  return evaluator_for(spec.system->kind).evaluate(study, spec, comm);
}

std::vector<std::string> per_scenario_groups(const plan::Study& study) {
  std::vector<const schema::TableSpec*> wanted;
  for (plan::SystemKind kind : {plan::SystemKind::gpu, plan::SystemKind::wafer})
    for (const schema::TableSpec* t : evaluator_for(kind).tables(study)) wanted.push_back(t);
  std::vector<std::string> groups;
  for (const schema::TableSpec* t : schema::per_scenario_tables())
    if (std::find(wanted.begin(), wanted.end(), t) != wanted.end()) groups.push_back(t->group());
  return groups;
}

}  // namespace wb::study::run
