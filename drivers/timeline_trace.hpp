#pragma once
// `waferbench report FILE --timeline-trace OUT.json`: one scenario's simulated step (/timeline) as
// a Chrome trace (the Trace Event Format), which Perfetto (ui.perfetto.dev) and chrome://tracing
// open: one process per GPU, one thread per stream (compute, comm, pcie, cpu), one slice per task.
#include <cstddef>
#include <string>

namespace wb::driver {

struct TraceSummary {
  std::string scenario;
  std::size_t events = 0;
  std::size_t devices = 0;
  double step_s = 0;  // end of the last task
};

// `scenario` empty: the first scenario in /timeline. Writes `out_path` (via a temporary file).
// Throws io::InputError when the file has no timeline or not for that scenario, io::IoError when
// a file cannot be read or written.
TraceSummary write_timeline_trace(const std::string& result_path, const std::string& scenario, const std::string& out_path);

}  // namespace wb::driver
