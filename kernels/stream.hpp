#pragma once
// STREAM "triad", a(i) = b(i) + s * c(i), the sustainable-memory-bandwidth kernel of
// McCalpin's STREAM benchmark (McCalpin 1995, IEEE TCCA Newsletter). Bandwidth is counted as
// STREAM counts it: three arrays of 8-byte values per element, without write-allocate traffic.
#include <Kokkos_Core.hpp>
#include <cstdint>

namespace wb::kernels {

// Bytes a triad pass is credited with per element (STREAM's convention for doubles).
inline constexpr double kTriadBytesPerElement = 3 * sizeof(double);

template <class ExecSpace = Kokkos::DefaultExecutionSpace>
struct StreamTriad {
  using memory_space = typename ExecSpace::memory_space;
  using Vec = Kokkos::View<double*, memory_space>;
  using ConstVec = Kokkos::View<const double*, memory_space>;

  Vec a;
  ConstVec b, c;
  double scalar;

  KOKKOS_INLINE_FUNCTION void operator()(const std::int64_t i) const { a(i) = b(i) + scalar * c(i); }
};

// a = b + scalar * c over all elements; the caller fences.
template <class ExecSpace = Kokkos::DefaultExecutionSpace>
void stream_triad(const ExecSpace& space, const typename StreamTriad<ExecSpace>::Vec& a,
                  const typename StreamTriad<ExecSpace>::ConstVec& b, const typename StreamTriad<ExecSpace>::ConstVec& c,
                  double scalar) {
  Kokkos::parallel_for("StreamTriad::triad",
                       Kokkos::RangePolicy<ExecSpace, Kokkos::IndexType<std::int64_t>>(space, 0, a.extent(0)),
                       StreamTriad<ExecSpace>{a, b, c, scalar});
}

}  // namespace wb::kernels
