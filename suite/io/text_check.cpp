#include "io/text_check.hpp"

#include <cstdio>

#include "io/error.hpp"

namespace wb::io {

namespace {

std::string hex_byte(unsigned char b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", b);
  return buf;
}

// Length of the UTF-8 sequence starting at s[i] (RFC 3629 Table 3-7: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 when it is not one.
std::size_t utf8_length(const std::string& s, std::size_t i) {
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b = at(i);
  if (b < 0x80) return 1;
  const auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < s.size() && at(k) >= lo && at(k) <= hi;
  };
  if (b >= 0xC2 && b <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (b == 0xE0) return cont(i + 1, 0xA0) && cont(i + 2) ? 3 : 0;
  if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) return cont(i + 1) && cont(i + 2) ? 3 : 0;
  if (b == 0xED) return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0;
  if (b == 0xF0) return cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (b >= 0xF1 && b <= 0xF3) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (b == 0xF4) return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;
}

}  // namespace

void require_text(const std::string& bytes, const std::string& file) {
  if (bytes.size() >= 2 && ((bytes[0] == '\xFF' && bytes[1] == '\xFE') || (bytes[0] == '\xFE' && bytes[1] == '\xFF')))
    throw InputError(file, 1, 1, "", "not a UTF-8 text file (it starts with a UTF-16 byte-order mark); save it as UTF-8");
  int line = 1, column = 1;
  for (std::size_t i = 0; i < bytes.size();) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    std::string why;
    if (b == 0) why = "a NUL byte";
    else if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7F) why = "control character " + hex_byte(b);
    const std::size_t n = why.empty() ? utf8_length(bytes, i) : 1;
    if (why.empty() && n == 0) why = "byte " + hex_byte(b) + ", which is not UTF-8";
    // C1 control characters (U+0080..U+009F) other than NEL are not printable either.
    if (why.empty() && n == 2 && b == 0xC2 && static_cast<unsigned char>(bytes[i + 1]) < 0xA0 &&
        static_cast<unsigned char>(bytes[i + 1]) != 0x85)
      why = "control character U+00" + hex_byte(static_cast<unsigned char>(bytes[i + 1])).substr(2);
    if (!why.empty())
      throw InputError(file, line, column, "",
                       "not a text file (" + why + "); waferbench reads UTF-8 text here: is this the right file?");
    if (b == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    i += n;
  }
}

}  // namespace wb::io
