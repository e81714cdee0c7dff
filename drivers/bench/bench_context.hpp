#pragma once
// Stamps every benchmark's JSON/console context with what it ran on: version, git commit,
// Kokkos execution space and MPI ranks (1 for single-process benchmarks).
#include <benchmark/benchmark.h>

#include <Kokkos_Core.hpp>
#include <string>

#include "io/build_info.hpp"

namespace wb::bench {

inline void add_context(int mpi_ranks = 1) {
  benchmark::AddCustomContext("waferbench_version", io::waferbench_version());
  benchmark::AddCustomContext("git_commit", io::git_commit());
  benchmark::AddCustomContext("kokkos_execution_space", Kokkos::DefaultExecutionSpace::name());
  benchmark::AddCustomContext("kokkos_version", std::to_string(KOKKOS_VERSION));
  benchmark::AddCustomContext("mpi_ranks", std::to_string(mpi_ranks));
}

}  // namespace wb::bench
