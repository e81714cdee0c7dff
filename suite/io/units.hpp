#pragma once
// Physical quantities written as strings in inputs: "40GiB", "1.555TB/s", "200Gb/s", "312TFLOP/s",
// "1.1GHz", "1.5us", "100Gbps". Everything is converted to SI base units held in a double:
// bytes, bytes per second, FLOP, FLOP per second, hertz, seconds, watts.
#include <string>
#include <string_view>

namespace wb::io {

enum class Dim {
  count,        // a plain number: "2048", "2.57e11"
  bytes,        // B, b (bit = 1/8 B) with SI (k M G T P E) or binary (Ki Mi Gi Ti Pi Ei) prefixes
  bytes_per_s,  // <bytes>/s, or <prefix>bps (bits per second)
  flops,        // FLOP
  flops_per_s,  // FLOP/s, FLOPS
  hertz,        // Hz
  seconds,      // ns us ms s min h d
  watts,        // W
};

const char* dim_name(Dim dim);      // "bytes", "bytes/s", ...
const char* dim_example(Dim dim);   // an example string for error messages

// Parses text as a quantity of the given dimension. Throws std::invalid_argument with a
// message that says what was expected (the caller adds file, line and key).
double parse_quantity(std::string_view text, Dim dim);

// Formats a value for people: "40 GiB", "1.56 TB/s", "14.2 d". Uses binary prefixes for bytes.
std::string format_quantity(double value, Dim dim, int significant = 3);

}  // namespace wb::io
