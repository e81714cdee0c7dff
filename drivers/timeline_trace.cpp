#include "timeline_trace.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "io/build_info.hpp"
#include "io/error.hpp"
#include "io/hdf5_file.hpp"
#include "study/schema/timeline.hpp"
#include "text_file.hpp"

namespace wb::driver {

namespace {

using Json = nlohmann::ordered_json;

// The streams in the order a Gantt chart shows them (results/plot/figures.py does the same).
int stream_order(const std::string& stream) {
  static const std::map<std::string, int> order = {{"compute", 0}, {"comm", 1}, {"pcie", 2}, {"cpu", 3}};
  const auto it = order.find(stream);
  return it == order.end() ? static_cast<int>(order.size()) : it->second;
}

Json metadata(const char* what, std::int64_t pid, int tid, const std::string& name) {
  Json e = {{"ph", "M"}, {"name", what}, {"pid", pid}};
  if (tid >= 0) e["tid"] = tid;
  e["args"] = {{"name", name}};
  return e;
}

}  // namespace

TraceSummary write_timeline_trace(const std::string& result_path, const std::string& scenario, const std::string& out_path) {
  namespace col = study::schema::timeline;
  using study::schema::get;
  if (!io::has_group(result_path, col::table().path()))
    throw io::InputError(result_path + ": no /timeline (a training study writes one with `time: {timeline: true}`)");
  const io::Table tl = io::read_table(result_path, col::table().path());
  const auto& ids = get(tl, col::scenario_id).str;
  TraceSummary s;
  s.scenario = scenario.empty() && !ids.empty() ? ids.front() : scenario;
  if (std::find(ids.begin(), ids.end(), s.scenario) == ids.end())
    throw io::InputError("--scenario " + s.scenario + ": no /timeline rows for it in " + result_path);

  const auto& device = get(tl, col::device).i64;
  const auto& stream = get(tl, col::stream).str;
  const auto& kind = get(tl, col::kind).str;
  const auto& start = get(tl, col::start_s).f64;
  const auto& end = get(tl, col::end_s).f64;
  Json events = Json::array();
  std::map<std::int64_t, std::map<int, std::string>> tracks;  // device -> stream index -> name
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] != s.scenario) continue;
    const int tid = stream_order(stream[i]);
    tracks[device[i]][tid] = stream[i];
    // Trace Event Format: complete events ("X"), times in microseconds.
    events.push_back({{"name", kind[i]}, {"cat", stream[i]}, {"ph", "X"}, {"ts", start[i] * 1e6},
                      {"dur", (end[i] - start[i]) * 1e6}, {"pid", device[i]}, {"tid", tid}});
    ++s.events;
    s.step_s = std::max(s.step_s, end[i]);
  }
  for (const auto& [dev, streams] : tracks) {
    events.push_back(metadata("process_name", dev, -1, "GPU " + std::to_string(dev)));
    events.push_back({{"ph", "M"}, {"name", "process_sort_index"}, {"pid", dev}, {"args", {{"sort_index", dev}}}});
    for (const auto& [tid, name] : streams) events.push_back(metadata("thread_name", dev, tid, name));
  }
  s.devices = tracks.size();
  const Json trace = {{"traceEvents", events},
                      {"displayTimeUnit", "ms"},
                      {"otherData",
                       {{"scenario", s.scenario},
                        {"result_file", result_path},
                        {"waferbench", std::string(io::waferbench_version()) + " (" + io::git_commit() + ")"}}}};
  const std::string error = write_text_file(out_path, trace.dump() + "\n", "trace file");
  if (!error.empty()) throw io::IoError(error);
  return s;
}

}  // namespace wb::driver
