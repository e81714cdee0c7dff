#pragma once
// What the operating system says about the node a rank runs on: host name, CPU model, sockets
// and physical cores (from /sys topology), memory (/proc/meminfo MemTotal) and last-level cache.
// Linux files are read when present; elsewhere the POSIX fallbacks are used.
#include <cstdint>
#include <string>

namespace wb::measure {

struct HostInfo {
  std::string hostname;
  std::string cpu_model;             // "/proc/cpuinfo model name", or "" when the OS does not say
  std::int64_t sockets = 1;
  std::int64_t cores_per_socket = 1;  // physical cores (hardware threads of one core count once)
  std::int64_t logical_cpus = 1;      // online hardware threads
  std::int64_t usable_cpus = 1;       // hardware threads this process may run on (affinity mask)
  double memory_bytes = 0;            // MemTotal
  double llc_bytes = 0;               // last-level cache of the whole node (all instances)
  std::int64_t cores() const { return sockets * cores_per_socket; }
};

// Reads the running node's description.
HostInfo read_host_info();

// Parsers of the Linux text formats, separate so that tests can feed them text.
// MemTotal in bytes; throws std::runtime_error when the line is missing.
double parse_meminfo_total_bytes(const std::string& meminfo);
// The first "model name" (x86, and most ARM kernels), else "cpu model"/"cpu" (MIPS, POWER), else "".
std::string parse_cpu_model(const std::string& cpuinfo);
// A /sys cache size ("491520K", "32M", "1024") in bytes; 0 when unreadable.
double parse_cache_size(const std::string& text);

}  // namespace wb::measure
