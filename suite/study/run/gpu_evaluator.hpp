#pragma once
// Scenarios on GPU clusters (bare GPUs or nodes): the memory plan (ZeRO, offload, recompute),
// model FLOPs, and for training and inference studies the time model. A `search: best` spec runs
// the strategy search here, once, when it is dealt (gpu_search.hpp), and is then evaluated as the
// layout the search chose.
#include "study/run/evaluator.hpp"

namespace wb::study::run {

class GpuEvaluator final : public Evaluator {
 public:
  void validate(const plan::Study& study, plan::ScenarioSpec& spec) const override;
  ScenarioResult evaluate(const plan::Study& study, const plan::ScenarioSpec& spec, MPI_Comm comm) const override;
  std::vector<const schema::TableSpec*> tables(const plan::Study& study) const override;
};

}  // namespace wb::study::run
