#pragma once
// Blocked dense matrix multiply, C = alpha A B + beta C (BLAS xGEMM semantics: beta = 0 ignores
// what C held), row-major Views. One team per kTile x kTile block of C: the team stages a panel
// of A and of B in team scratch, each thread owns rows of the block and the vector lanes run
// along the row, so the innermost loop is contiguous on CPUs and coalesced on GPUs. The block
// accumulates in scratch across the k panels and is written to C once.
// FLOPs credited: 2 m n k (the multiply-adds; the alpha/beta scaling is not counted).
#include <Kokkos_Core.hpp>
#include <cstdint>

namespace wb::kernels {

inline double gemm_flops(std::int64_t m, std::int64_t n, std::int64_t k) {
  return 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
}

template <class Scalar, class ExecSpace = Kokkos::DefaultExecutionSpace>
struct BlockedGemm {
  // 3 tiles of 32 x 32 doubles = 24 KiB of scratch: fits the 48 KiB shared memory of any GPU.
  static constexpr int kTile = 32;

  using memory_space = typename ExecSpace::memory_space;
  using Matrix = Kokkos::View<Scalar**, Kokkos::LayoutRight, memory_space>;
  using ConstMatrix = Kokkos::View<const Scalar**, Kokkos::LayoutRight, memory_space>;
  using Policy = Kokkos::TeamPolicy<ExecSpace>;
  using Member = typename Policy::member_type;
  using Tile = Kokkos::View<Scalar**, Kokkos::LayoutRight, typename ExecSpace::scratch_memory_space,
                            Kokkos::MemoryTraits<Kokkos::Unmanaged>>;

  ConstMatrix a, b;
  Matrix c;
  Scalar alpha, beta;
  int tiles_n;

  static std::size_t scratch_bytes() { return 3 * Tile::shmem_size(kTile, kTile); }

  KOKKOS_INLINE_FUNCTION void operator()(const Member& team) const {
    const int m = static_cast<int>(c.extent(0));
    const int n = static_cast<int>(c.extent(1));
    const int k = static_cast<int>(a.extent(1));
    const int i0 = (team.league_rank() / tiles_n) * kTile;
    const int j0 = (team.league_rank() % tiles_n) * kTile;
    const int mb = m - i0 < kTile ? m - i0 : kTile;
    const int nb = n - j0 < kTile ? n - j0 : kTile;

    Tile a_s(team.team_scratch(0), kTile, kTile);
    Tile b_s(team.team_scratch(0), kTile, kTile);
    Tile c_s(team.team_scratch(0), kTile, kTile);

    Kokkos::parallel_for(Kokkos::TeamThreadRange(team, mb), [&](const int i) {
      Kokkos::parallel_for(Kokkos::ThreadVectorRange(team, nb), [&](const int j) { c_s(i, j) = Scalar(0); });
    });

    for (int k0 = 0; k0 < k; k0 += kTile) {
      const int kb = k - k0 < kTile ? k - k0 : kTile;
      team.team_barrier();  // the previous panel is no longer read
      Kokkos::parallel_for(Kokkos::TeamThreadRange(team, mb), [&](const int i) {
        Kokkos::parallel_for(Kokkos::ThreadVectorRange(team, kb), [&](const int kk) { a_s(i, kk) = a(i0 + i, k0 + kk); });
      });
      Kokkos::parallel_for(Kokkos::TeamThreadRange(team, kb), [&](const int kk) {
        Kokkos::parallel_for(Kokkos::ThreadVectorRange(team, nb), [&](const int j) { b_s(kk, j) = b(k0 + kk, j0 + j); });
      });
      team.team_barrier();
      Kokkos::parallel_for(Kokkos::TeamThreadRange(team, mb), [&](const int i) {
        for (int kk = 0; kk < kb; ++kk) {
          const Scalar aik = a_s(i, kk);
          Kokkos::parallel_for(Kokkos::ThreadVectorRange(team, nb), [&](const int j) { c_s(i, j) += aik * b_s(kk, j); });
        }
      });
    }

    Kokkos::parallel_for(Kokkos::TeamThreadRange(team, mb), [&](const int i) {
      Kokkos::parallel_for(Kokkos::ThreadVectorRange(team, nb), [&](const int j) {
        Scalar& out = c(i0 + i, j0 + j);
        out = beta == Scalar(0) ? alpha * c_s(i, j) : alpha * c_s(i, j) + beta * out;
      });
    });
  }
};

// C = alpha A B + beta C with A m x k, B k x n, C m x n; the caller fences.
template <class Scalar, class ExecSpace = Kokkos::DefaultExecutionSpace>
void gemm(const ExecSpace& space, Scalar alpha, const typename BlockedGemm<Scalar, ExecSpace>::ConstMatrix& a,
          const typename BlockedGemm<Scalar, ExecSpace>::ConstMatrix& b, Scalar beta,
          const typename BlockedGemm<Scalar, ExecSpace>::Matrix& c) {
  using G = BlockedGemm<Scalar, ExecSpace>;
  const int tiles_m = static_cast<int>((c.extent(0) + G::kTile - 1) / G::kTile);
  const int tiles_n = static_cast<int>((c.extent(1) + G::kTile - 1) / G::kTile);
  if (tiles_m == 0 || tiles_n == 0) return;
  const G f{a, b, c, alpha, beta, tiles_n};
  const auto policy = typename G::Policy(space, tiles_m * tiles_n, Kokkos::AUTO)
                          .set_scratch_size(0, Kokkos::PerTeam(G::scratch_bytes()));
  Kokkos::parallel_for("BlockedGemm::multiply", policy, f);
}

}  // namespace wb::kernels
