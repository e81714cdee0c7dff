#include "calibrate_command.hpp"

#include <mpi.h>

#include <filesystem>
#include <iostream>

#include "gpu/hardware_yaml.hpp"
#include "io/error.hpp"
#include "io/file_source.hpp"
#include "measure/calibration.hpp"
#include "measure/calibration_yaml.hpp"
#include "measure/host_info.hpp"
#include "study/plan/catalog.hpp"
#include "text_file.hpp"

namespace wb::driver {

namespace fs = std::filesystem;

CLI::App* add_calibrate_command(CLI::App& app, CalibrateArgs& a) {
  auto* cmd = app.add_subcommand(
      "calibrate",
      "Measure this machine (memory bandwidth, CPU Adam rate, GEMM, MPI latency and bandwidth inside and between "
      "nodes) and write a node description that studies can name as a system or host. Run one rank per core "
      "(under mpirun or srun) on the nodes to describe; GPU, PCIe, NVLink and NIC figures are copied from --base.\n"
      "Example: mpirun -np 8 waferbench calibrate --base dgx-a100-40gb -o inputs/systems/my-node.yaml");
  cmd->add_option("-o,--output", a.output, "Node file to write (default: calibrated-<host>.yaml)");
  cmd->add_option("--base", a.base, "Node whose GPU, PCIe, NVLink and NIC figures are copied (inputs/systems/*.yaml)")
      ->capture_default_str();
  cmd->add_option("--inputs", a.inputs, "Inputs directory holding --base (default: $WAFERBENCH_INPUTS or the bundled one)");
  cmd->add_option("--name", a.name, "Display name written into the file");
  auto* quick = cmd->add_flag("--quick", a.quick, "A second or two; arrays may sit partly in cache (smoke tests)");
  auto* thorough = cmd->add_flag("--thorough", a.thorough, "More repetitions and larger sizes, about a minute");
  quick->excludes(thorough);
  cmd->add_flag("--force", a.force, "Replace the output file if it exists");
  // For tests on one machine: take each group of N consecutive ranks as a node (not in --help).
  cmd->add_option("--emulate-ranks-per-node", a.emulate_ranks_per_node)->group("")->check(CLI::PositiveNumber);
  return cmd;
}

namespace {

// Rank 0's verdict on a condition, shared so that every rank stops alike.
void agree(bool ok_on_root, const std::string& message_on_root) {
  int ok = ok_on_root ? 1 : 0;
  MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (!ok) {
    std::string msg = message_on_root;
    io::broadcast_string(MPI_COMM_WORLD, msg);
    throw io::IoError(msg);
  }
}

}  // namespace

int run_calibrate(const CalibrateArgs& a, const std::string& command_line) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const std::string inputs = study::plan::resolve_inputs_dir(a.inputs, "");
  io::BroadcastFiles files(MPI_COMM_WORLD);
  study::plan::Catalog catalog(inputs, files);
  const study::plan::System& base = catalog.system(a.base);
  if (!base.node())
    throw io::InputError("--base " + a.base + ": a " + std::string(study::plan::to_string(base.kind)) +
                         " system; name a node file (waferbench list systems shows the kinds)");

  std::string output = a.output;
  if (output.empty()) {
    output = "calibrated-" + measure::read_host_info().hostname + ".yaml";
    io::broadcast_string(MPI_COMM_WORLD, output);
  }
  // Check the destination before spending time measuring.
  std::string problem;
  if (rank == 0) {
    const fs::path dir = fs::path(output).parent_path();
    std::error_code ec;
    if (!dir.empty() && !fs::is_directory(dir, ec)) problem = output + ": the directory does not exist";
    else if (fs::exists(output, ec) && !a.force) problem = output + ": file exists; choose another -o path or pass --force";
    else if (fs::path(output).extension() != ".yaml") problem = output + ": the node file must end in .yaml";
  }
  agree(problem.empty(), problem);

  const measure::Effort effort =
      a.quick ? measure::Effort::quick : a.thorough ? measure::Effort::thorough : measure::Effort::standard;
  const measure::Calibration c = measure::run_calibration(MPI_COMM_WORLD, effort, a.emulate_ranks_per_node);

  std::string error;
  if (rank == 0) {
    measure::NodeFileOptions options;
    options.display_name = a.name;
    options.base_name = a.base;
    options.command_line = command_line;
    const std::string text = measure::node_yaml(c, *base.node(), options);
    // The file must be one the loader accepts: parse it as a study would, resolving the GPU in
    // the same inputs directory.
    io::LocalFiles local;
    study::plan::Catalog check(inputs, local);
    const std::string stem = fs::path(output).stem().string();
    const io::YamlValue doc = io::parse_yaml(text, output);
    io::YamlMap root(doc);
    io::check_schema_version(root);
    root.required("kind");
    gpu::parse_node(root, stem, output, [&](const io::YamlValue& gpu) { return *check.system(gpu.as_string()).gpu(); });
    root.done();

    error = write_text_file(output, text, "node file");
    if (error.empty()) {
      std::cout << measure::calibration_summary(c) << "Wrote " << output << ": name it as `systems: " << stem
                << "` or `host: " << stem << "` in a study whose inputs directory holds it (inputs/systems/"
                << stem << ".yaml)\n"
                << std::flush;
    }
  }
  agree(error.empty(), error);
  return 0;
}

}  // namespace wb::driver
