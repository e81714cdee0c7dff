#include <gtest/gtest.h>

#include "io/error.hpp"
#include "io/figure.hpp"
#include "io/yaml_reader.hpp"

using namespace wb::io;

namespace {

// Runs f and returns the InputError message it raised ("" if none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(YamlReader, ReportsSyntaxErrorsWithLine) {
  const std::string msg = error_of([] { parse_yaml("a: [1, 2\nb: 3\n", "f.yaml"); });
  EXPECT_NE(msg.find("f.yaml:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("YAML syntax error"), std::string::npos) << msg;
}

TEST(YamlReader, UnknownKeySuggestsTheNearestOne) {
  const YamlValue doc = parse_yaml("schema_version: 1\narchitecture:\n  layres: 4\n", "m.yaml");
  const std::string msg = error_of([&] {
    YamlMap root(doc);
    check_schema_version(root);
    YamlMap arch = root.required_map("architecture");
    arch.optional("layers");
    arch.done();
  });
  EXPECT_EQ(msg, "m.yaml:3:3: architecture.layres: unknown key 'layres'; did you mean 'layers'?");
}

TEST(YamlReader, MissingKeyPointsAtTheParent) {
  const YamlValue doc = parse_yaml("schema_version: 1\narch:\n  x: 1\n", "m.yaml");
  const std::string msg = error_of([&] {
    YamlMap root(doc);
    YamlMap arch = root.required_map("arch");
    arch.required("layers");
  });
  EXPECT_EQ(msg, "m.yaml:3:3: arch: missing required key 'layers'");
}

TEST(YamlReader, TypesAndValuesAreChecked) {
  const YamlValue doc = parse_yaml("a: -4\nb: four\nc: 1e9\nd: 40GiB\ne: maybe\n", "t.yaml");
  YamlMap root(doc);
  EXPECT_NE(error_of([&] { root.required("a").as_positive_int(); }).find("t.yaml:1:4: a: must be a positive integer"),
            std::string::npos);
  EXPECT_NE(error_of([&] { root.required("b").as_int(); }).find("expected an integer"), std::string::npos);
  EXPECT_EQ(root.required("c").as_int(), 1000000000);
  EXPECT_DOUBLE_EQ(root.required("d").as_quantity(Dim::bytes), 40.0 * 1073741824.0);
  EXPECT_NE(error_of([&] { root.required("e").as_bool(); }).find("expected true or false"), std::string::npos);
}

TEST(YamlReader, DuplicateKeysAreErrors) {
  const YamlValue doc = parse_yaml("a: 1\na: 2\n", "d.yaml");
  EXPECT_NE(error_of([&] { YamlMap m(doc); }).find("d.yaml:2:1: a: duplicate key"), std::string::npos);
}

TEST(YamlReader, SchemaVersionMustMatch) {
  const YamlValue doc = parse_yaml("schema_version: 7\n", "v.yaml");
  YamlMap root(doc);
  EXPECT_NE(error_of([&] { check_schema_version(root); }).find("reads schema_version 1"), std::string::npos);
}

TEST(YamlReader, FiguresNeedValueAndSource) {
  const YamlValue doc = parse_yaml("m: 40GiB\nn: {value: 40GiB}\no: {value: 40GiB, source: datasheet, assumption: true}\n",
                                   "g.yaml");
  YamlMap root(doc);
  EXPECT_NE(error_of([&] { read_figure(root, "m", Dim::bytes); }).find("give the figure with its source"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_figure(root, "n", Dim::bytes); }).find("missing required key 'source'"),
            std::string::npos);
  const Figure f = read_figure(root, "o", Dim::bytes);
  EXPECT_TRUE(f.assumption);
  EXPECT_EQ(f.source, "datasheet");
  EXPECT_EQ(f.text, "40GiB");
}

// Figures written by `waferbench calibrate` carry the UTC time they were measured.
TEST(YamlReader, MeasuredFiguresCarryTheirTime) {
  const YamlValue doc = parse_yaml(
      "a: {value: 20GB/s, source: \"measured by waferbench calibrate on n1\", measured: 2026-01-31T12:00:05Z}\n"
      "b: {value: 20GB/s, source: s, measured: yesterday}\n"
      "c: {value: 20GB/s, source: s, measured: 2026-13-01}\n"
      "d: {value: 20GB/s, source: s, measured: 2026-01-31, assumption: true}\n"
      "e: {value: 20GB/s, source: datasheet}\n",
      "m.yaml");
  YamlMap root(doc);
  Provenance p;
  p.file = "m.yaml";
  const Figure a = read_figure(root, "a", Dim::bytes_per_s);
  EXPECT_EQ(a.measured, "2026-01-31T12:00:05Z");
  EXPECT_DOUBLE_EQ(p.add(a), 20e9);
  p.add(read_figure(root, "e", Dim::bytes_per_s));
  ASSERT_EQ(p.measured().size(), 1u);
  EXPECT_EQ(p.measured()[0], "m.yaml: a = 20GB/s (measured by waferbench calibrate on n1)");
  EXPECT_TRUE(p.assumptions().empty());
  EXPECT_NE(error_of([&] { read_figure(root, "b", Dim::bytes_per_s); }).find("m.yaml:2:41: b.measured: 'yesterday' is not a UTC time"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_figure(root, "c", Dim::bytes_per_s); }).find("is not a UTC time"), std::string::npos);
  EXPECT_NE(error_of([&] { read_figure(root, "d", Dim::bytes_per_s); }).find("either measured or an assumption"),
            std::string::npos);
  EXPECT_TRUE(is_utc_timestamp("2026-02-28"));
  EXPECT_FALSE(is_utc_timestamp("2026-02-28T25:00:00Z"));
  EXPECT_FALSE(is_utc_timestamp("2026-02-28 12:00:00"));
}

TEST(YamlReader, EditDistance) {
  EXPECT_EQ(edit_distance("layers", "layres"), 2u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("same", "same"), 0u);
}
