#pragma once
// `waferbench list`: what the inputs directory holds (models, systems, studies, frameworks) and the
// strategy words, as aligned text or JSON (SI units).
#include <CLI/CLI.hpp>
#include <string>

namespace wb::driver {

struct ListArgs {
  std::string what;  // models | systems | studies | frameworks | strategies
  std::string inputs;
  std::string format = "text";  // text | json
  bool long_form = false;       // systems: memory, peak FLOP/s, bandwidths, what a count counts
  bool keys = false;            // the keys the files are written with, instead of the files
};

CLI::App* add_list_command(CLI::App& app, ListArgs& args);

// Every rank reads the inputs (so all fail alike); rank 0 prints.
int run_list(const ListArgs& args);

}  // namespace wb::driver
