#include "sim/memory_budget.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "io/error.hpp"
#include "io/first_error.hpp"
#include "io/units.hpp"

namespace wb::sim {

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// A cgroup file holding one number of bytes ("max": no limit, negative).
double cgroup_bytes(const std::string& path) {
  std::istringstream in(read_text(path));
  std::string v;
  if (!(in >> v) || v == "max") return -1;
  try {
    return std::stod(v);
  } catch (const std::exception&) {
    return -1;
  }
}

// The smallest headroom (limit - usage) of this process's cgroup and its ancestors; negative
// when none is limited or there is no cgroup file system.
double cgroup_headroom() {
  double best = -1;
  const auto consider = [&](double limit, double usage) {
    // cgroup v1 writes "no limit" as a huge page-aligned number.
    if (limit < 0 || usage < 0 || limit > 1e18) return;
    const double room = std::max(0.0, limit - usage);
    best = best < 0 ? room : std::min(best, room);
  };
  std::istringstream lines(read_text("/proc/self/cgroup"));
  for (std::string line; std::getline(lines, line);) {
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    const bool v2 = line.compare(0, a, "0") == 0 && controllers.empty();
    const bool v1 = controllers.find("memory") != std::string::npos;
    if (!v1 && !v2) continue;
    for (;;) {
      if (v2) consider(cgroup_bytes("/sys/fs/cgroup" + path + "/memory.max"), cgroup_bytes("/sys/fs/cgroup" + path + "/memory.current"));
      else consider(cgroup_bytes("/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes"),
                    cgroup_bytes("/sys/fs/cgroup/memory" + path + "/memory.usage_in_bytes"));
      if (path.empty() || path == "/") break;
      const auto slash = path.rfind('/');
      path = slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
    }
  }
  return best;
}

}  // namespace

double parse_meminfo_bytes(const std::string& meminfo, const std::string& key) {
  std::istringstream lines(meminfo);
  for (std::string line; std::getline(lines, line);) {
    if (line.compare(0, key.size() + 1, key + ":") != 0) continue;
    std::istringstream in(line.substr(key.size() + 1));
    double amount = 0;
    std::string unit;
    if (!(in >> amount)) throw std::runtime_error("/proc/meminfo: cannot read " + key + " '" + line + "'");
    in >> unit;
    // The kernel writes "kB" and means KiB (fs/proc/meminfo.c shifts page counts by 10).
    if (unit == "kB") return amount * 1024.0;
    if (unit.empty()) return amount;
    throw std::runtime_error("/proc/meminfo: unexpected " + key + " unit '" + unit + "'");
  }
  throw std::runtime_error("/proc/meminfo has no " + key + " line");
}

double available_memory_bytes() {
  double available = -1;
  try {
    available = parse_meminfo_bytes(read_text("/proc/meminfo"), "MemAvailable");
  } catch (const std::runtime_error&) {
    return -1;
  }
  const double room = cgroup_headroom();
  return room >= 0 ? std::min(available, room) : available;
}

void require_memory(MPI_Comm comm, double bytes, const std::string& what) {
  MPI_Comm node;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int node_rank = 0, node_ranks = 1;
  MPI_Comm_rank(node, &node_rank);
  MPI_Comm_size(node, &node_ranks);
  double needed = 0;
  MPI_Allreduce(&bytes, &needed, 1, MPI_DOUBLE, MPI_SUM, node);
  MPI_Comm_free(&node);
  std::string refusal;
  if (node_rank == 0) {
    const double available = available_memory_bytes();
    if (available >= 0 && needed > available) {
      char host[256] = {};
      gethostname(host, sizeof host - 1);
      refusal = what + " needs " + io::format_quantity(needed, io::Dim::bytes) + " of memory on host " + host + " (" +
                std::to_string(node_ranks) + " rank" + (node_ranks > 1 ? "s" : "") + " there), " +
                io::format_quantity(available, io::Dim::bytes) +
                " available; spread it over more nodes, or make it smaller";
    }
  }
  const std::string why = io::first_error(comm, refusal);
  if (!why.empty()) throw io::InputError(why);
}

}  // namespace wb::sim
