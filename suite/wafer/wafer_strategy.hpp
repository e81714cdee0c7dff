#pragma once
// How a model is run on wafer-scale systems, written as words joined by '+':
//   weight-streaming | layer-pipelined | auto    placement (default auto: the faster one that fits)
//   mb<N>                                         sequences per system per pass (default: chosen)
//   sparse<P>                                     P percent of the weights are zero (unstructured)
// e.g. "weight-streaming+mb30+sparse50". The canonical spelling (placement first, then mb, then
// sparse; defaults other than the placement left out) is part of the scenario id.
#include <cstdint>
#include <string>
#include <vector>

namespace wb::wafer {

enum class Placement { automatic, weight_streaming, layer_pipelined };
const char* to_string(Placement p);  // "auto", "weight-streaming", "layer-pipelined"

struct WaferStrategy {
  Placement placement = Placement::automatic;
  std::int64_t micro_batch = 0;     // 0: chosen by the model
  std::int64_t sparse_percent = 0;  // 0: dense

  double weight_density() const { return 1.0 - static_cast<double>(sparse_percent) / 100.0; }
  std::string canonical() const;
};

// Parses and validates a wafer strategy; throws std::invalid_argument naming the bad word.
WaferStrategy parse_wafer_strategy(const std::string& text);

// Every word a wafer strategy is written with and its meaning (`waferbench list strategies`); the
// parser's "known:" list is made from it.
struct WaferStrategyWord {
  const char* word;
  const char* meaning;
};
const std::vector<WaferStrategyWord>& wafer_strategy_words();

}  // namespace wb::wafer
