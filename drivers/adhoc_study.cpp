#include "adhoc_study.hpp"

#include <sstream>

#include "io/error.hpp"

namespace wb::driver {

namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

bool known(study::plan::Catalog& catalog, const std::string& category, const std::string& name) {
  for (const auto& n : catalog.names(category))
    if (n == name) return true;
  return false;
}

[[noreturn]] void bad(const std::string& id, const std::string& what) {
  throw io::InputError("--scenario '" + id + "': " + what);
}

}  // namespace

ScenarioName parse_scenario_name(const std::string& id, study::plan::Catalog& catalog) {
  const auto at = id.find('@');
  if (at == std::string::npos || at == 0)
    bad(id, "expected <model>@<system>x<count>[/<layout>], e.g. cerebras-gpt-13b@dgx-a100-40gbx8/best");
  ScenarioName n;
  n.model = id.substr(0, at);
  std::string rest = id.substr(at + 1);
  if (const auto slash = rest.find('/'); slash != std::string::npos) {
    n.layout = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (n.layout.empty()) bad(id, "nothing after '/': give a layout (`waferbench list strategies`) or leave out the '/'");
  }
  n.system = rest;
  // "<system>x<count>": the count is the digits after the last 'x', unless the whole is a system's name.
  const auto x = rest.rfind('x');
  if (!known(catalog, "systems", rest) && x != std::string::npos && x > 0 && x + 1 < rest.size() &&
      rest.find_first_not_of("0123456789", x + 1) == std::string::npos && rest.size() - x - 1 <= 9) {
    n.system = rest.substr(0, x);
    n.count = std::stoll(rest.substr(x + 1));
    if (n.count < 1) bad(id, "the count after 'x' must be at least 1");
  }
  try {
    catalog.model(n.model);  // an unknown name throws, naming the nearest one
    catalog.system(n.system);
  } catch (const io::InputError& e) {
    bad(id, e.what());
  }
  return n;
}

std::string adhoc_study_text(const std::vector<std::string>& ids, const AdhocWorkload& w, study::plan::Catalog& catalog) {
  if (ids.empty()) throw io::InputError("--scenario: give at least one scenario");
  if (w.task != "train" && w.task != "infer") throw io::InputError("--task: expected train or infer, got '" + w.task + "'");
  const bool train = w.task == "train";
  if (!train && (w.prompt_tokens < 1 || w.output_tokens < 1))
    throw io::InputError("--task infer needs --prompt-tokens and --output-tokens (tokens per request in and out)");
  std::ostringstream os;
  os.precision(12);
  os << "schema_version: 1\n"
     << "kind: " << (train ? "training" : "inference") << "\n"
     << "title: " << quoted("Scenarios from the command line") << "\n"
     << "description: " << quoted("waferbench run --scenario: each --scenario is one sweep below") << "\n";
  if (!w.framework.empty()) {
    if (!known(catalog, "frameworks", w.framework)) {
      std::string names;
      for (const auto& n : catalog.names("frameworks")) names += (names.empty() ? "" : ", ") + n;
      throw io::InputError("--framework: no framework '" + w.framework + "' (there are: " + names + ")");
    }
    os << "framework: " << quoted(w.framework) << "\n";
  } else {
    os << "# (no framework line: the study's default)\n";
  }
  os << "sweeps:\n";
  std::int64_t k = 0;
  for (const auto& id : ids) {
    const ScenarioName n = parse_scenario_name(id, catalog);
    const study::plan::System& sys = catalog.system(n.system);
    const model::TransformerConfig& m = catalog.model(n.model);
    const bool wafer = sys.kind == study::plan::SystemKind::wafer;
    std::string layout = n.layout.empty() ? (wafer ? "auto" : "best") : n.layout;
    const bool search = !wafer && (layout == "best" || layout.rfind("best-", 0) == 0);
    os << "  - {name: " << quoted("s" + std::to_string(k++)) << ", models: " << quoted(n.model)
       << ", systems: " << quoted(n.system) << ", counts: " << n.count << ", "
       << (search ? "search: " + quoted(layout) : "strategies: [" + quoted(layout) + "]") << ", workload: {task: " << w.task;
    if (train) {
      const std::int64_t seq = w.seq_len > 0 ? w.seq_len : m.train_seq_len;
      if (seq <= 0) bad(id, m.name + " has no published sequence length (training.seq_len): give --seq-len");
      os << ", seq_len: " << seq;
      if (w.global_batch > 0) os << ", global_batch: " << w.global_batch;
      if (w.tokens > 0) os << ", tokens: " << w.tokens;
    } else {
      os << ", prompt_tokens: " << w.prompt_tokens << ", output_tokens: " << w.output_tokens;
      if (w.global_batch > 0) os << ", batch: " << w.global_batch;
    }
    os << "}}\n";
  }
  return os.str();
}

}  // namespace wb::driver
