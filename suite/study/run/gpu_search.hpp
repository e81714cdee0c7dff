#pragma once
// A `search: best` spec, resolved when it is evaluated: the strategy search (gpu/search.hpp)
// over every layout of the model on the cluster, ranked on the straggler-free step, and one line
// saying what it considered and chose (it joins the file's assumptions).
#include <optional>
#include <string>

#include "gpu/strategy.hpp"
#include "study/plan/study.hpp"

namespace wb::study::run {

struct SearchOutcome {
  // The fastest layout that fits; when none fits, the one with the smallest footprint (its row
  // then says fits = 0); none when no layout can use all the GPUs for the workload.
  std::optional<gpu::Strategy> strategy;
  std::string note;
  std::string no_layout;  // when there is no strategy: why (the fits_reason column)
};

SearchOutcome search_layout(const plan::Study& study, const plan::ScenarioSpec& spec);

}  // namespace wb::study::run
