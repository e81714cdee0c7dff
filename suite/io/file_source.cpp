#include "io/file_source.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace wb::io {

namespace fs = std::filesystem;

std::optional<std::string> LocalFiles::read(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
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
  int found = 0;
  if (rank_ == 0) {
    text = local_.read(path);
    found = text.has_value() ? 1 : 0;
  }
  MPI_Bcast(&found, 1, MPI_INT, 0, comm_);
  if (!found) return std::nullopt;
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
