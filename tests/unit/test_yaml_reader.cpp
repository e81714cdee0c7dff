#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>

#include "io/error.hpp"
#include "io/figure.hpp"
#include "io/file_source.hpp"
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

// What yaml-cpp accepts but an input file must not hold.
TEST(YamlReader, OneDocumentPerFile) {
  EXPECT_EQ(error_of([] { parse_yaml("a: 1\n---\nb: 2\n", "two.yaml"); }),
            "two.yaml:2:1: a second YAML document starts here; an input file holds one document (remove this '---' "
            "and what follows, or make it part of the first)");
  EXPECT_NE(error_of([] { parse_yaml("a: 1\n...\nb: 2\n", "end.yaml"); }).find("end.yaml:2:1: a second YAML document"),
            std::string::npos);
  // An explicit start of the only document, and an empty one after it, are fine.
  EXPECT_EQ(error_of([] { parse_yaml("---\na: 1\n---\n# nothing\n", "one.yaml"); }), "");
}

TEST(YamlReader, QuotedValuesMustClose) {
  EXPECT_EQ(error_of([] { parse_yaml("a: 1\nb: \"open\nc: 3\n", "q.yaml"); }),
            "q.yaml:2:4: b: the quoted value that starts here is never closed (the closing \" is missing, so it would "
            "take in the rest of the file)");
  // Closed by the next value's opening quote: yaml-cpp's own error would point lines later.
  EXPECT_NE(error_of([] { parse_yaml("a: 'open\nb: 2\nc: 'x'\n", "q.yaml"); })
                .find("q.yaml:1:4: a: the quoted value that starts here is not closed on its line: it would take in "
                      "line 2, which reads as a key"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_yaml("l:\n  - \"open\n  - x\n  - \"y\"\n", "q.yaml"); }).find("q.yaml:2:5"),
            std::string::npos);
  // Legal YAML stays legal: escapes, doubled single quotes, text folded over lines, quotes
  // inside plain scalars, comments and block scalars.
  const YamlValue doc = parse_yaml(
      "a: \"say \\\"hi\\\"\"\nb: 'it''s'\nc: \"a long\n  sentence\"\nd: it's plain # don't\ne: >\n  it's \"folded\n"
      "f: [\"x\", 'y']\n",
      "ok.yaml");
  YamlMap root(doc);
  EXPECT_EQ(root.required("a").as_string(), "say \"hi\"");
  EXPECT_EQ(root.required("b").as_string(), "it's");
  EXPECT_EQ(root.required("c").as_string(), "a long sentence");
  EXPECT_EQ(root.required("d").as_string(), "it's plain");
}

TEST(YamlReader, WholeNumbersBeyond2To53AreRefused) {
  const YamlValue doc = parse_yaml(
      "a: 9007199254740992\nb: 9007199254740993\nc: 9223372036854775807\nd: 1e16\ne: -9007199254740993\n"
      "f: 99999999999999999999\ng: 1e400\n",
      "n.yaml");
  YamlMap root(doc);
  EXPECT_EQ(root.required("a").as_int(), std::int64_t{1} << 53);
  for (const char* key : {"b", "c", "d", "e", "f", "g"})
    EXPECT_NE(error_of([&] { root.required(key).as_int(); }).find("is beyond 2^53 = 9007199254740992"),
              std::string::npos)
        << key;
  EXPECT_EQ(error_of([&] { root.required("b").as_int(); }),
            "n.yaml:2:4: b: whole number '9007199254740993' is beyond 2^53 = 9007199254740992, the largest waferbench "
            "holds exactly");
}

TEST(YamlReader, NestingAndSizeAreBounded) {
  const auto nested = [](int levels) { return "a: " + std::string(levels, '[') + std::string(levels, ']') + "\n"; };
  // a's value is at depth 1 (the document is at 0), so 32 brackets reach the limit exactly.
  EXPECT_EQ(error_of([&] { parse_yaml(nested(kMaxYamlNesting), "d.yaml"); }), "");
  EXPECT_NE(error_of([&] { parse_yaml(nested(kMaxYamlNesting + 1), "d.yaml"); }).find("nested deeper than 32 levels"),
            std::string::npos);
  // Deeper than yaml-cpp's own guard: the same message, not a crash.
  EXPECT_NE(error_of([&] { parse_yaml(nested(5000), "d.yaml"); }).find("nested deeper than 32 levels"), std::string::npos);
  // Aliases multiply values: 10^6 of them from a few lines.
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 6; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) bomb += (k ? ", *a" : "*a") + std::to_string(i - 1);
    bomb += "]\n";
  }
  EXPECT_NE(error_of([&] { parse_yaml(bomb, "b.yaml"); }).find("holds more than 1000000 values"), std::string::npos);
}

TEST(YamlReader, BinaryContentIsNotText) {
  EXPECT_EQ(error_of([] { parse_yaml(std::string("a: 1\nb: x\0y\n", 11), "nul.yaml"); }),
            "nul.yaml:2:5: not a text file (a NUL byte); waferbench reads UTF-8 text here: is this the right file?");
  EXPECT_NE(error_of([] { parse_yaml("a: \x1b[31mred\n", "esc.yaml"); }).find("esc.yaml:1:4: not a text file (control character 0x1B)"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_yaml("\x89PNG\r\n\x1a\n", "img.yaml"); }).find("img.yaml:1:1: not a text file (byte 0x89, which is not UTF-8)"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_yaml("a: \xC0\xAF\n", "overlong.yaml"); }).find("which is not UTF-8"), std::string::npos);
  EXPECT_NE(error_of([] { parse_yaml(std::string("\xFF\xFE" "a\0:\0", 6), "u16.yaml"); }).find("UTF-16 byte-order mark"),
            std::string::npos);
  // UTF-8 text, with or without a byte-order mark, is text; columns count characters.
  EXPECT_EQ(error_of([] { parse_yaml("\xEF\xBB\xBFname: \"Jaïs 13B — 模型\"\n", "u8.yaml"); }), "");
  EXPECT_NE(error_of([] { parse_yaml("t: \"é\x01\"\n", "c.yaml"); }).find("c.yaml:1:6: not a text file (control character 0x01)"),
            std::string::npos);
}

TEST(FileSource, PathsThatAreNotFilesSayWhy) {
  LocalFiles files;
  const auto error = [&](const std::string& path) {
    try {
      files.read(path);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error(WB_TEST_INPUTS_DIR), std::string(WB_TEST_INPUTS_DIR) + ": is a directory, not a file");
  EXPECT_EQ(error("/dev/null"), "/dev/null: is a device, not a regular file");
  EXPECT_FALSE(files.read("/nonexistent/file.yaml").has_value());
  const std::string fifo = ::testing::TempDir() + "wb_fifo_test.yaml";
  std::remove(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(error(fifo), fifo + ": is a pipe (FIFO), not a regular file");
  std::remove(fifo.c_str());
}
