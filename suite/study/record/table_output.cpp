#include "study/record/table_output.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "io/units.hpp"
#include "study/schema/unit.hpp"

namespace wb::study::record {

Format parse_format(const std::string& name) {
  if (name == "text") return Format::text;
  if (name == "csv") return Format::csv;
  if (name == "json") return Format::json;
  if (name == "markdown" || name == "md") return Format::markdown;
  throw std::invalid_argument("unknown format '" + name + "'; expected text, csv, json or markdown");
}

const char* to_string(Format f) {
  switch (f) {
    case Format::text: return "text";
    case Format::csv: return "csv";
    case Format::json: return "json";
    case Format::markdown: return "markdown";
  }
  return "?";
}

namespace {

// Splits the '>' alignment markers off the header.
void split_header(const std::vector<std::string>& header, std::vector<std::string>& names, std::vector<bool>& right) {
  names.resize(header.size());
  right.resize(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    right[c] = !header[c].empty() && header[c][0] == '>';
    names[c] = right[c] ? header[c].substr(1) : header[c];
  }
}

}  // namespace

void print_aligned(std::ostream& os, const std::vector<std::string>& header,
                   const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::string> names;
  std::vector<bool> right;
  split_header(header, names, right);
  std::vector<std::size_t> width(header.size(), 0);
  for (std::size_t c = 0; c < header.size(); ++c) width[c] = names[c].size();
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size() && c < width.size(); ++c) width[c] = std::max(width[c], r[c].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < width.size(); ++c) {
      const std::string& cell = c < cells.size() ? cells[c] : std::string();
      const std::string pad(width[c] - std::min(width[c], cell.size()), ' ');
      out += right[c] ? pad + cell : cell + (c + 1 < width.size() ? pad : std::string());
      if (c + 1 < width.size()) out += "  ";
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    os << out << '\n';
  };
  line(names);
  std::string rule;
  for (std::size_t c = 0; c < width.size(); ++c) rule += std::string(width[c], '-') + (c + 1 < width.size() ? "  " : "");
  os << rule << '\n';
  for (const auto& r : rows) line(r);
}

void print_markdown_table(std::ostream& os, const std::vector<std::string>& header,
                          const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::string> names;
  std::vector<bool> right;
  split_header(header, names, right);
  auto cell = [](const std::string& s) {
    std::string out;
    for (char ch : s) {
      if (ch == '|') out += "\\|";
      else if (ch == '\n') out += "<br>";
      else out += ch;
    }
    return out;
  };
  os << '|';
  for (const auto& n : names) os << ' ' << cell(n) << " |";
  os << "\n|";
  for (std::size_t c = 0; c < names.size(); ++c) os << (right[c] ? "---:|" : "---|");
  os << '\n';
  for (const auto& r : rows) {
    os << '|';
    for (std::size_t c = 0; c < names.size(); ++c) os << ' ' << cell(c < r.size() ? r[c] : std::string()) << " |";
    os << '\n';
  }
}

void print_section(std::ostream& os, const Section& s, Format format) {
  if (format == Format::markdown) {
    if (!s.title.empty()) os << "### " << s.title << "\n\n";
    if (!s.header.empty()) print_markdown_table(os, s.header, s.rows);
    if (!s.header.empty() && !s.notes.empty()) os << '\n';
    // List items end their line; other lines need a hard break ("  ") to stay lines.
    for (const auto& n : s.notes) os << n << (n.rfind("- ", 0) == 0 ? "\n" : "  \n");
    os << '\n';
    return;
  }
  if (!s.title.empty()) os << s.title << ":\n";
  if (!s.header.empty()) print_aligned(os, s.header, s.rows);
  for (const auto& n : s.notes) os << n << '\n';
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + '"';
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

namespace {

std::string csv_value(const io::Column& c, std::size_t i) {
  switch (c.type) {
    case io::ColumnType::f64: return std::isfinite(c.f64[i]) ? json_number(c.f64[i]) : std::string();
    case io::ColumnType::i64: return std::to_string(c.i64[i]);
    case io::ColumnType::str: return csv_field(c.str[i]);
  }
  return {};
}

std::string json_value(const io::Column& c, std::size_t i) {
  switch (c.type) {
    case io::ColumnType::f64: return json_number(c.f64[i]);
    case io::ColumnType::i64: return std::to_string(c.i64[i]);
    case io::ColumnType::str: return json_string(c.str[i]);
  }
  return "null";
}

}  // namespace

void print_csv(std::ostream& os, const io::Table& t) {
  for (std::size_t c = 0; c < t.columns.size(); ++c) os << (c ? "," : "") << csv_field(t.columns[c].name);
  os << "\r\n";
  for (std::size_t i = 0; i < t.rows(); ++i) {
    for (std::size_t c = 0; c < t.columns.size(); ++c) os << (c ? "," : "") << csv_value(t.columns[c], i);
    os << "\r\n";
  }
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (ch < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", ch);
          out += buf;
        } else {
          out += static_cast<char>(ch);  // UTF-8 passes through unchanged
        }
    }
  }
  return out + '"';
}

void print_json_table(std::ostream& os, const io::Table& t, const std::string& indent) {
  os << "{\n" << indent << "  \"units\": {";
  for (std::size_t c = 0; c < t.columns.size(); ++c)
    os << (c ? ", " : "") << json_string(t.columns[c].name) << ": " << json_string(t.columns[c].units);
  os << "},\n" << indent << "  \"rows\": [";
  for (std::size_t i = 0; i < t.rows(); ++i) {
    os << (i ? ",\n" : "\n") << indent << "    {";
    for (std::size_t c = 0; c < t.columns.size(); ++c)
      os << (c ? ", " : "") << json_string(t.columns[c].name) << ": " << json_value(t.columns[c], i);
    os << '}';
  }
  os << (t.rows() ? "\n" + indent + "  ]" : "]") << "\n" << indent << '}';
}

std::string human_value(double v, const std::string& units) {
  using schema::Unit;
  if (std::isnan(v)) return "nan";
  const auto unit = schema::unit_from_string(units);
  if (unit == Unit::bytes) return io::format_quantity(v, io::Dim::bytes, 4);
  if (unit == Unit::seconds) return io::format_quantity(v, io::Dim::seconds, 4);
  if (unit == Unit::flop) return io::format_quantity(v, io::Dim::flops, 3);
  if (unit == Unit::flop_per_s) return io::format_quantity(v, io::Dim::flops_per_s, 4);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  std::string out = buf;
  if (unit != Unit::label && unit != Unit::one && unit != Unit::as_stated) out += " " + units;
  return out;
}

std::string percent(double x) {
  if (std::isnan(x)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", 100.0 * x);
  return buf;
}

}  // namespace wb::study::record
