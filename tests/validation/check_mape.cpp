// Mean absolute percentage error of the /reference rows of a result file, per `source` set, against
// a bar: `wb_check_mape FILE.h5 vtrain-single=0.0837 vtrain-multi=0.1473` prints each set's MAPE
// and exits 1 when one reaches its bar (or a named set has no rows).
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
      auto it = sets.find(name);
      if (it == sets.end() || it->second.second == 0) {
        std::printf("%-16s no reference rows\n", name.c_str());
        status = 1;
        continue;
      }
      const double mape = it->second.first / static_cast<double>(it->second.second);
      const bool ok = mape < bar;
      std::printf("%-16s %5ld runs  MAPE %6.2f %%  bar %6.2f %%  %s\n", name.c_str(), it->second.second, 100.0 * mape,
                  100.0 * bar, ok ? "ok" : "MISS");
      if (!ok) status = 1;
    }
    return status;
  } catch (const wb::io::IoError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
}
