#include "wafer/wafer_strategy.hpp"

#include <cctype>
#include <sstream>
#include <stdexcept>

namespace wb::wafer {

const char* to_string(Placement p) {
  switch (p) {
    case Placement::automatic: return "auto";
    case Placement::weight_streaming: return "weight-streaming";
    case Placement::layer_pipelined: return "layer-pipelined";
  }
  return "?";
}

namespace {

// "mb30" -> 30 when word is prefix + digits only; -1 when it is not of that form.
std::int64_t numbered(const std::string& word, const std::string& prefix) {
  if (word.size() <= prefix.size() || word.compare(0, prefix.size(), prefix) != 0) return -1;
  std::int64_t n = 0;
  for (std::size_t i = prefix.size(); i < word.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(word[i]))) return -1;
    if (n > 100000000) throw std::invalid_argument("'" + word + "' is too large");
    n = n * 10 + (word[i] - '0');
  }
  return n;
}

std::string known_words() {
  std::string out;
  for (const auto& w : wafer_strategy_words()) out += std::string(out.empty() ? "" : ", ") + w.word;
  return out;
}

}  // namespace

const std::vector<WaferStrategyWord>& wafer_strategy_words() {
  static const std::vector<WaferStrategyWord> words = {
      {"weight-streaming", "weights stream in from MemoryX layer by layer, gradients back; activations stay on the "
                           "wafer (weight streaming, Hot Chips 34, S. Lie 2022)"},
      {"layer-pipelined", "the whole model held in SRAM, its layers pipelined over regions of the fabric"},
      {"auto", "the faster of the two placements that fits (the default)"},
      {"mb<N>", "N sequences per system per pass (default: chosen to fill the fabric)"},
      {"sparse<P>", "P % of the weights zero, unstructured: the fabric skips multiplications by zero"},
  };
  return words;
}

std::string WaferStrategy::canonical() const {
  std::string s = to_string(placement);
  if (micro_batch > 0) s += "+mb" + std::to_string(micro_batch);
  if (sparse_percent > 0) s += "+sparse" + std::to_string(sparse_percent);
  return s;
}

WaferStrategy parse_wafer_strategy(const std::string& text) {
  if (text.empty()) throw std::invalid_argument("empty strategy");
  WaferStrategy s;
  bool saw_placement = false, saw_mb = false, saw_sparse = false;
  std::stringstream ss(text);
  for (std::string w; std::getline(ss, w, '+');) {
    if (w.empty()) throw std::invalid_argument("empty word in '" + text + "' (two '+' in a row?)");
    Placement p = Placement::automatic;
    const bool is_placement = w == "auto" || w == "weight-streaming" || w == "layer-pipelined";
    if (is_placement) {
      if (saw_placement) throw std::invalid_argument("more than one placement in '" + text + "'");
      p = w == "auto" ? Placement::automatic : w == "weight-streaming" ? Placement::weight_streaming
                                                                       : Placement::layer_pipelined;
      s.placement = p;
      saw_placement = true;
    } else if (const std::int64_t mb = numbered(w, "mb"); mb >= 0) {
      if (saw_mb) throw std::invalid_argument("more than one mb<N> in '" + text + "'");
      if (mb < 1) throw std::invalid_argument("'" + w + "' must be at least 1");
      s.micro_batch = mb;
      saw_mb = true;
    } else if (const std::int64_t sp = numbered(w, "sparse"); sp >= 0) {
      if (saw_sparse) throw std::invalid_argument("more than one sparse<P> in '" + text + "'");
      if (sp < 1 || sp > 99) throw std::invalid_argument("'" + w + "': P is the percent of zero weights, 1 to 99");
      s.sparse_percent = sp;
      saw_sparse = true;
    } else {
      throw std::invalid_argument("unknown word '" + w + "' for a wafer system (known: " + known_words() + ")");
    }
  }
  return s;
}

}  // namespace wb::wafer
