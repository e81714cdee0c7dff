#include "io/units.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace wb::io {

namespace {

struct Prefix {
  const char* text;
  double factor;
};

// Longest first so that "Ki" wins over "K".
const Prefix kBinaryPrefixes[] = {{"Ki", 1024.0},
                                  {"Mi", 1048576.0},
                                  {"Gi", 1073741824.0},
                                  {"Ti", 1099511627776.0},
                                  {"Pi", 1125899906842624.0},
                                  {"Ei", 1152921504606846976.0}};
const Prefix kDecimalPrefixes[] = {{"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9},
                                   {"T", 1e12}, {"P", 1e15}, {"E", 1e18}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits "1.5 TB/s" into the number and the unit text; throws when there is no number.
std::pair<double, std::string> split_number(std::string_view text) {
  const std::string s(trim(text));
  if (s.empty()) throw std::invalid_argument("empty value");
  const char* begin = s.c_str();
  char* end = nullptr;
  const double value = std::strtod(begin, &end);
  if (end == begin) throw std::invalid_argument("'" + s + "' does not start with a number");
  if (!std::isfinite(value)) throw std::invalid_argument("'" + s + "' is not a finite number");
  return {value, std::string(trim(std::string_view(end)))};
}

// Strips a prefix from unit and returns its factor (1 when none matches).
double take_prefix(std::string& unit, bool allow_binary) {
  if (allow_binary) {
    for (const auto& p : kBinaryPrefixes) {
      const std::string t = p.text;
      if (unit.size() > t.size() && unit.compare(0, t.size(), t) == 0) {
        unit.erase(0, t.size());
        return p.factor;
      }
    }
  }
  for (const auto& p : kDecimalPrefixes) {
    const std::string t = p.text;
    if (unit.size() > t.size() && unit.compare(0, t.size(), t) == 0) {
      unit.erase(0, t.size());
      return p.factor;
    }
  }
  return 1.0;
}

[[noreturn]] void bad_unit(const std::string& unit, Dim dim) {
  throw std::invalid_argument("unknown unit '" + unit + "' for " + dim_name(dim) + " (write e.g. '" +
                              dim_example(dim) + "')");
}

// Bytes per unit for "B" or "b"; 0 when unit is neither.
double byte_unit(const std::string& unit) {
  if (unit == "B") return 1.0;
  if (unit == "b" || unit == "bit") return 0.125;
  return 0.0;
}

}  // namespace

const char* dim_name(Dim dim) {
  switch (dim) {
    case Dim::count: return "a number";
    case Dim::bytes: return "bytes";
    case Dim::bytes_per_s: return "bytes/s";
    case Dim::flops: return "FLOP";
    case Dim::flops_per_s: return "FLOP/s";
    case Dim::hertz: return "Hz";
    case Dim::seconds: return "seconds";
    case Dim::watts: return "W";
  }
  return "?";
}

const char* dim_example(Dim dim) {
  switch (dim) {
    case Dim::count: return "2048";
    case Dim::bytes: return "40GiB";
    case Dim::bytes_per_s: return "200Gb/s";
    case Dim::flops: return "2.6e18FLOP";
    case Dim::flops_per_s: return "312TFLOP/s";
    case Dim::hertz: return "1.1GHz";
    case Dim::seconds: return "1.5us";
    case Dim::watts: return "400W";
  }
  return "?";
}

namespace {
double parse_unchecked(std::string_view text, Dim dim);
}  // namespace

double parse_quantity(std::string_view text, Dim dim) {
  const double v = parse_unchecked(text, dim);
  // A finite number times a prefix can still overflow ("221e291PB/s", found by fuzz_units).
  if (!std::isfinite(v))
    throw std::invalid_argument("'" + std::string(trim(text)) + "' is too large to represent");
  return v;
}

namespace {

double parse_unchecked(std::string_view text, Dim dim) {
  auto [value, unit] = split_number(text);
  if (dim == Dim::count) {
    if (!unit.empty())
      throw std::invalid_argument("expected a plain number, got '" + std::string(trim(text)) + "'");
    return value;
  }
  if (unit.empty()) {
    throw std::invalid_argument(std::string("missing unit: expected ") + dim_name(dim) + " (e.g. '" +
                                dim_example(dim) + "')");
  }
  const std::string original = unit;
  switch (dim) {
    case Dim::bytes: {
      const double f = take_prefix(unit, true);
      const double b = byte_unit(unit);
      if (b == 0.0) bad_unit(original, dim);
      return value * f * b;
    }
    case Dim::bytes_per_s: {
      if (unit.size() > 3 && unit.compare(unit.size() - 3, 3, "bps") == 0) {
        unit.erase(unit.size() - 3);
        unit += "b/s";
      }
      if (unit.size() < 3 || unit.compare(unit.size() - 2, 2, "/s") != 0) bad_unit(original, dim);
      unit.erase(unit.size() - 2);
      const double f = take_prefix(unit, true);
      const double b = byte_unit(unit);
      if (b == 0.0) bad_unit(original, dim);
      return value * f * b;
    }
    case Dim::flops: {
      const double f = take_prefix(unit, false);
      if (unit != "FLOP" && unit != "FLOPs") bad_unit(original, dim);
      return value * f;
    }
    case Dim::flops_per_s: {
      const double f = take_prefix(unit, false);
      if (unit != "FLOP/s" && unit != "FLOPS") bad_unit(original, dim);
      return value * f;
    }
    case Dim::hertz: {
      const double f = take_prefix(unit, false);
      if (unit != "Hz") bad_unit(original, dim);
      return value * f;
    }
    case Dim::watts: {
      const double f = take_prefix(unit, false);
      if (unit != "W") bad_unit(original, dim);
      return value * f;
    }
    case Dim::seconds: {
      static const std::pair<const char*, double> kTime[] = {
          {"ns", 1e-9}, {"us", 1e-6}, {"\xC2\xB5s", 1e-6}, {"ms", 1e-3}, {"s", 1.0},
          {"min", 60.0}, {"h", 3600.0}, {"d", 86400.0}};
      for (const auto& [name, factor] : kTime)
        if (unit == name) return value * factor;
      bad_unit(original, dim);
    }
    case Dim::count: break;
  }
  bad_unit(original, dim);
}

}  // namespace

std::string format_quantity(double value, Dim dim, int significant) {
  char buf[64];
  if (!std::isfinite(value)) return "n/a";
  auto fmt_with = [&](double v, const char* unit) {
    std::snprintf(buf, sizeof buf, "%.*g %s", significant, v, unit);
    return std::string(buf);
  };
  switch (dim) {
    case Dim::bytes: {
      static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
      int i = 0;
      double v = value;
      while (std::fabs(v) >= 1024.0 && i < 6) {
        v /= 1024.0;
        ++i;
      }
      return fmt_with(v, kUnits[i]);
    }
    case Dim::seconds: {
      const double a = std::fabs(value);
      if (a >= 86400.0) return fmt_with(value / 86400.0, "d");
      if (a >= 3600.0) return fmt_with(value / 3600.0, "h");
      if (a >= 60.0) return fmt_with(value / 60.0, "min");
      if (a >= 1.0 || a == 0.0) return fmt_with(value, "s");
      if (a >= 1e-3) return fmt_with(value * 1e3, "ms");
      if (a >= 1e-6) return fmt_with(value * 1e6, "us");
      return fmt_with(value * 1e9, "ns");
    }
    default: {
      static const char* kSi[] = {"", "k", "M", "G", "T", "P", "E", "Z"};
      int i = 0;
      double v = value;
      while (std::fabs(v) >= 1000.0 && i < 7) {
        v /= 1000.0;
        ++i;
      }
      std::string unit = kSi[i];
      switch (dim) {
        case Dim::bytes_per_s: unit += "B/s"; break;
        case Dim::flops: unit += "FLOP"; break;
        case Dim::flops_per_s: unit += "FLOP/s"; break;
        case Dim::hertz: unit += "Hz"; break;
        case Dim::watts: unit += "W"; break;
        default: break;
      }
      if (unit.empty()) {
        std::snprintf(buf, sizeof buf, "%.*g", significant, v);
        return buf;
      }
      return fmt_with(v, unit.c_str());
    }
  }
}

}  // namespace wb::io
