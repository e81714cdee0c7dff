#include "study/plan/fair_workload.hpp"

#include <map>
#include <set>

namespace wb::study::plan {

void one_batch_per_model(Study& study) {
  if (study.kind != StudyKind::training) return;
  struct Uses {
    std::set<std::string> systems;
    std::set<std::string> searched;  // systems a `search: best` sweep runs it on
    bool wafer = false, gpu = false;
    std::vector<ScenarioSpec*> unset;
  };
  std::map<const model::TransformerConfig*, Uses> by_model;
  std::vector<const model::TransformerConfig*> order;
  for (auto& sc : study.scenarios) {
    if (sc.workload.task != model::Task::train) continue;
    auto [it, added] = by_model.try_emplace(sc.model);
    if (added) order.push_back(sc.model);
    it->second.systems.insert(sc.system->name);
    (sc.system->kind == SystemKind::wafer ? it->second.wafer : it->second.gpu) = true;
    if (sc.search()) it->second.searched.insert(sc.system->name);
    if (sc.workload.global_batch <= 0) it->second.unset.push_back(&sc);
  }
  for (const model::TransformerConfig* m : order) {
    const Uses& u = by_model[m];
    const bool compares = (u.wafer && u.gpu) || u.searched.size() > 1;
    if (!compares || u.unset.empty()) continue;
    std::string systems;
    for (const auto& s : u.systems) systems += (systems.empty() ? "" : ", ") + s;
    if (m->train_global_batch <= 0)
      u.unset.front()->fail(SpecPart::workload,
                            "the study compares " + systems + " on " + m->name +
                                ", which has no published batch (training.global_batch): give workload.global_batch "
                                "so that every system trains the same batch");
    for (ScenarioSpec* sc : u.unset) sc->workload.global_batch = m->train_global_batch;
    study.assumptions.push_back("Same run on every system: " + m->name + " trains its published batch of " +
                                std::to_string(m->train_global_batch) + " sequences on " + systems +
                                " (no sweep gives workload.global_batch)");
  }
}

}  // namespace wb::study::plan
