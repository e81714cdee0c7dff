#include "io/hdf5_file.hpp"

#include <hdf5.h>
#include <zlib.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>

#include "io/error.hpp"
#include "io/file_source.hpp"
#include "io/first_error.hpp"
#include "io/units.hpp"

namespace wb::io {

namespace fs = std::filesystem;

namespace {

// Silences HDF5's own error-stack printing once: we report failures ourselves.
void quiet_hdf5() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

bool g_unclosed_file = false;

// The descriptions on HDF5's error stack, outermost (the API call) first.
std::vector<std::string> hdf5_error_stack() {
  std::vector<std::string> out;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* e, void* data) -> herr_t {
        if (e->desc && *e->desc) static_cast<std::vector<std::string>*>(data)->push_back(e->desc);
        return 0;
      },
      &out);
  return out;
}

// A checksum that does not match: Fletcher32 on a dataset's chunk, or the checksum of a piece of
// HDF5's own structure (1.8-format object headers, heaps, B-trees carry one).
bool checksum_failed(const std::vector<std::string>& stack) {
  for (const auto& d : stack)
    if (d.find("checksum") != std::string::npos) return true;
  return false;
}

// Why the last HDF5 call failed, for people: the innermost message (the cause) and, when the
// MPI-IO layer failed, its error string; `err` is errno right after the call.
std::string hdf5_cause(const std::vector<std::string>& stack, int err) {
  std::string cause;
  for (const auto& d : stack)
    if (d.rfind("MPI error string is", 0) == 0) cause = d;
  if (cause.empty() && !stack.empty()) cause = stack.back();
  if (err == ENOSPC || err == EDQUOT || err == EIO || err == EROFS || err == EFBIG)
    cause = std::strerror(err) + (cause.empty() ? std::string() : " (" + cause + ")");
  return cause;
}

// Owns one hid_t and closes it with the matching H5*close.
class Handle {
 public:
  Handle(std::int64_t id, herr_t (*closer)(hid_t)) : id_(static_cast<hid_t>(id)), closer_(closer) {}
  ~Handle() {
    if (id_ >= 0) closer_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      if (id_ >= 0) closer_(id_);
      id_ = o.id_;
      closer_ = o.closer_;
      o.id_ = -1;
    }
    return *this;
  }
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }

 private:
  hid_t id_;
  herr_t (*closer_)(hid_t);
};

// Writing: each helper is a sequence of HDF5 calls whose results go through `ok`, which records
// the first failure (ResultFileWriter::checked); the writer then collects every rank's verdict.
using Checker = std::function<std::int64_t(std::int64_t, const std::string&)>;

Handle make_string_type(std::size_t length, const Checker& ok) {
  Handle t(ok(H5Tcopy(H5T_C_S1), "copy the string type"), H5Tclose);
  ok(H5Tset_size(t, std::max<std::size_t>(length, 1)), "set a string size");
  ok(H5Tset_strpad(t, H5T_STR_NULLPAD), "set string padding");
  ok(H5Tset_cset(t, H5T_CSET_UTF8), "set the string character set");
  return t;
}

// Writes attribute `name` on obj from `data` of memory type `type` (scalar).
void write_attribute(hid_t obj, const std::string& name, hid_t type, const void* data, const std::string& where,
                     const Checker& ok) {
  Handle space(ok(H5Screate(H5S_SCALAR), "create a scalar dataspace"), H5Sclose);
  const htri_t exists = H5Aexists(obj, name.c_str());
  ok(exists, "look up attribute " + name + " of " + where);
  if (exists > 0) ok(H5Adelete(obj, name.c_str()), "replace attribute " + name + " of " + where);
  Handle attr(ok(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT),
                 "create attribute " + name + " of " + where),
              H5Aclose);
  ok(H5Awrite(attr, type, data), "write attribute " + name + " of " + where);
}

void write_string_attribute(hid_t obj, const std::string& name, const std::string& value, const std::string& where,
                            const Checker& ok) {
  Handle type = make_string_type(value.size(), ok);
  std::vector<char> buf(std::max<std::size_t>(value.size(), 1), '\0');
  std::memcpy(buf.data(), value.data(), value.size());
  write_attribute(obj, name, type, buf.data(), where, ok);
}

// Opens group `path` below file, creating each missing level (collective when parallel).
Handle open_or_create_group(hid_t file, const std::string& path, const Checker& ok) {
  Handle group(ok(H5Gopen2(file, "/", H5P_DEFAULT), "open the root group"), H5Gclose);
  std::string current;
  std::size_t start = !path.empty() && path[0] == '/' ? 1 : 0;
  while (start < path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    current += "/" + path.substr(start, end - start);
    start = end + 1;
    const htri_t exists = H5Lexists(file, current.c_str(), H5P_DEFAULT);
    ok(exists, "look up group " + current);
    if (exists > 0) {
      group = Handle(ok(H5Gopen2(file, current.c_str(), H5P_DEFAULT), "open group " + current), H5Gclose);
      continue;
    }
    Handle gcpl(ok(H5Pcreate(H5P_GROUP_CREATE), "create a group property list"), H5Pclose);
    ok(H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), "track creation order");
    group = Handle(ok(H5Gcreate2(file, current.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT), "create group " + current),
                   H5Gclose);
  }
  return group;
}

// Elements per chunk: about kChunkBytes, at least one, at most the dataset (a chunk below
// HDF5's default 1 MiB chunk cache is read through it).
constexpr std::uint64_t kChunkBytes = 256 * 1024;
hsize_t chunk_elements(std::uint64_t total, std::uint64_t element_bytes) {
  const std::uint64_t target = std::max<std::uint64_t>(1, kChunkBytes / std::max<std::uint64_t>(element_bytes, 1));
  return static_cast<hsize_t>(std::max<std::uint64_t>(1, std::min(total, target)));
}

// CRC-32 (zlib's, ISO 3309) of n bytes, in pieces that fit zlib's length type.
std::uint32_t crc32_of(std::uint32_t crc, const void* data, std::uint64_t n) {
  const auto* p = static_cast<const Bytef*>(data);
  for (std::uint64_t done = 0; done < n;) {
    const auto len = static_cast<uInt>(std::min<std::uint64_t>(n - done, std::uint64_t{1} << 30));
    crc = static_cast<std::uint32_t>(crc32(crc, p + done, len));
    done += len;
  }
  return crc;
}

// Collective: the CRC-32 of the ranks' bytes concatenated in rank order, on every rank.
std::uint32_t global_crc32(MPI_Comm comm, const void* data, std::uint64_t n) {
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  const std::uint64_t mine[2] = {crc32_of(0, data, n), n};
  std::vector<std::uint64_t> all(2 * static_cast<std::size_t>(ranks));
  MPI_Allgather(mine, 2, MPI_UINT64_T, all.data(), 2, MPI_UINT64_T, comm);
  std::uint32_t crc = 0;
  for (int r = 0; r < ranks; ++r) {
    const auto piece = static_cast<uLong>(all[2 * static_cast<std::size_t>(r)]);
    crc = static_cast<std::uint32_t>(crc32_combine64(crc, piece, static_cast<z_off64_t>(all[2 * static_cast<std::size_t>(r) + 1])));
  }
  return crc;
}

}  // namespace

void ResultFileWriter::check_target(MPI_Comm comm, const std::string& path, bool overwrite) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  // Rank 0 checks the target and tells everyone, so all ranks fail (or go on) together.
  std::string refusal;
  if (rank == 0) {
    std::error_code ec;
    const fs::path p(path);
    const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
    if (fs::is_directory(p, ec))
      refusal = path + ": is a directory; -o names the result file (e.g. " + (p / "study.h5").string() + ")";
    else if (fs::exists(p, ec) && !overwrite)
      refusal = path + ": result file exists; choose another -o path or pass --force to replace it";
    else if (!fs::is_directory(dir, ec))
      refusal = path + ": the directory does not exist";
    else if (::access(dir.c_str(), W_OK | X_OK) != 0)
      refusal = path + ": cannot write in " + dir.string() + ": " + std::strerror(errno);
  }
  broadcast_string(comm, refusal);
  if (!refusal.empty()) throw IoError(refusal);
}

ResultFileWriter::ResultFileWriter(MPI_Comm comm, std::string path, bool overwrite)
    : comm_(comm), path_(std::move(path)) {
  quiet_hdf5();
  MPI_Comm_rank(comm_, &rank_);
  temp_ = path_ + ".tmp";
  check_target(comm_, path_, overwrite);

  try {
    Handle fapl(checked(H5Pcreate(H5P_FILE_ACCESS), "create a file access list"), H5Pclose);
    checked(H5Pset_fapl_mpio(fapl, comm_, MPI_INFO_NULL), "select the MPI-IO driver");
    // The 1.8 format stores large attributes (the verbatim study YAML) densely, and puts a
    // checksum on HDF5's own structures (object headers, heaps), as Fletcher32 does on the data.
    checked(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST), "set format bounds");
    // Chunk-index B-tree nodes of 2k = 4 entries instead of 64: a column fits in a few chunks,
    // and 64-entry nodes (2.7 KB each) would triple the size of a small study's file.
    Handle fcpl(checked(H5Pcreate(H5P_FILE_CREATE), "create a file creation list"), H5Pclose);
    checked(H5Pset_istore_k(fcpl, 2), "size the chunk index");
    agree();
    file_ = checked(H5Fcreate(temp_.c_str(), H5F_ACC_TRUNC, fcpl, fapl), "create the file");
    agree();
    if (rank_ == 0) reserve_fd_ = ::open(temp_.c_str(), O_WRONLY | O_CLOEXEC);
    reserve(kReserveSlackBytes);
  } catch (const IoError&) {
    abandon();
    throw;
  }
}

ResultFileWriter::~ResultFileWriter() {
  if (!committed_) abandon();
}

std::int64_t ResultFileWriter::checked(std::int64_t result, const std::string& what) {
  if (result < 0 && error_.empty()) {
    const int err = errno;
    const std::vector<std::string> stack = hdf5_error_stack();
    const std::string cause = hdf5_cause(stack, err);
    error_ = temp_ + ": cannot " + what + (cause.empty() ? std::string() : ": " + cause);
  }
  return result;
}

void ResultFileWriter::agree() {
  // HDF5 may leave the other ranks inside one of its own collective calls after a failure here;
  // then nobody arrives. The failing rank ends the job with its reason instead of hanging.
  const std::string why = first_error(comm_, error_, kStuckRanksTimeout_s, [this] {
    std::fprintf(stderr, "waferbench: error on rank %d: %s; the other ranks did not return from HDF5 after it, ending the job\n",
                 rank_, error_.c_str());
    std::fflush(stderr);
    MPI_Abort(comm_, 2);
  });
  if (why.empty()) return;
  if (error_.empty()) error_ = why;
  throw IoError(why);
}

void ResultFileWriter::reserve(std::uint64_t bytes) {
  reserved_ += bytes;
  if (rank_ == 0 && reserve_fd_ >= 0 && error_.empty()) {
    const int r = ::fallocate(reserve_fd_, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(reserved_));
    if (r != 0 && (errno == EOPNOTSUPP || errno == ENOSYS)) {
      ::close(reserve_fd_);  // this file system cannot reserve; writes fail where they fail
      reserve_fd_ = -1;
    } else if (r != 0) {
      const int err = errno;
      struct statvfs fs_stat {};
      const std::string free_text =
          ::fstatvfs(reserve_fd_, &fs_stat) == 0
              ? " (" + format_quantity(static_cast<double>(fs_stat.f_bavail) * static_cast<double>(fs_stat.f_frsize), Dim::bytes) +
                    " free)"
              : std::string();
      error_ = temp_ + ": cannot reserve " + format_quantity(static_cast<double>(reserved_), Dim::bytes) +
               " of disk space for the result: " + std::strerror(err) + free_text;
    }
  }
  agree();
}

void ResultFileWriter::abandon() {
  // Closing writes HDF5's metadata; after a full disk it would fail again for want of the space
  // this very file takes. So rank 0 first empties the file (its blocks are freed), then all
  // close it, then it is removed.
  if (reserve_fd_ >= 0) ::close(reserve_fd_);
  reserve_fd_ = -1;
  int open_here = file_ >= 0 ? 1 : 0, open_anywhere = 0;
  MPI_Allreduce(&open_here, &open_anywhere, 1, MPI_INT, MPI_MAX, comm_);
  if (open_anywhere && rank_ == 0) ::truncate(temp_.c_str(), 0);
  MPI_Barrier(comm_);
  int unclosed = 0, unclosed_anywhere = 0;
  if (file_ >= 0) unclosed = H5Fclose(static_cast<hid_t>(file_)) < 0 ? 1 : 0;
  file_ = -1;
  MPI_Allreduce(&unclosed, &unclosed_anywhere, 1, MPI_INT, MPI_MAX, comm_);
  if (unclosed_anywhere) g_unclosed_file = true;
  if (rank_ == 0) {
    std::error_code ec;
    fs::remove(temp_, ec);
  }
  MPI_Barrier(comm_);
}

void ResultFileWriter::attribute(const std::string& name, const AttributeValue& value, const std::string& group) {
  const Checker ok = [this](std::int64_t r, const std::string& what) { return checked(r, what); };
  // A large attribute lives in a heap block of the next power of two.
  const auto* text = std::get_if<std::string>(&value);
  reserve(2 * (text ? text->size() : 8) + kReserveObjectBytes);
  {
    Handle g = open_or_create_group(static_cast<hid_t>(file_), group, ok);
    if (const auto* s = std::get_if<std::string>(&value)) {
      write_string_attribute(g, name, *s, group, ok);
    } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
      write_attribute(g, name, H5T_NATIVE_INT64, i, group, ok);
    } else {
      write_attribute(g, name, H5T_NATIVE_DOUBLE, &std::get<double>(value), group, ok);
    }
  }
  agree();
}

void ResultFileWriter::write_table(const std::string& group, const Table& local) {
  const Checker ok = [this](std::int64_t r, const std::string& what) { return checked(r, what); };
  const hid_t file = static_cast<hid_t>(file_);
  const std::uint64_t local_rows = local.rows();
  for (const auto& c : local.columns)
    if (c.size() != local_rows)
      throw std::logic_error(path_ + ": column " + group + "/" + c.name + " has " + std::to_string(c.size()) +
                             " rows, expected " + std::to_string(local_rows));
  std::uint64_t offset = 0, total = 0;
  MPI_Exscan(&local_rows, &offset, 1, MPI_UINT64_T, MPI_SUM, comm_);
  if (rank_ == 0) offset = 0;
  MPI_Allreduce(&local_rows, &total, 1, MPI_UINT64_T, MPI_SUM, comm_);

  reserve(kReserveObjectBytes);
  Handle g = open_or_create_group(file, group, ok);
  Handle dxpl(ok(H5Pcreate(H5P_DATASET_XFER), "create a transfer list"), H5Pclose);
  ok(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE), "select collective transfers");
  agree();

  for (const auto& c : local.columns) {
    const std::string where = group + "/" + c.name;
    std::uint64_t width = 0;
    std::vector<char> packed;
    if (c.type == ColumnType::str) {
      std::uint64_t mine = 1;
      for (const auto& s : c.str) mine = std::max<std::uint64_t>(mine, s.size());
      MPI_Allreduce(&mine, &width, 1, MPI_UINT64_T, MPI_MAX, comm_);
      packed.assign(local_rows * width, '\0');
      for (std::size_t r = 0; r < c.str.size(); ++r) std::memcpy(&packed[r * width], c.str[r].data(), c.str[r].size());
    }
    Handle str_type = make_string_type(width, ok);
    const hid_t type = c.type == ColumnType::f64   ? H5T_NATIVE_DOUBLE
                       : c.type == ColumnType::i64 ? H5T_NATIVE_INT64
                                                   : str_type.get();
    const hid_t file_type = c.type == ColumnType::f64   ? H5T_IEEE_F64LE
                            : c.type == ColumnType::i64 ? H5T_STD_I64LE
                                                        : str_type.get();
    const std::uint64_t element_bytes = c.type == ColumnType::str ? width : 8;
    // Whole chunks (the last one too) with their checksums, and the dataset's own metadata.
    const std::uint64_t per_chunk = chunk_elements(total, element_bytes);
    const std::uint64_t chunks = total == 0 ? 0 : (total + per_chunk - 1) / per_chunk;
    reserve(chunks * (per_chunk * element_bytes + 16) + kReserveObjectBytes);
    // Chunked (a filter needs chunks), with the Fletcher32 checksum of every chunk; unlimited
    // in extent, so that a chunk may be longer than a short or empty column.
    const hsize_t dims[1] = {static_cast<hsize_t>(total)};
    const hsize_t max_dims[1] = {H5S_UNLIMITED};
    const hsize_t chunk[1] = {chunk_elements(total, element_bytes)};
    Handle fspace(ok(H5Screate_simple(1, dims, max_dims), "create the dataspace of " + where), H5Sclose);
    Handle dcpl(ok(H5Pcreate(H5P_DATASET_CREATE), "create a dataset property list"), H5Pclose);
    ok(H5Pset_chunk(dcpl, 1, chunk), "set the chunks of " + where);
    // An integer that does not apply to a row is -1 (no count, flag or index is negative),
    // declared as the dataset's fill value so readers can tell it without knowing the schema.
    if (c.type == ColumnType::i64) ok(H5Pset_fill_value(dcpl, H5T_NATIVE_INT64, &kMissingInteger), "set the fill value of " + where);
    ok(H5Pset_fletcher32(dcpl), "add the Fletcher32 checksum to " + where);
    agree();
    Handle dset(ok(H5Dcreate2(g, c.name.c_str(), file_type, fspace, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                   "create dataset " + where),
                H5Dclose);
    agree();
    const void* data = c.type == ColumnType::f64   ? static_cast<const void*>(c.f64.data())
                       : c.type == ColumnType::i64 ? static_cast<const void*>(c.i64.data())
                                                   : static_cast<const void*>(packed.data());
    // Fletcher32 cannot tell a chunk of zeros (a lost write) or one inverted whole from the
    // original; a CRC of the whole column, kept in its (checksummed) header, can.
    const std::uint32_t crc = global_crc32(comm_, data, local_rows * element_bytes);
    write_string_attribute(dset, "units", c.units, where, ok);
    if (!c.description.empty()) write_string_attribute(dset, "description", c.description, where, ok);
    write_attribute(dset, "crc32", H5T_NATIVE_UINT32, &crc, where, ok);
    agree();
    if (total == 0) continue;

    const hsize_t start[1] = {static_cast<hsize_t>(offset)};
    const hsize_t count[1] = {static_cast<hsize_t>(local_rows)};
    Handle mspace(ok(H5Screate_simple(1, count[0] > 0 ? count : dims, nullptr), "create a memory dataspace"), H5Sclose);
    if (local_rows > 0) {
      ok(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, count, nullptr), "select the rows of " + where);
    } else {
      ok(H5Sselect_none(fspace), "select no rows of " + where);
      ok(H5Sselect_none(mspace), "select no memory rows");
    }
    agree();
    ok(H5Dwrite(dset, type, mspace, fspace, dxpl, data), "write dataset " + where);
    agree();
  }
}

void ResultFileWriter::commit() {
  agree();
  checked(H5Fflush(static_cast<hid_t>(file_), H5F_SCOPE_GLOBAL), "flush the file");
  agree();
  // A close that fails after a write error leaves HDF5 with a handle it cannot release.
  const int unclosed = checked(H5Fclose(static_cast<hid_t>(file_)), "close the file") < 0 ? 1 : 0;
  file_ = -1;
  int unclosed_anywhere = 0;
  MPI_Allreduce(&unclosed, &unclosed_anywhere, 1, MPI_INT, MPI_MAX, comm_);
  if (unclosed_anywhere) g_unclosed_file = true;
  agree();
  // The data on disk before the name: a crash right after the rename must not leave an empty
  // or partial file under the final name (the page cache may hold what MPI-IO wrote). Space
  // reserved beyond the end is given back first.
  if (rank_ == 0) {
    const int fd = reserve_fd_ >= 0 ? reserve_fd_ : ::open(temp_.c_str(), O_WRONLY | O_CLOEXEC);
    reserve_fd_ = -1;
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || ::ftruncate(fd, st.st_size) != 0 || ::fsync(fd) != 0)
      error_ = temp_ + ": cannot sync the file to disk: " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
  }
  agree();
  if (rank_ == 0) {
    std::error_code ec;
    fs::rename(temp_, path_, ec);
    if (ec) error_ = path_ + ": cannot move the finished result into place: " + ec.message();
    // The rename itself reaches the disk with the directory.
    const fs::path p(path_);
    const int dir = ::open(p.has_parent_path() ? p.parent_path().c_str() : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
  }
  agree();
  committed_ = true;
}

bool hdf5_unclosed_file() { return g_unclosed_file; }

// ---------------------------------------------------------------------------------------------
// Reading

namespace {

// One file open for reading; its failures name the file and the object, and a checksum that
// does not match is called what it is.
class ReadFile {
 public:
  explicit ReadFile(const std::string& path) : path_(path) {
    quiet_hdf5();
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
      throw IoError(path + ": " + (errno == ENOENT ? std::string("no such file") : std::strerror(errno)));
    if (S_ISDIR(st.st_mode)) throw IoError(path + ": is a directory, not a result file");
    if (!S_ISREG(st.st_mode)) throw IoError(path + ": is not a regular file");
    const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
    if (is_hdf5 == 0) throw IoError(path + ": not an HDF5 file, so not a waferbench result file");
    if (is_hdf5 < 0) fail("the file", "read");
    id_ = check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "the file", "open");
  }
  ~ReadFile() {
    if (id_ >= 0) H5Fclose(id_);
  }
  ReadFile(const ReadFile&) = delete;
  ReadFile& operator=(const ReadFile&) = delete;
  hid_t id() const { return id_; }
  const std::string& path() const { return path_; }

  [[noreturn]] void fail(const std::string& object, const std::string& action) const {
    const int err = errno;
    const std::vector<std::string> stack = hdf5_error_stack();
    if (checksum_failed(stack)) damaged(object);
    const std::string cause = hdf5_cause(stack, err);
    throw IoError(path_ + ": cannot " + action + " " + object + (cause.empty() ? std::string() : ": " + cause));
  }
  std::int64_t check(std::int64_t result, const std::string& object, const std::string& action) const {
    if (result < 0) fail(object, action);
    return result;
  }
  [[noreturn]] void damaged(const std::string& object) const {
    throw IoError(path_ + ": " + object + " is damaged: its checksum does not match, so its bytes changed after "
                  "waferbench wrote them (copy the file again, or rerun the study)");
  }
  // The CRC-32 of its values a dataset was written with (none in files from before it was).
  std::optional<std::uint32_t> stored_crc32(hid_t dataset, const std::string& where) const {
    const htri_t has = H5Aexists(dataset, "crc32");
    check(has, where, "look up the crc32 of");
    if (has == 0) return std::nullopt;
    Handle a(check(H5Aopen(dataset, "crc32", H5P_DEFAULT), where, "open the crc32 of"), H5Aclose);
    std::uint32_t v = 0;
    check(H5Aread(a, H5T_NATIVE_UINT32, &v), where, "read the crc32 of");
    return v;
  }
  void check_crc32(std::optional<std::uint32_t> stored, std::uint32_t actual, const std::string& where) const {
    if (stored && *stored != actual) damaged(where);
  }

 private:
  std::string path_;
  hid_t id_ = -1;
};

// Makes `mem` (a copy of H5T_C_S1) the memory type of the variable-length strings of file_type.
// HDF5 converts between ASCII and UTF-8 in neither direction: they are read in the file's own set.
void variable_strings(const ReadFile& f, hid_t mem, hid_t file_type, const std::string& what) {
  f.check(H5Tset_size(mem, H5T_VARIABLE), what, "size the strings of");
  f.check(H5Tset_cset(mem, H5Tget_cset(file_type)), what, "set the character set of");
}

std::string read_string_attribute(const ReadFile& f, hid_t attr, const std::string& what) {
  Handle type(f.check(H5Aget_type(attr), what, "get the type of"), H5Tclose);
  const htri_t variable = H5Tis_variable_str(type);
  f.check(variable, what, "inspect");
  if (variable > 0) {
    Handle mem(f.check(H5Tcopy(H5T_C_S1), what, "copy the string type of"), H5Tclose);
    variable_strings(f, mem, type, what);
    char* s = nullptr;
    f.check(H5Aread(attr, mem, &s), what, "read");
    std::string out = s ? s : "";
    Handle space(f.check(H5Aget_space(attr), what, "get the dataspace of"), H5Sclose);
    f.check(H5Dvlen_reclaim(mem, space, H5P_DEFAULT, &s), what, "release the string of");
    return out;
  }
  const std::size_t n = H5Tget_size(type);
  if (n == 0) f.fail(what, "get the size of");
  std::vector<char> buf(n + 1, '\0');
  f.check(H5Aread(attr, type, buf.data()), what, "read");
  return std::string(buf.data(), strnlen(buf.data(), n));
}

std::vector<std::string> member_names(const ReadFile& f, hid_t group, const std::string& where) {
  H5G_info_t info;
  f.check(H5Gget_info(group, &info), "group " + where, "inspect");
  std::vector<std::string> names;
  // Creation order when the group tracks it, else by name.
  H5_index_t index = H5_INDEX_CRT_ORDER;
  {
    Handle gcpl(H5Gget_create_plist(group), H5Pclose);
    unsigned flags = 0;
    if (gcpl.get() < 0 || H5Pget_link_creation_order(gcpl, &flags) < 0 || !(flags & H5P_CRT_ORDER_TRACKED))
      index = H5_INDEX_NAME;
  }
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t n = H5Lget_name_by_idx(group, ".", index, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    f.check(n, "group " + where, "list the members of");
    std::string name(static_cast<std::size_t>(n), '\0');
    f.check(H5Lget_name_by_idx(group, ".", index, H5_ITER_INC, i, name.data(), name.size() + 1, H5P_DEFAULT),
            "group " + where, "list the members of");
    names.push_back(name);
  }
  return names;
}

H5O_type_t object_type(const ReadFile& f, hid_t group, const std::string& name, const std::string& where) {
  H5O_info_t oinfo;
#if H5_VERSION_GE(1, 12, 0)
  f.check(H5Oget_info_by_name3(group, name.c_str(), &oinfo, H5O_INFO_BASIC, H5P_DEFAULT), where, "inspect");
#else
  f.check(H5Oget_info_by_name2(group, name.c_str(), &oinfo, H5O_INFO_BASIC, H5P_DEFAULT), where, "inspect");
#endif
  return oinfo.type;
}

// Every dataset below `group` (named `where`), depth first.
void collect_datasets(const ReadFile& f, hid_t group, const std::string& where, std::vector<std::string>& out) {
  for (const auto& name : member_names(f, group, where)) {
    const std::string child = (where == "/" ? "/" : where + "/") + name;
    const H5O_type_t type = object_type(f, group, name, child);
    if (type == H5O_TYPE_DATASET) {
      out.push_back(child);
    } else if (type == H5O_TYPE_GROUP) {
      Handle g(f.check(H5Gopen2(group, name.c_str(), H5P_DEFAULT), "group " + child, "open"), H5Gclose);
      collect_datasets(f, g, child, out);
    }
  }
}

}  // namespace

std::map<std::string, AttributeValue> read_attributes(const std::string& path, const std::string& group) {
  const ReadFile f(path);
  Handle g(f.check(H5Oopen(f.id(), group.c_str(), H5P_DEFAULT), "group " + group, "open"), H5Oclose);
  std::map<std::string, AttributeValue> out;
  H5O_info_t oinfo;
#if H5_VERSION_GE(1, 12, 0)
  f.check(H5Oget_info3(g, &oinfo, H5O_INFO_NUM_ATTRS), "group " + group, "inspect");
#else
  f.check(H5Oget_info2(g, &oinfo, H5O_INFO_NUM_ATTRS), "group " + group, "inspect");
#endif
  for (hsize_t i = 0; i < oinfo.num_attrs; ++i) {
    const std::string where = "attribute " + std::to_string(i) + " of " + group;
    Handle a(f.check(H5Aopen_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, H5P_DEFAULT, H5P_DEFAULT), where, "open"),
             H5Aclose);
    const ssize_t n = H5Aget_name(a, 0, nullptr);
    f.check(n, where, "get the name of");
    std::string name(static_cast<std::size_t>(n), '\0');
    f.check(H5Aget_name(a, name.size() + 1, name.data()), where, "get the name of");
    const std::string what = "attribute " + name + " of " + group;
    Handle type(f.check(H5Aget_type(a), what, "get the type of"), H5Tclose);
    switch (H5Tget_class(type)) {
      case H5T_INTEGER: {
        std::int64_t v = 0;
        f.check(H5Aread(a, H5T_NATIVE_INT64, &v), what, "read");
        out[name] = v;
        break;
      }
      case H5T_FLOAT: {
        double v = 0;
        f.check(H5Aread(a, H5T_NATIVE_DOUBLE, &v), what, "read");
        out[name] = v;
        break;
      }
      case H5T_STRING: out[name] = read_string_attribute(f, a, what); break;
      case H5T_NO_CLASS: f.fail(what, "get the class of");
      default: break;
    }
  }
  return out;
}

Table read_table(const std::string& path, const std::string& group) {
  const ReadFile f(path);
  const htri_t exists = H5Lexists(f.id(), group.c_str(), H5P_DEFAULT);
  f.check(exists, "group " + group, "look up");
  if (exists == 0) throw IoError(path + ": has no group " + group);
  Handle g(f.check(H5Gopen2(f.id(), group.c_str(), H5P_DEFAULT), "group " + group, "open"), H5Gclose);
  Table table;
  for (const auto& name : member_names(f, g, group)) {
    const std::string where = "dataset " + group + "/" + name;
    if (object_type(f, g, name, where) != H5O_TYPE_DATASET) continue;
    Handle d(f.check(H5Dopen2(g, name.c_str(), H5P_DEFAULT), where, "open"), H5Dclose);
    Handle space(f.check(H5Dget_space(d), where, "get the dataspace of"), H5Sclose);
    const int ndims = H5Sget_simple_extent_ndims(space);
    f.check(ndims, where, "get the rank of");
    if (ndims != 1) continue;
    hsize_t n = 0;
    f.check(H5Sget_simple_extent_dims(space, &n, nullptr), where, "get the length of");
    Handle type(f.check(H5Dget_type(d), where, "get the type of"), H5Tclose);
    Column c;
    c.name = name;
    for (const char* attr : {"units", "description"}) {
      const htri_t has = H5Aexists(d, attr);
      f.check(has, where, std::string("look up the ") + attr + " of");
      if (has == 0) continue;
      const std::string what = std::string("attribute ") + attr + " of " + group + "/" + name;
      Handle a(f.check(H5Aopen(d, attr, H5P_DEFAULT), what, "open"), H5Aclose);
      (std::string(attr) == "units" ? c.units : c.description) = read_string_attribute(f, a, what);
    }
    const std::optional<std::uint32_t> crc = f.stored_crc32(d, where);
    switch (H5Tget_class(type)) {
      case H5T_FLOAT:
        c.type = ColumnType::f64;
        c.f64.resize(n);
        if (n) f.check(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, c.f64.data()), where, "read");
        f.check_crc32(crc, crc32_of(0, c.f64.data(), n * sizeof(double)), where);
        break;
      case H5T_INTEGER:
        c.type = ColumnType::i64;
        c.i64.resize(n);
        if (n) f.check(H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, c.i64.data()), where, "read");
        f.check_crc32(crc, crc32_of(0, c.i64.data(), n * sizeof(std::int64_t)), where);
        break;
      case H5T_STRING: {
        c.type = ColumnType::str;
        c.str.resize(n);
        const htri_t variable = H5Tis_variable_str(type);
        f.check(variable, where, "inspect the strings of");
        if (variable > 0) {
          Handle mem(f.check(H5Tcopy(H5T_C_S1), where, "copy the string type of"), H5Tclose);
          variable_strings(f, mem, type, where);
          std::vector<char*> ptrs(n, nullptr);
          if (n) f.check(H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), where, "read");
          for (hsize_t i = 0; i < n; ++i) c.str[i] = ptrs[i] ? ptrs[i] : "";
          if (n) f.check(H5Dvlen_reclaim(mem, space, H5P_DEFAULT, ptrs.data()), where, "release the strings of");
        } else {
          const std::size_t width = H5Tget_size(type);
          if (width == 0) f.fail(where, "get the string width of");
          std::vector<char> buf(n * width + 1, '\0');
          if (n) f.check(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), where, "read");
          f.check_crc32(crc, crc32_of(0, buf.data(), n * width), where);
          for (hsize_t i = 0; i < n; ++i) c.str[i] = std::string(&buf[i * width], strnlen(&buf[i * width], width));
        }
        break;
      }
      case H5T_NO_CLASS: f.fail(where, "get the type class of");
      default: continue;
    }
    table.columns.push_back(std::move(c));
  }
  return table;
}

std::vector<std::string> list_groups(const std::string& path) {
  const ReadFile f(path);
  Handle root(f.check(H5Gopen2(f.id(), "/", H5P_DEFAULT), "the root group", "open"), H5Gclose);
  std::vector<std::string> out;
  for (const auto& name : member_names(f, root, "/"))
    if (object_type(f, root, name, "/" + name) == H5O_TYPE_GROUP) out.push_back(name);
  return out;
}

bool has_group(const std::string& path, const std::string& group) {
  const ReadFile f(path);
  const htri_t exists = H5Lexists(f.id(), group.c_str(), H5P_DEFAULT);
  f.check(exists, "group " + group, "look up");
  return exists > 0;
}

void verify_datasets(const std::string& path) {
  const ReadFile f(path);
  std::vector<std::string> datasets;
  {
    Handle root(f.check(H5Gopen2(f.id(), "/", H5P_DEFAULT), "the root group", "open"), H5Gclose);
    collect_datasets(f, root, "/", datasets);
  }
  constexpr std::uint64_t kSlabBytes = std::uint64_t{16} << 20;  // read at most this much at once
  for (const auto& name : datasets) {
    const std::string where = "dataset " + name;
    Handle d(f.check(H5Dopen2(f.id(), name.c_str(), H5P_DEFAULT), where, "open"), H5Dclose);
    Handle type(f.check(H5Dget_type(d), where, "get the type of"), H5Tclose);
    Handle space(f.check(H5Dget_space(d), where, "get the dataspace of"), H5Sclose);
    const int ndims = H5Sget_simple_extent_ndims(space);
    f.check(ndims, where, "get the rank of");
    std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(ndims, 1)), 1);
    if (ndims > 0) f.check(H5Sget_simple_extent_dims(space, dims.data(), nullptr), where, "get the extent of");
    const std::size_t element = H5Tget_size(type);
    if (element == 0) f.fail(where, "get the element size of");
    const htri_t vlen = H5Tdetect_class(type, H5T_VLEN);
    const htri_t vstr = H5Tis_variable_str(type);
    f.check(vlen, where, "inspect the type of");
    f.check(vstr, where, "inspect the type of");
    // Slabs of whole rows along the first dimension.
    std::uint64_t row = element;
    for (std::size_t k = 1; k < dims.size(); ++k) row *= dims[k];
    const hsize_t rows_per_slab = static_cast<hsize_t>(std::max<std::uint64_t>(1, kSlabBytes / std::max<std::uint64_t>(row, 1)));
    const std::optional<std::uint32_t> stored = f.stored_crc32(d, where);
    std::uint32_t crc = 0;
    std::vector<char> buf;
    for (hsize_t first = 0; first < dims[0] || (ndims == 0 && first == 0); first += rows_per_slab) {
      std::vector<hsize_t> start(dims.size(), 0), count = dims;
      start[0] = first;
      count[0] = ndims == 0 ? 1 : std::min(rows_per_slab, dims[0] - first);
      buf.assign(static_cast<std::size_t>(count[0] * row), '\0');
      Handle mspace(f.check(ndims == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(ndims, count.data(), nullptr), where,
                            "make a memory dataspace for"),
                    H5Sclose);
      if (ndims > 0)
        f.check(H5Sselect_hyperslab(space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr), where,
                "select rows of");
      f.check(H5Dread(d, type, mspace, space, H5P_DEFAULT, buf.data()), where, "read");
      if (vlen > 0 || vstr > 0) f.check(H5Dvlen_reclaim(type, mspace, H5P_DEFAULT, buf.data()), where, "release");
      else crc = crc32_of(crc, buf.data(), buf.size());
      if (ndims == 0) break;
    }
    if (vlen <= 0 && vstr <= 0) f.check_crc32(stored, crc, where);
  }
}

std::string attribute_text(const AttributeValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.9g", std::get<double>(v));
  return buf;
}

}  // namespace wb::io
