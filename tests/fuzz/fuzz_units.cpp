// libFuzzer target: the units parser must accept or reject any text with std::invalid_argument,
// never crash, hang or return a non-finite value.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "io/units.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (int d = 0; d <= static_cast<int>(wb::io::Dim::watts); ++d) {
    try {
      const double v = wb::io::parse_quantity(text, static_cast<wb::io::Dim>(d));
      if (!std::isfinite(v)) std::abort();  // a quantity that is not a number must be rejected
      (void)wb::io::format_quantity(v, static_cast<wb::io::Dim>(d));
    } catch (const std::invalid_argument&) {
    }
  }
  return 0;
}
