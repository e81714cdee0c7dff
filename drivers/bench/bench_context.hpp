#pragma once
// Stamps every benchmark's JSON/console context with what it ran on: version, git commit,
// Kokkos execution space and MPI ranks (1 for single-process benchmarks).
#include <benchmark/benchmark.h>

#include <Kokkos_Core.hpp>
#include <fstream>
#include <string>

#include "io/build_info.hpp"

namespace wb::bench {

// The first line of /proc/<file> that starts with `key` (after it), or the whole first line.
inline std::string proc_line(const char* file, const char* key) {
  std::ifstream in(std::string("/proc/") + file);
  std::string line;
  while (std::getline(in, line)) {
    if (!*key) return line;
    if (line.rfind(key, 0) == 0) {
      const auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  }
  return "unknown";
}

inline void add_context(int mpi_ranks = 1) {
  // Other jobs on the machine change every figure: say what it was and how busy.
  benchmark::AddCustomContext("cpu_model", proc_line("cpuinfo", "model name"));
  benchmark::AddCustomContext("load_average", proc_line("loadavg", ""));
  benchmark::AddCustomContext("waferbench_version", io::waferbench_version());
  benchmark::AddCustomContext("git_commit", io::git_commit());
  benchmark::AddCustomContext("kokkos_execution_space", Kokkos::DefaultExecutionSpace::name());
  benchmark::AddCustomContext("kokkos_version", std::to_string(KOKKOS_VERSION));
  benchmark::AddCustomContext("mpi_ranks", std::to_string(mpi_ranks));
}

}  // namespace wb::bench
