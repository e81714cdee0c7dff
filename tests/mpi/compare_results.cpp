// Exits 0 when every result file given is identical to the first (all datasets bit for bit, root
// attributes except the run attributes: mpi_ranks, created_utc, slice and merge marks);
// prints the differences otherwise.
//   wb_compare_results [--ignore-columns /group/col,/group/col] A.h5 B.h5 [C.h5 ...]
// Measured columns (the simulator's wall time /scenarios/sim_wall_s always, others named with
// --ignore-columns) are compared only by type and length: they legitimately differ between runs.
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "io/compare.hpp"
#include "io/error.hpp"
#include "study/schema/result_file.hpp"
#include "study/schema/scenarios.hpp"

int main(int argc, char** argv) {
  std::set<std::string> ignore_columns;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--ignore-columns" && i + 1 < argc) {
      std::string list = argv[++i];
      std::size_t start = 0;
      while (start <= list.size()) {
        const std::size_t end = list.find(',', start);
        const std::string item = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!item.empty()) ignore_columns.insert(item);
        if (end == std::string::npos) break;
        start = end + 1;
      }
    } else {
      files.push_back(arg);
    }
  }
  if (files.size() < 2) {
    std::cerr << "usage: wb_compare_results [--ignore-columns /group/col,...] A.h5 B.h5 [C.h5 ...]\n";
    return 2;
  }
  int status = 0;
  try {
    namespace col = wb::study::schema::scenarios;
    ignore_columns.insert(col::table().path() + "/" + col::sim_wall_s.name);
    for (std::size_t i = 1; i < files.size(); ++i) {
      const auto diffs =
          wb::io::compare_result_files(files[0], files[i], wb::study::schema::run_attributes(), 50, ignore_columns);
      if (diffs.empty()) {
        std::cout << files[i] << ": identical to " << files[0] << "\n";
        continue;
      }
      status = 1;
      std::cout << files[i] << " differs from " << files[0] << ":\n";
      for (const auto& d : diffs) std::cout << "  " << d.where << ": " << d.a << " vs " << d.b << "\n";
    }
  } catch (const wb::io::IoError& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  return status;
}
