#include "io/file_source.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/error.hpp"

namespace wb::io {

namespace fs = std::filesystem;

std::optional<std::string> LocalFiles::read(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw InputError(path + ": cannot read: " + std::strerror(errno));
  }
  // Say why a path that exists is not a file to read; a FIFO or a device could block or never end.
  if (S_ISDIR(st.st_mode)) throw InputError(path + ": is a directory, not a file");
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) throw InputError(path + ": is a device, not a regular file");
  if (S_ISFIFO(st.st_mode)) throw InputError(path + ": is a pipe (FIFO), not a regular file");
  if (!S_ISREG(st.st_mode)) throw InputError(path + ": is not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > kMaxInputBytes)
    throw InputError(path + ": is " + std::to_string(st.st_size >> 20) + " MiB; an input file is at most " +
                     std::to_string(kMaxInputBytes >> 20) + " MiB (is this the right file?)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot read: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw InputError(path + ": cannot read: " + std::strerror(errno));
  return ss.str();
}

std::vector<std::string> LocalFiles::list(const std::string& dir, const std::string& ext) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    if (name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0)
      out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool LocalFiles::exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

void broadcast_string(MPI_Comm comm, std::string& s) {
  std::uint64_t n = s.size();
  MPI_Bcast(&n, 1, MPI_UINT64_T, 0, comm);
  s.resize(n);
  // Large files go in chunks that fit an int count.
  constexpr std::uint64_t kChunk = 1u << 30;
  for (std::uint64_t off = 0; off < n; off += kChunk) {
    const int len = static_cast<int>(std::min(kChunk, n - off));
    MPI_Bcast(s.data() + off, len, MPI_CHAR, 0, comm);
  }
}

BroadcastFiles::BroadcastFiles(MPI_Comm comm) : comm_(comm) { MPI_Comm_rank(comm, &rank_); }

std::optional<std::string> BroadcastFiles::read(const std::string& path) {
  std::optional<std::string> text;
  std::string error;
  int status = 0;  // 0 missing, 1 read, 2 refused (error says why)
  if (rank_ == 0) {
    try {
      text = local_.read(path);
      status = text.has_value() ? 1 : 0;
    } catch (const InputError& e) {
      error = e.what();
      status = 2;
    }
  }
  MPI_Bcast(&status, 1, MPI_INT, 0, comm_);
  if (status == 2) {
    broadcast_string(comm_, error);
    throw InputError(error);
  }
  if (status == 0) return std::nullopt;
  std::string s = rank_ == 0 ? std::move(*text) : std::string();
  broadcast_string(comm_, s);
  return s;
}

std::vector<std::string> BroadcastFiles::list(const std::string& dir, const std::string& ext) {
  std::string joined;
  if (rank_ == 0) {
    for (const auto& name : local_.list(dir, ext)) joined += name + '\n';
  }
  broadcast_string(comm_, joined);
  std::vector<std::string> out;
  std::istringstream ss(joined);
  for (std::string line; std::getline(ss, line);) out.push_back(line);
  return out;
}

bool BroadcastFiles::exists(const std::string& path) {
  int e = rank_ == 0 ? (local_.exists(path) ? 1 : 0) : 0;
  MPI_Bcast(&e, 1, MPI_INT, 0, comm_);
  return e != 0;
}

}  // namespace wb::io
