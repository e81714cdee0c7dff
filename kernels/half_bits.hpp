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

  // Straight-line code (both roundings computed, one selected) so that a loop over it
  // vectorizes on CPUs and does not diverge on GPUs.
  KOKKOS_INLINE_FUNCTION static std::uint16_t from_float(float f) {
    const std::uint32_t x = detail::float_bits(f);
    const std::uint32_t sign = x & 0x80000000u;
    const std::uint32_t mag = x ^ sign;
    // Below 2^-14 the result is a binary16 subnormal (or zero) in units of 2^-24. Adding 0.5f,
    // whose ulp is 2^-24, makes the fp32 adder round to nearest even at exactly that position;
    // the low bits of the sum are then the binary16 encoding (a carry gives the smallest
    // normal). The magic-number technique is F. Giesen's (float_to_half_fast3_rtne, 2016).
    const std::uint32_t subnormal = detail::float_bits(detail::bits_float(mag) + 0.5f) - 0x3f000000u;
    // Normal: rebias the exponent (127 -> 15) and round the 13 dropped fraction bits to even; a
    // carry out of the fraction bumps the exponent, up to infinity for 65520 and above.
    const std::uint32_t odd = (mag >> 13) & 1u;
    const std::uint32_t normal = (mag - 0x38000000u + 0x0fffu + odd) >> 13;
    std::uint32_t h = mag < 0x38800000u ? subnormal : normal;
    h = mag >= 0x47800000u ? 0x7c00u : h;  // 65536 and above: infinity
    h = mag > 0x7f800000u ? 0x7e00u : h;   // NaN: the quiet NaN
    return static_cast<std::uint16_t>((sign >> 16) | h);
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
    const std::uint32_t rounded = (x + 0x7fffu + ((x >> 16) & 1u)) >> 16;  // to nearest, ties to even
    const std::uint32_t quiet_nan = (x >> 16) | 0x0040u;
    return static_cast<std::uint16_t>((x & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded);
  }

  KOKKOS_INLINE_FUNCTION static float to_float(std::uint16_t b) {
    return detail::bits_float(static_cast<std::uint32_t>(b) << 16);
  }
};

}  // namespace wb::kernels
