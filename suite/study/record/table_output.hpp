#pragma once
// Tables for people and for programs: aligned text (the terminal), Markdown (papers, READMEs),
// CSV (RFC 4180, for spreadsheets and scripts) and JSON (RFC 8259; NaN becomes null). Used by
// `waferbench report`, `compare` and `list`.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "io/table.hpp"

namespace wb::study::record {

enum class Format { text, csv, json, markdown };
Format parse_format(const std::string& name);  // throws std::invalid_argument naming the choices
const char* to_string(Format f);

// A titled table of display cells. Header cells starting with '>' are right-aligned (numbers);
// the marker is not printed.
struct Section {
  std::string title;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> notes;  // lines printed after the table
};

// Prints rows as a table with a header line, columns padded to their widest cell.
void print_aligned(std::ostream& os, const std::vector<std::string>& header,
                   const std::vector<std::vector<std::string>>& rows);
// A GitHub-flavoured Markdown table ('|' in cells escaped).
void print_markdown_table(std::ostream& os, const std::vector<std::string>& header,
                          const std::vector<std::vector<std::string>>& rows);
// Title, table and notes as text or Markdown.
void print_section(std::ostream& os, const Section& s, Format format);

// CSV: a field quoted when it holds a comma, quote, CR or LF.
std::string csv_field(const std::string& s);
// A whole table as CSV with a header of column names; numbers at full precision (%.17g), NaN
// and unset values as empty fields.
void print_csv(std::ostream& os, const io::Table& t);

// JSON pieces.
std::string json_string(const std::string& s);
std::string json_number(double v);  // %.17g; null when not finite
// A table as {"units": {column: units}, "rows": [{column: value, ...}, ...]}.
void print_json_table(std::ostream& os, const io::Table& t, const std::string& indent);

// A value for people, in its column's units: "48.84 GiB", "68.2 d", "0.45".
std::string human_value(double v, const std::string& units);
// Signed percentage "+2.1%", "-" for NaN.
std::string percent(double fraction);

}  // namespace wb::study::record
