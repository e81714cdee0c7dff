#pragma once
// Scenarios on wafer-scale systems (suite/wafer/wafer_training.hpp): placement, SRAM and
// MemoryX, the step with its streaming bound, time to train, and each layer's share of the step
// (/wafer_layers).
#include "study/run/evaluator.hpp"

namespace wb::study::run {

class WaferEvaluator final : public Evaluator {
 public:
  void validate(const plan::Study& study, plan::ScenarioSpec& spec) const override;
  ScenarioResult evaluate(const plan::Study& study, const plan::ScenarioSpec& spec, MPI_Comm comm) const override;
  std::vector<const schema::TableSpec*> tables(const plan::Study& study) const override;
};

}  // namespace wb::study::run
