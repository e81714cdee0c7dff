#pragma once
// Result files in HDF5. Writing is collective over an MPI communicator: every rank passes its own
// rows of a table and they land one after another in rank order (offsets from MPI_Exscan), one
// global 1-D dataset per column, as openPMD and h5bench do. The file is written under a temporary
// name and renamed on commit(), so a crash never leaves a half-written file where a good one was.
// Every H5* return value is checked; failures raise IoError naming the file and the object.
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
  // Opens `<path>.tmp` for writing. Fails (IoError, on every rank) when `path` exists and
  // overwrite is false, or when the directory cannot be written.
  ResultFileWriter(MPI_Comm comm, std::string path, bool overwrite);
  ~ResultFileWriter();
  ResultFileWriter(const ResultFileWriter&) = delete;
  ResultFileWriter& operator=(const ResultFileWriter&) = delete;

  // Attribute on the root group (or on `group` when given); all ranks pass the same value.
  void attribute(const std::string& name, const AttributeValue& value, const std::string& group = "/");

  // Collective: writes `local` (this rank's rows) under `group`. Every rank passes the same
  // columns in the same order; a rank without rows passes empty columns.
  void write_table(const std::string& group, const Table& local);

  // Closes the file and renames it to its final name. Collective.
  void commit();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }

 private:
  void close_file();
  MPI_Comm comm_;
  int rank_ = 0;
  std::string path_;
  std::string temp_;
  std::int64_t file_ = -1;  // hid_t
  bool committed_ = false;
};

// Serial reading (tools, tests, `waferbench report`).
Table read_table(const std::string& path, const std::string& group);
std::map<std::string, AttributeValue> read_attributes(const std::string& path, const std::string& group = "/");
std::vector<std::string> list_groups(const std::string& path);  // top-level groups, creation order
bool has_group(const std::string& path, const std::string& group);

// Text of an attribute value for printing.
std::string attribute_text(const AttributeValue& v);

}  // namespace wb::io
