#pragma once
// Where input files come from. Under MPI only rank 0 touches the filesystem and broadcasts the
// bytes, so every rank parses exactly the same text and reaches the same verdict on errors.
#include <mpi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wb::io {

// Input files larger than this are refused before they are read (the largest bundled one is
// 0.5 MiB): a wrong path to a huge file fails at once instead of filling memory on every rank.
inline constexpr std::uint64_t kMaxInputBytes = std::uint64_t{64} << 20;

class FileSource {
 public:
  virtual ~FileSource() = default;
  // The whole file, or nothing when it does not exist. Throws InputError saying why when the
  // path exists but is not a file to read (a directory, a device, a pipe, too large, unreadable).
  virtual std::optional<std::string> read(const std::string& path) = 0;
  // Sorted names of regular files in dir ending with ext (".yaml"); empty when dir is missing.
  virtual std::vector<std::string> list(const std::string& dir, const std::string& ext) = 0;
  virtual bool exists(const std::string& path) = 0;
};

// Plain filesystem access, for tools and tests that run without MPI.
class LocalFiles final : public FileSource {
 public:
  std::optional<std::string> read(const std::string& path) override;
  std::vector<std::string> list(const std::string& dir, const std::string& ext) override;
  bool exists(const std::string& path) override;
};

// Rank 0 reads, all ranks receive. Every call is collective over comm.
class BroadcastFiles final : public FileSource {
 public:
  explicit BroadcastFiles(MPI_Comm comm);
  std::optional<std::string> read(const std::string& path) override;
  std::vector<std::string> list(const std::string& dir, const std::string& ext) override;
  bool exists(const std::string& path) override;

 private:
  MPI_Comm comm_;
  int rank_ = 0;
  LocalFiles local_;
};

// Broadcasts a string from rank 0 (collective).
void broadcast_string(MPI_Comm comm, std::string& s);

}  // namespace wb::io
