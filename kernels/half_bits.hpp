#pragma once
// 16-bit floating-point storage as raw bits (std::uint16_t): IEEE 754 binary16 ("fp16") and
// bfloat16 ("bf16"), converted from fp32 with round-to-nearest-even, in device-callable code.
//
// Why not Kokkos::Experimental::half_t: on host-only backends (Serial, OpenMP, Threads) in both
// Kokkos 3.4 and Kokkos 4, half_t and bhalf_t are plain `float` (KOKKOS_HALF_T_IS_FLOAT), so a
// "half" copy-out would move 4 bytes per value and never round. Storing the bits keeps the
// 2-byte traffic and the rounding of a real mixed-precision optimizer on every backend.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <cstring>

namespace wb::kernels {

namespace detail {

KOKKOS_INLINE_FUNCTION std::uint32_t float_bits(float f) {
  std::uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

KOKKOS_INLINE_FUNCTION float bits_float(std::uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

}  // namespace detail

// IEEE 754-2008 binary16: 1 sign, 5 exponent (bias 15), 10 fraction bits.
struct Fp16 {
  static constexpr const char* name = "fp16";

  KOKKOS_INLINE_FUNCTION static std::uint16_t from_float(float f) {
    const std::uint32_t x = detail::float_bits(f);
    const std::uint32_t sign = (x >> 16) & 0x8000u;
    const std::uint32_t mag = x & 0x7fffffffu;
    if (mag >= 0x7f800000u) {  // inf stays inf; NaN stays a (quiet) NaN keeping its top payload bits
      return static_cast<std::uint16_t>(sign | 0x7c00u | (mag > 0x7f800000u ? 0x0200u | ((mag >> 13) & 0x03ffu) : 0u));
    }
    if (mag >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // >= 65520 rounds to inf
    if (mag < 0x38800000u) {  // below 2^-14: a binary16 subnormal (units of 2^-24) or zero
      if (mag < 0x33000000u) return static_cast<std::uint16_t>(sign);  // below 2^-25: rounds to zero
      const std::uint32_t exponent = mag >> 23;                       // 102 .. 112
      const std::uint32_t mantissa = (mag & 0x007fffffu) | 0x00800000u;
      const std::uint32_t shift = 126u - exponent;                    // 14 .. 24
      std::uint32_t h = mantissa >> shift;
      const std::uint32_t rest = mantissa & ((1u << shift) - 1u);
      const std::uint32_t halfway = 1u << (shift - 1u);
      if (rest > halfway || (rest == halfway && (h & 1u))) ++h;  // a carry becomes the smallest normal
      return static_cast<std::uint16_t>(sign | h);
    }
    // Normal: rebias the exponent (127 -> 15) and round the 13 dropped fraction bits to even; a
    // carry out of the fraction correctly bumps the exponent.
    std::uint32_t h = (mag - 0x38000000u) >> 13;
    const std::uint32_t rest = mag & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
    return static_cast<std::uint16_t>(sign | h);
  }

  KOKKOS_INLINE_FUNCTION static float to_float(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t exponent = (h >> 10) & 0x1fu;
    const std::uint32_t fraction = h & 0x03ffu;
    if (exponent == 0x1fu) return detail::bits_float(sign | 0x7f800000u | (fraction << 13));
    if (exponent == 0) {  // zero or subnormal: fraction x 2^-24, exact in fp32
      const float magnitude = static_cast<float>(fraction) * 5.9604644775390625e-8f;
      return sign ? -magnitude : magnitude;
    }
    return detail::bits_float(sign | ((exponent + 112u) << 23) | (fraction << 13));
  }
};

// bfloat16: the top 16 bits of an fp32 (8 exponent bits, 7 fraction bits).
struct Bf16 {
  static constexpr const char* name = "bf16";

  KOKKOS_INLINE_FUNCTION static std::uint16_t from_float(float f) {
    const std::uint32_t x = detail::float_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((x >> 16) | 0x0040u);  // quiet NaN
    const std::uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);  // round to nearest, ties to even
    return static_cast<std::uint16_t>((x + rounding) >> 16);
  }

  KOKKOS_INLINE_FUNCTION static float to_float(std::uint16_t b) {
    return detail::bits_float(static_cast<std::uint32_t>(b) << 16);
  }
};

}  // namespace wb::kernels
