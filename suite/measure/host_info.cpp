#include "measure/host_info.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "sim/memory_budget.hpp"

namespace wb::measure {

namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// The value of "key : value" lines (cpuinfo style) for the first line whose key matches.
std::string field(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    if (trim(line.substr(0, colon)) == key) return trim(line.substr(colon + 1));
  }
  return "";
}

bool is_cpu_dir(const std::string& name) {
  return name.size() > 3 && name.compare(0, 3, "cpu") == 0 &&
         std::all_of(name.begin() + 3, name.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

double parse_meminfo_total_bytes(const std::string& meminfo) { return sim::parse_meminfo_bytes(meminfo, "MemTotal"); }

std::string parse_cpu_model(const std::string& cpuinfo) {
  for (const char* key : {"model name", "cpu model", "cpu"}) {
    const std::string v = field(cpuinfo, key);
    if (!v.empty()) return v;
  }
  return "";
}

double parse_cache_size(const std::string& text) {
  const std::string t = trim(text);
  if (t.empty()) return 0;
  std::size_t pos = 0;
  double v = 0;
  try {
    v = std::stod(t, &pos);
  } catch (const std::exception&) {
    return 0;
  }
  const std::string unit = trim(t.substr(pos));
  if (unit.empty()) return v;
  if (unit == "K") return v * 1024.0;
  if (unit == "M") return v * 1048576.0;
  if (unit == "G") return v * 1073741824.0;
  return 0;
}

HostInfo read_host_info() {
  HostInfo h;
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) == 0) h.hostname = name;
  if (h.hostname.empty()) h.hostname = "unknown-host";

  h.cpu_model = parse_cpu_model(read_text("/proc/cpuinfo"));
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  h.logical_cpus = online > 0 ? online : 1;
  cpu_set_t mask;
  CPU_ZERO(&mask);
  h.usable_cpus = sched_getaffinity(0, sizeof mask, &mask) == 0 ? CPU_COUNT(&mask) : h.logical_cpus;

  try {
    h.memory_bytes = parse_meminfo_total_bytes(read_text("/proc/meminfo"));
  } catch (const std::runtime_error&) {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    h.memory_bytes = pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0;
  }

  // Sockets and physical cores: distinct (package, core) pairs over online CPUs. The largest
  // cache level seen is the last-level cache; its instances are the distinct CPU sets sharing it.
  std::set<std::string> packages;
  std::map<std::string, std::set<std::string>> cores_of_package;
  int llc_level = 0;
  std::map<std::string, double> llc_instances;  // shared_cpu_list -> size
  std::error_code ec;
  const fs::path cpus("/sys/devices/system/cpu");
  for (const auto& entry : fs::directory_iterator(cpus, ec)) {
    const std::string dir = entry.path().filename().string();
    if (!is_cpu_dir(dir)) continue;
    if (trim(read_text(entry.path() / "online")) == "0") continue;
    const std::string pkg = trim(read_text(entry.path() / "topology" / "physical_package_id"));
    const std::string core = trim(read_text(entry.path() / "topology" / "core_id"));
    if (pkg.empty() || core.empty()) continue;
    packages.insert(pkg);
    cores_of_package[pkg].insert(core);
    for (const auto& cache : fs::directory_iterator(entry.path() / "cache", ec)) {
      if (cache.path().filename().string().rfind("index", 0) != 0) continue;
      if (trim(read_text(cache.path() / "type")) == "Instruction") continue;
      const std::string level_text = trim(read_text(cache.path() / "level"));
      if (level_text.empty()) continue;
      const int level = std::stoi(level_text);
      if (level < llc_level) continue;
      if (level > llc_level) {
        llc_level = level;
        llc_instances.clear();
      }
      llc_instances[trim(read_text(cache.path() / "shared_cpu_list"))] = parse_cache_size(read_text(cache.path() / "size"));
    }
  }
  if (!packages.empty()) {
    h.sockets = static_cast<std::int64_t>(packages.size());
    std::size_t most = 0;
    for (const auto& [pkg, cores] : cores_of_package) most = std::max(most, cores.size());
    h.cores_per_socket = static_cast<std::int64_t>(most);
  } else {
    h.sockets = 1;
    h.cores_per_socket = h.logical_cpus;
  }
  for (const auto& [cpus_sharing, bytes] : llc_instances) h.llc_bytes += bytes;
  if (h.llc_bytes == 0) {
    const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (l3 > 0) h.llc_bytes = static_cast<double>(l3) * static_cast<double>(h.sockets);
  }
  return h;
}

}  // namespace wb::measure
