// Exits 0 when every result file given is identical to the first (all datasets bit for bit, root
// attributes except the run attributes: mpi_ranks, created_utc, slice and merge marks; the
// simulator's wall time /scenarios/sim_wall_s only by shape); prints the differences otherwise.
#include <iostream>

#include "io/compare.hpp"
#include "io/error.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: wb_compare_results A.h5 B.h5 [C.h5 ...]\n";
    return 2;
  }
  int status = 0;
  try {
    for (int i = 2; i < argc; ++i) {
      const auto diffs = wb::io::compare_result_files(argv[1], argv[i], wb::io::run_attributes(), 50,
                                                      {"/scenarios/sim_wall_s"});
      if (diffs.empty()) {
        std::cout << argv[i] << ": identical to " << argv[1] << "\n";
        continue;
      }
      status = 1;
      std::cout << argv[i] << " differs from " << argv[1] << ":\n";
      for (const auto& d : diffs) std::cout << "  " << d.where << ": " << d.a << " vs " << d.b << "\n";
    }
  } catch (const wb::io::IoError& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  return status;
}
