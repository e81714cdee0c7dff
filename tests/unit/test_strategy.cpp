#include <gtest/gtest.h>

#include <stdexcept>

#include "gpu/strategy.hpp"

using wb::gpu::parse_strategy;

TEST(Strategy, CanonicalSpellingIsStable) {
  EXPECT_EQ(parse_strategy("mb1+offload+zero2").canonical(), "zero2+offload+mb1");
  EXPECT_EQ(parse_strategy("recompute-full+pp4+tp2+zero1+mb8").canonical(), "zero1+tp2+pp4+mb8+recompute-full");
  EXPECT_EQ(parse_strategy("zero3+param-offload+infer-fp32").canonical(), "zero3+param-offload+infer-fp32");
  EXPECT_EQ(parse_strategy("infer-fp16").canonical(), "infer-fp16");
  EXPECT_EQ(parse_strategy("tp1+zero0+mb2+recompute-none").canonical(), "zero0+mb2");
  const auto s = parse_strategy("zero3+offload+param-offload+tp8+pp2+mb4+recompute-selective");
  EXPECT_EQ(s.zero_stage, 3);
  EXPECT_TRUE(s.offload_optimizer);
  EXPECT_TRUE(s.offload_params);
  EXPECT_EQ(s.tp, 8);
  EXPECT_EQ(s.pp, 2);
  EXPECT_EQ(s.micro_batch, 4);
  EXPECT_EQ(parse_strategy(s.canonical()).canonical(), s.canonical());
}

TEST(Strategy, RejectsNonsense) {
  EXPECT_THROW(parse_strategy(""), std::invalid_argument);
  EXPECT_THROW(parse_strategy("zero4"), std::invalid_argument);
  EXPECT_THROW(parse_strategy("zero1+zero2"), std::invalid_argument);
  EXPECT_THROW(parse_strategy("zero2++mb1"), std::invalid_argument);
  EXPECT_THROW(parse_strategy("tp0"), std::invalid_argument);
  EXPECT_THROW(parse_strategy("offload+mb1"), std::invalid_argument);           // needs a ZeRO stage
  EXPECT_THROW(parse_strategy("zero2+param-offload"), std::invalid_argument);   // needs zero3
  EXPECT_THROW(parse_strategy("infer-fp16+offload"), std::invalid_argument);
  EXPECT_THROW(parse_strategy("infer-fp16+recompute-full"), std::invalid_argument);
  EXPECT_THROW(parse_strategy("zero2+mb1+fast"), std::invalid_argument);
}
