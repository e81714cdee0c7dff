#pragma once
// `waferbench calibrate`: measure the nodes of this job and write a node description.
#include <CLI/CLI.hpp>
#include <string>

namespace wb::driver {

struct CalibrateArgs {
  std::string output;
  std::string base = "dgx-a100-40gb";
  std::string inputs;
  std::string name;
  bool quick = false;
  bool thorough = false;
  bool force = false;
  int emulate_ranks_per_node = 0;  // hidden, for tests: groups of ranks taken as nodes
};

CLI::App* add_calibrate_command(CLI::App& app, CalibrateArgs& args);

// Collective over MPI_COMM_WORLD. Throws io::InputError / io::IoError for the driver to report.
int run_calibrate(const CalibrateArgs& args, const std::string& command_line);

}  // namespace wb::driver
