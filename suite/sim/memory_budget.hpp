#pragma once
// Whether a simulation's state fits in the memory of the nodes it runs on, asked before it is
// allocated: a case too large for the machine then says so, instead of being ended by the
// kernel's out-of-memory killer (or by swapping for hours) once it touches its arrays.
#include <mpi.h>

#include <cstdint>
#include <string>

namespace wb::sim {

// The value of `key` ("MemTotal", "MemAvailable") of a /proc/meminfo text, in bytes. Throws
// std::runtime_error when the line is missing or unreadable.
double parse_meminfo_bytes(const std::string& meminfo, const std::string& key);

// Memory this process may still take: /proc/meminfo's MemAvailable, lowered to the headroom of
// its cgroup (memory.max - memory.current, v2, or the v1 memory controller) where one limits it,
// as Slurm does for a job. Negative when it cannot be told (not Linux).
double available_memory_bytes();

// Collective over comm: each rank is about to allocate `bytes`. The ranks of each node add
// theirs; when a node's sum exceeds what it has available, every rank throws io::InputError
// "<what> needs N on host H (R ranks there), M available; ..." before anything is allocated.
void require_memory(MPI_Comm comm, double bytes, const std::string& what);

}  // namespace wb::sim
