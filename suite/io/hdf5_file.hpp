#pragma once
// Result files in HDF5. Writing is collective over an MPI communicator: every rank passes its own
// rows of a table and they land one after another in rank order (offsets from MPI_Exscan), one
// global 1-D dataset per column, as openPMD and h5bench do. Every dataset is chunked with HDF5's
// Fletcher32 checksum filter (parallel HDF5 writes filtered datasets collectively since 1.10.2)
// and carries a `crc32` attribute, the CRC-32 of its values: Fletcher32's one's-complement sums
// cannot tell a chunk of zeros (a lost write) or an inverted chunk from the original, a CRC can.
// A reader so notices bytes changed after writing.
//
// Nothing is lost when a write fails (a full disk, a quota, an I/O error on one rank): every HDF5
// return value is checked, every rank's verdict is collected after each collective step, and all
// ranks fail together with the first failing rank's message, naming the file and the object. The
// file is written under a temporary name, flushed, closed and synced before it is renamed over
// the final name; a write that fails leaves an existing file untouched and removes the
// temporary one. The space each step needs is reserved before HDF5 writes it, so a full disk or
// quota is met as one clear refusal before any data is written.
#include <mpi.h>

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "io/table.hpp"

namespace wb::io {

using AttributeValue = std::variant<std::int64_t, double, std::string>;

class ResultFileWriter {
 public:
  // Opens `<path>.tmp` for writing (an existing one, from a run that was killed, is replaced).
  // Fails (IoError, on every rank) when `path` is a directory, exists and overwrite is false, or
  // its directory cannot be written.
  ResultFileWriter(MPI_Comm comm, std::string path, bool overwrite);
  // Collective: the same refusals without opening anything, for a run to meet them before its
  // work rather than after.
  static void check_target(MPI_Comm comm, const std::string& path, bool overwrite);
  ~ResultFileWriter();
  ResultFileWriter(const ResultFileWriter&) = delete;
  ResultFileWriter& operator=(const ResultFileWriter&) = delete;

  // Attribute on the root group (or on `group` when given); all ranks pass the same value. Collective.
  void attribute(const std::string& name, const AttributeValue& value, const std::string& group = "/");

  // Collective: writes `local` (this rank's rows) under `group`. Every rank passes the same
  // columns in the same order; a rank without rows passes empty columns.
  void write_table(const std::string& group, const Table& local);

  // Flushes, closes and syncs the file and renames it to its final name, only when every rank's
  // every step succeeded. Collective.
  void commit();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }

 private:
  // Records this rank's first failure of an HDF5 call (result < 0); returns the result.
  std::int64_t checked(std::int64_t result, const std::string& what);
  // Collective: throws IoError on every rank when any rank recorded a failure, with the message
  // of the lowest such rank. A rank that failed waits at most kStuckRanksTimeout_s for the
  // others, then ends the job (MPI_Abort) with its reason.
  void agree();
  // Collective: reserves `bytes` more of disk space for the file (fallocate beyond its end), so
  // that HDF5's writes do not meet a full disk or quota halfway, where a failure on one rank
  // can leave the others inside HDF5's own collective calls. Where the file system cannot
  // reserve, writing goes on unreserved.
  void reserve(std::uint64_t bytes);
  void abandon();

  static constexpr int kStuckRanksTimeout_s = 30;
  static constexpr std::uint64_t kReserveSlackBytes = 64 * 1024;  // superblock, root group, metadata growth at close
  static constexpr std::uint64_t kReserveObjectBytes = 2 * 1024;  // a group's or dataset's header, index, attributes

  MPI_Comm comm_;
  int rank_ = 0;
  std::string path_;
  std::string temp_;
  std::int64_t file_ = -1;  // hid_t
  int reserve_fd_ = -1;     // rank 0's descriptor of the temporary file, for fallocate
  std::uint64_t reserved_ = 0;
  std::string error_;       // this rank's first failure
  bool committed_ = false;
};

// True when HDF5 could not close a file it wrote (its close failed after a write error): the
// library then holds a handle it cannot release, and finalising MPI, which finalises HDF5, would
// crash. The driver leaves without MPI_Finalize then. The same on every rank of the writer.
bool hdf5_unclosed_file();

// Serial reading (tools, tests, `waferbench report`). Failures raise IoError naming the file and
// the object; a dataset whose checksum does not match is reported as damaged.
Table read_table(const std::string& path, const std::string& group);
std::map<std::string, AttributeValue> read_attributes(const std::string& path, const std::string& group = "/");
std::vector<std::string> list_groups(const std::string& path);  // top-level groups, creation order
bool has_group(const std::string& path, const std::string& group);

// Reads every dataset of the file whole, so that HDF5 checks the checksum of every chunk: throws
// IoError naming the file and the first dataset that is damaged or unreadable.
void verify_datasets(const std::string& path);

// Text of an attribute value for printing.
std::string attribute_text(const AttributeValue& v);

}  // namespace wb::io
