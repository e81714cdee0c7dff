// Output formats of report/compare: CSV quoting (RFC 4180), JSON escaping and numbers (RFC 8259),
// Markdown cells, and the progress line's durations.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>

#include "study/run/progress.hpp"
#include "study/record/table_output.hpp"

using namespace wb;

TEST(TableOutput, CsvQuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(study::record::csv_field("zero2+offload"), "zero2+offload");
  EXPECT_EQ(study::record::csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(study::record::csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(study::record::csv_field("two\nlines"), "\"two\nlines\"");
}

TEST(TableOutput, CsvTableHasFullPrecisionAndEmptyNaN) {
  io::Table t;
  auto& id = t.add("id", io::ColumnType::str, "");
  auto& x = t.add("x_bytes", io::ColumnType::f64, "bytes");
  auto& n = t.add("n", io::ColumnType::i64, "1");
  id.str = {"a,1", "b"};
  x.f64 = {0.1, std::numeric_limits<double>::quiet_NaN()};
  n.i64 = {-1, 7};
  std::ostringstream os;
  study::record::print_csv(os, t);
  EXPECT_EQ(os.str(), "id,x_bytes,n\r\n\"a,1\",0.10000000000000001,-1\r\nb,,7\r\n");
}

TEST(TableOutput, JsonStringsAreEscaped) {
  EXPECT_EQ(study::record::json_string("plain"), "\"plain\"");
  EXPECT_EQ(study::record::json_string("q\"b\\n\nt\t"), "\"q\\\"b\\\\n\\nt\\t\"");
  EXPECT_EQ(study::record::json_string(std::string("\x01", 1)), "\"\\u0001\"");
  EXPECT_EQ(study::record::json_string("40 GiB × 8"), "\"40 GiB × 8\"");  // UTF-8 passes through
}

TEST(TableOutput, JsonNumbersRoundTripAndNaNIsNull) {
  EXPECT_EQ(study::record::json_number(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(study::record::json_number(std::numeric_limits<double>::infinity()), "null");
  const double v = 48.84 * 1073741824.0 / 3.0;
  EXPECT_EQ(std::stod(study::record::json_number(v)), v);
}

TEST(TableOutput, JsonTableIsRowsOfObjects) {
  io::Table t;
  t.add("id", io::ColumnType::str, "").str = {"a"};
  t.add("fits", io::ColumnType::i64, "1").i64 = {1};
  std::ostringstream os;
  study::record::print_json_table(os, t, "");
  EXPECT_EQ(os.str(), "{\n  \"units\": {\"id\": \"\", \"fits\": \"1\"},\n  \"rows\": [\n    {\"id\": \"a\", \"fits\": 1}\n  ]\n}");
}

TEST(TableOutput, MarkdownEscapesPipesAndAligns) {
  std::ostringstream os;
  study::record::print_markdown_table(os, {"name", ">value"}, {{"a|b", "1"}});
  EXPECT_EQ(os.str(), "| name | value |\n|---|---:|\n| a\\|b | 1 |\n");
}

TEST(TableOutput, FormatNames) {
  EXPECT_EQ(study::record::parse_format("json"), study::record::Format::json);
  EXPECT_EQ(study::record::parse_format("md"), study::record::Format::markdown);
  EXPECT_THROW(study::record::parse_format("xml"), std::invalid_argument);
}

TEST(TableOutput, HumanValuesUseTheColumnUnits) {
  EXPECT_EQ(study::record::human_value(48.84 * 1073741824.0, "bytes"), "48.84 GiB");
  EXPECT_EQ(study::record::human_value(2.0 * 86400.0, "s"), "2 d");
  EXPECT_EQ(study::record::percent(-0.129), "-12.9%");
  EXPECT_EQ(study::record::percent(std::nan("")), "-");
}

TEST(Progress, Durations) {
  EXPECT_EQ(study::run::format_duration(4.24), "4.2s");
  EXPECT_EQ(study::run::format_duration(187), "3m07s");
  EXPECT_EQ(study::run::format_duration(7500), "2h05m");
  EXPECT_EQ(study::run::format_duration(std::nan("")), "?");
}
