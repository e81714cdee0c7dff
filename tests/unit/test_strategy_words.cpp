#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "gpu/strategy.hpp"
#include "wafer/wafer_strategy.hpp"

using namespace wb;

namespace {

// A listed word written out as a strategy uses it ("tp<N>" -> "tp2"), with the words it needs
// beside it (offload needs a ZeRO stage, vp a pipeline, ...).
std::vector<std::string> spelled(const std::string& word) {
  if (word == "zero0..zero3") return {"zero0", "zero1", "zero2", "zero3"};
  if (word == "recompute-none|selective|full") return {"recompute-none", "recompute-selective", "recompute-full"};
  std::string w = word;
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"<N>", "2"}, {"<P>", "50"}}) {
    const auto at = w.find(from);
    if (at != std::string::npos) w.replace(at, from.size(), to);
  }
  if (w == "offload") return {"zero2+offload"};
  if (w == "param-offload") return {"zero3+param-offload"};
  if (w == "delayed-update") return {"zero2+offload+delayed-update"};
  if (w == "vp2") return {"pp2+vp2"};
  if (w == "sp") return {"tp2+sp"};
  return {w};
}

}  // namespace

// `waferbench list strategies` prints these tables: every word in them parses, and the parsers'
// "known:" lists name every one of them.
TEST(StrategyWords, EveryListedGpuWordParsesAndIsNamedWhenAWordIsUnknown) {
  std::string known;
  try {
    gpu::parse_strategy("zero1+nonsense");
  } catch (const std::invalid_argument& e) {
    known = e.what();
  }
  ASSERT_FALSE(gpu::strategy_words().empty());
  for (const auto& w : gpu::strategy_words()) {
    EXPECT_NE(known.find(w.word), std::string::npos) << w.word << " not in: " << known;
    EXPECT_GT(std::string(w.meaning).size(), 10u);
    for (const auto& text : spelled(w.word)) EXPECT_NO_THROW(gpu::parse_strategy(text)) << text;
  }
}

TEST(StrategyWords, EveryListedWaferWordParsesAndIsNamedWhenAWordIsUnknown) {
  std::string known;
  try {
    wafer::parse_wafer_strategy("zero2");
  } catch (const std::invalid_argument& e) {
    known = e.what();
  }
  ASSERT_FALSE(wafer::wafer_strategy_words().empty());
  for (const auto& w : wafer::wafer_strategy_words()) {
    EXPECT_NE(known.find(w.word), std::string::npos) << w.word << " not in: " << known;
    for (const auto& text : spelled(w.word)) EXPECT_NO_THROW(wafer::parse_wafer_strategy(text)) << text;
  }
}
