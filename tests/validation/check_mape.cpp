// Mean absolute percentage error of the /reference rows of a result file, per `source` set, against
// a bar: `wb_check_mape FILE.h5 vtrain-single=0.0837 vtrain-single-validation=0.08` prints each
// set's MAPE and exits 1 when one reaches its bar (or a named set has no rows). A set is the rows
// whose source is its name or begins with its name and '-' (vtrain-single: its -calibration and
// -validation rows together).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "io/error.hpp"
#include "io/hdf5_file.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: wb_check_mape FILE.h5 SOURCE=BAR [SOURCE=BAR ...]\n");
    return 2;
  }
  try {
    const wb::io::Table ref = wb::io::read_table(argv[1], "/reference");
    std::map<std::string, std::pair<double, long>> sets;
    for (std::size_t i = 0; i < ref.rows(); ++i) {
      auto& s = sets[ref.at("source").str[i]];
      s.first += std::fabs(ref.at("relative_error").f64[i]);
      s.second += 1;
    }
    int status = 0;
    for (int a = 2; a < argc; ++a) {
      const std::string arg = argv[a];
      const auto eq = arg.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "bad argument '%s' (expected SOURCE=BAR)\n", argv[a]);
        return 2;
      }
      const std::string name = arg.substr(0, eq);
      const double bar = std::atof(arg.c_str() + eq + 1);
      std::pair<double, long> set{0.0, 0};
      for (const auto& [source, sum] : sets)
        if (source == name || source.compare(0, name.size() + 1, name + "-") == 0) {
          set.first += sum.first;
          set.second += sum.second;
        }
      if (set.second == 0) {
        std::printf("%-30s no reference rows\n", name.c_str());
        status = 1;
        continue;
      }
      const double mape = set.first / static_cast<double>(set.second);
      const bool ok = mape < bar;
      std::printf("%-30s %5ld runs  MAPE %6.2f %%  bar %6.2f %%  %s\n", name.c_str(), set.second, 100.0 * mape,
                  100.0 * bar, ok ? "ok" : "MISS");
      if (!ok) status = 1;
    }
    return status;
  } catch (const wb::io::IoError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
}
