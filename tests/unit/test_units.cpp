#include <gtest/gtest.h>

#include <stdexcept>

#include "io/units.hpp"

using wb::io::Dim;
using wb::io::parse_quantity;

TEST(Units, BytesUseBinaryAndDecimalPrefixes) {
  EXPECT_DOUBLE_EQ(parse_quantity("40GiB", Dim::bytes), 40.0 * 1024 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(parse_quantity("40GB", Dim::bytes), 40e9);
  EXPECT_DOUBLE_EQ(parse_quantity("48KiB", Dim::bytes), 48.0 * 1024);
  EXPECT_DOUBLE_EQ(parse_quantity("1 TiB", Dim::bytes), 1099511627776.0);
  EXPECT_DOUBLE_EQ(parse_quantity("8b", Dim::bytes), 1.0);  // bits
}

TEST(Units, BandwidthInBytesOrBitsPerSecond) {
  EXPECT_DOUBLE_EQ(parse_quantity("1.555TB/s", Dim::bytes_per_s), 1.555e12);
  EXPECT_DOUBLE_EQ(parse_quantity("200Gb/s", Dim::bytes_per_s), 25e9);
  EXPECT_DOUBLE_EQ(parse_quantity("100Gbps", Dim::bytes_per_s), 12.5e9);
  EXPECT_DOUBLE_EQ(parse_quantity("220Pb/s", Dim::bytes_per_s), 27.5e15);
}

TEST(Units, FlopsHertzTimePower) {
  EXPECT_DOUBLE_EQ(parse_quantity("312TFLOP/s", Dim::flops_per_s), 312e12);
  EXPECT_DOUBLE_EQ(parse_quantity("2.6E18FLOP", Dim::flops), 2.6e18);
  EXPECT_DOUBLE_EQ(parse_quantity("1.1GHz", Dim::hertz), 1.1e9);
  EXPECT_DOUBLE_EQ(parse_quantity("1.5us", Dim::seconds), 1.5e-6);
  EXPECT_DOUBLE_EQ(parse_quantity("14d", Dim::seconds), 14 * 86400.0);
  EXPECT_DOUBLE_EQ(parse_quantity("400W", Dim::watts), 400.0);
  EXPECT_DOUBLE_EQ(parse_quantity("2.57e11", Dim::count), 2.57e11);
}

TEST(Units, RejectsWrongOrMissingUnits) {
  EXPECT_THROW(parse_quantity("40", Dim::bytes), std::invalid_argument);
  EXPECT_THROW(parse_quantity("40GHz", Dim::bytes), std::invalid_argument);
  EXPECT_THROW(parse_quantity("40GiB", Dim::count), std::invalid_argument);
  EXPECT_THROW(parse_quantity("fast", Dim::hertz), std::invalid_argument);
  EXPECT_THROW(parse_quantity("nan", Dim::count), std::invalid_argument);
  EXPECT_THROW(parse_quantity("", Dim::count), std::invalid_argument);
  EXPECT_THROW(parse_quantity("200Gb", Dim::bytes_per_s), std::invalid_argument);
  // Found by fuzz_units: finite mantissa, infinite after the prefix.
  EXPECT_THROW(parse_quantity("221e291PB/s", Dim::bytes_per_s), std::invalid_argument);
  EXPECT_THROW(parse_quantity("1e308EiB", Dim::bytes), std::invalid_argument);
}

TEST(Units, FormatsForPeople) {
  EXPECT_EQ(wb::io::format_quantity(40.0 * 1073741824.0, Dim::bytes), "40 GiB");
  EXPECT_EQ(wb::io::format_quantity(14 * 86400.0, Dim::seconds), "14 d");
  EXPECT_EQ(wb::io::format_quantity(312e12, Dim::flops_per_s), "312 TFLOP/s");
}
