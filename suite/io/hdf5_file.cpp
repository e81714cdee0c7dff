#include "io/hdf5_file.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>

#include "io/error.hpp"
#include "io/file_source.hpp"

namespace wb::io {

namespace fs = std::filesystem;

namespace {

// Silences HDF5's own error-stack printing once: we report failures ourselves.
void quiet_hdf5() {
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

hid_t check_id(hid_t id, const std::string& what) {
  if (id < 0) throw IoError("HDF5: cannot " + what);
  return id;
}

void check(herr_t status, const std::string& what) {
  if (status < 0) throw IoError("HDF5: cannot " + what);
}

// Owns one hid_t and closes it with the matching H5*close.
class Handle {
 public:
  Handle(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) {}
  ~Handle() {
    if (id_ >= 0) closer_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  Handle& operator=(Handle&&) = delete;
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }

 private:
  hid_t id_;
  herr_t (*closer_)(hid_t);
};

Handle make_string_type(std::size_t length) {
  Handle t(check_id(H5Tcopy(H5T_C_S1), "copy string type"), H5Tclose);
  check(H5Tset_size(t, std::max<std::size_t>(length, 1)), "set string size");
  check(H5Tset_strpad(t, H5T_STR_NULLPAD), "set string padding");
  check(H5Tset_cset(t, H5T_CSET_UTF8), "set string character set");
  return t;
}

void write_string_attribute(hid_t obj, const std::string& name, const std::string& value) {
  Handle type = make_string_type(value.size());
  Handle space(check_id(H5Screate(H5S_SCALAR), "create scalar dataspace"), H5Sclose);
  if (H5Aexists(obj, name.c_str()) > 0) check(H5Adelete(obj, name.c_str()), "replace attribute " + name);
  Handle attr(check_id(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT),
                       "create attribute " + name),
              H5Aclose);
  std::vector<char> buf(std::max<std::size_t>(value.size(), 1), '\0');
  std::memcpy(buf.data(), value.data(), value.size());
  check(H5Awrite(attr, type, buf.data()), "write attribute " + name);
}

template <class T>
void write_scalar_attribute(hid_t obj, const std::string& name, hid_t type, const T& value) {
  Handle space(check_id(H5Screate(H5S_SCALAR), "create scalar dataspace"), H5Sclose);
  if (H5Aexists(obj, name.c_str()) > 0) check(H5Adelete(obj, name.c_str()), "replace attribute " + name);
  Handle attr(check_id(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT),
                       "create attribute " + name),
              H5Aclose);
  check(H5Awrite(attr, type, &value), "write attribute " + name);
}

// Opens group `path` below file, creating each missing level (collective when parallel).
hid_t open_or_create_group(hid_t file, const std::string& path) {
  if (path.empty() || path == "/") return check_id(H5Gopen2(file, "/", H5P_DEFAULT), "open root group");
  std::string current;
  hid_t gid = -1;
  std::size_t start = path[0] == '/' ? 1 : 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    current += "/" + path.substr(start, end - start);
    if (gid >= 0) H5Gclose(gid);
    const htri_t exists = H5Lexists(file, current.c_str(), H5P_DEFAULT);
    if (exists > 0) {
      gid = check_id(H5Gopen2(file, current.c_str(), H5P_DEFAULT), "open group " + current);
    } else {
      Handle gcpl(check_id(H5Pcreate(H5P_GROUP_CREATE), "create group property list"), H5Pclose);
      check(H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
            "track creation order");
      gid = check_id(H5Gcreate2(file, current.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT),
                     "create group " + current);
    }
    start = end + 1;
  }
  return gid;
}

}  // namespace

ResultFileWriter::ResultFileWriter(MPI_Comm comm, std::string path, bool overwrite)
    : comm_(comm), path_(std::move(path)) {
  quiet_hdf5();
  MPI_Comm_rank(comm_, &rank_);
  temp_ = path_ + ".tmp";
  // Rank 0 checks the target and tells everyone, so all ranks fail (or go on) together.
  int verdict = 0;  // 0 ok, 1 exists, 2 no directory
  if (rank_ == 0) {
    std::error_code ec;
    const fs::path p(path_);
    const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
    if (fs::exists(p, ec) && !overwrite) verdict = 1;
    else if (!fs::is_directory(dir, ec)) verdict = 2;
  }
  MPI_Bcast(&verdict, 1, MPI_INT, 0, comm_);
  if (verdict == 1)
    throw IoError(path_ + ": result file exists; choose another -o path or pass --force to replace it");
  if (verdict == 2) throw IoError(path_ + ": the directory does not exist");

  Handle fapl(check_id(H5Pcreate(H5P_FILE_ACCESS), "create file access list"), H5Pclose);
  check(H5Pset_fapl_mpio(fapl, comm_, MPI_INFO_NULL), "select the MPI-IO driver");
  // The 1.8 format stores large attributes (the verbatim study YAML) densely.
  check(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST), "set format bounds");
  const hid_t f = H5Fcreate(temp_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  if (f < 0) throw IoError(temp_ + ": cannot create the result file (is the directory writable?)");
  file_ = f;
}

ResultFileWriter::~ResultFileWriter() {
  if (committed_) return;
  close_file();
  if (rank_ == 0) {
    std::error_code ec;
    fs::remove(temp_, ec);
  }
}

void ResultFileWriter::close_file() {
  if (file_ >= 0) {
    H5Fclose(static_cast<hid_t>(file_));
    file_ = -1;
  }
}

void ResultFileWriter::attribute(const std::string& name, const AttributeValue& value, const std::string& group) {
  Handle g(open_or_create_group(static_cast<hid_t>(file_), group), H5Gclose);
  if (const auto* s = std::get_if<std::string>(&value)) {
    write_string_attribute(g, name, *s);
  } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
    write_scalar_attribute(g, name, H5T_NATIVE_INT64, *i);
  } else {
    write_scalar_attribute(g, name, H5T_NATIVE_DOUBLE, std::get<double>(value));
  }
}

void ResultFileWriter::write_table(const std::string& group, const Table& local) {
  const hid_t file = static_cast<hid_t>(file_);
  Handle g(open_or_create_group(file, group), H5Gclose);
  const std::uint64_t local_rows = local.rows();
  for (const auto& c : local.columns)
    if (c.size() != local_rows)
      throw IoError(path_ + ": column " + group + "/" + c.name + " has " + std::to_string(c.size()) +
                    " rows, expected " + std::to_string(local_rows));
  std::uint64_t offset = 0, total = 0;
  MPI_Exscan(&local_rows, &offset, 1, MPI_UINT64_T, MPI_SUM, comm_);
  if (rank_ == 0) offset = 0;
  MPI_Allreduce(&local_rows, &total, 1, MPI_UINT64_T, MPI_SUM, comm_);

  Handle dxpl(check_id(H5Pcreate(H5P_DATASET_XFER), "create transfer list"), H5Pclose);
  check(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE), "select collective transfers");

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
    Handle str_type = make_string_type(width);
    const hid_t type = c.type == ColumnType::f64   ? H5T_NATIVE_DOUBLE
                       : c.type == ColumnType::i64 ? H5T_NATIVE_INT64
                                                   : str_type.get();
    const hid_t file_type = c.type == ColumnType::f64   ? H5T_IEEE_F64LE
                            : c.type == ColumnType::i64 ? H5T_STD_I64LE
                                                        : str_type.get();
    const hsize_t dims[1] = {static_cast<hsize_t>(total)};
    Handle fspace(check_id(H5Screate_simple(1, dims, nullptr), "create dataspace for " + where), H5Sclose);
    Handle dset(check_id(H5Dcreate2(g, c.name.c_str(), file_type, fspace, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                         "create dataset " + where),
                H5Dclose);
    write_string_attribute(dset, "units", c.units);
    if (!c.description.empty()) write_string_attribute(dset, "description", c.description);
    if (total == 0) continue;

    const hsize_t start[1] = {static_cast<hsize_t>(offset)};
    const hsize_t count[1] = {static_cast<hsize_t>(local_rows)};
    Handle mspace(check_id(H5Screate_simple(1, count[0] > 0 ? count : dims, nullptr), "create memory space"),
                  H5Sclose);
    if (local_rows > 0) {
      check(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, count, nullptr), "select rows of " + where);
    } else {
      check(H5Sselect_none(fspace), "select no rows of " + where);
      check(H5Sselect_none(mspace), "select no memory rows");
    }
    const void* data = c.type == ColumnType::f64   ? static_cast<const void*>(c.f64.data())
                       : c.type == ColumnType::i64 ? static_cast<const void*>(c.i64.data())
                                                   : static_cast<const void*>(packed.data());
    check(H5Dwrite(dset, type, mspace, fspace, dxpl, data), "write dataset " + where);
  }
}

void ResultFileWriter::commit() {
  close_file();
  MPI_Barrier(comm_);
  int ok = 1;
  std::string why;
  if (rank_ == 0) {
    std::error_code ec;
    fs::rename(temp_, path_, ec);
    if (ec) {
      ok = 0;
      why = ec.message();
    }
  }
  MPI_Bcast(&ok, 1, MPI_INT, 0, comm_);
  if (!ok) broadcast_string(comm_, why);
  if (!ok) throw IoError(path_ + ": cannot move the finished result into place" + (why.empty() ? "" : ": " + why));
  committed_ = true;
}

// ---------------------------------------------------------------------------------------------
// Reading

namespace {

Handle open_for_reading(const std::string& path) {
  quiet_hdf5();
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) throw IoError(path + ": cannot open as an HDF5 result file");
  return Handle(f, H5Fclose);
}

std::string read_string_attribute(hid_t attr, const std::string& what) {
  Handle type(check_id(H5Aget_type(attr), "get type of " + what), H5Tclose);
  if (H5Tis_variable_str(type) > 0) {
    Handle mem(check_id(H5Tcopy(H5T_C_S1), "copy string type"), H5Tclose);
    check(H5Tset_size(mem, H5T_VARIABLE), "set variable size");
    char* s = nullptr;
    check(H5Aread(attr, mem, &s), "read " + what);
    std::string out = s ? s : "";
    Handle space(check_id(H5Aget_space(attr), "get space"), H5Sclose);
    H5Dvlen_reclaim(mem, space, H5P_DEFAULT, &s);
    return out;
  }
  const std::size_t n = H5Tget_size(type);
  std::vector<char> buf(n + 1, '\0');
  check(H5Aread(attr, type, buf.data()), "read " + what);
  return std::string(buf.data(), strnlen(buf.data(), n));
}

std::vector<std::string> member_names(hid_t group, const std::string& where) {
  H5G_info_t info;
  check(H5Gget_info(group, &info), "inspect " + where);
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
    check(static_cast<herr_t>(n < 0 ? -1 : 0), "list members of " + where);
    std::string name(static_cast<std::size_t>(n), '\0');
    H5Lget_name_by_idx(group, ".", index, H5_ITER_INC, i, name.data(), name.size() + 1, H5P_DEFAULT);
    names.push_back(name);
  }
  return names;
}

}  // namespace

std::map<std::string, AttributeValue> read_attributes(const std::string& path, const std::string& group) {
  Handle f = open_for_reading(path);
  Handle g(check_id(H5Oopen(f, group.c_str(), H5P_DEFAULT), "open " + group + " in " + path), H5Oclose);
  std::map<std::string, AttributeValue> out;
  H5O_info_t oinfo;
#if H5_VERSION_GE(1, 12, 0)
  check(H5Oget_info3(g, &oinfo, H5O_INFO_NUM_ATTRS), "inspect " + group);
#else
  check(H5Oget_info2(g, &oinfo, H5O_INFO_NUM_ATTRS), "inspect " + group);
#endif
  for (hsize_t i = 0; i < oinfo.num_attrs; ++i) {
    Handle a(check_id(H5Aopen_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, H5P_DEFAULT, H5P_DEFAULT),
                      "open attribute"),
             H5Aclose);
    const ssize_t n = H5Aget_name(a, 0, nullptr);
    std::string name(static_cast<std::size_t>(std::max<ssize_t>(n, 0)), '\0');
    H5Aget_name(a, name.size() + 1, name.data());
    Handle type(check_id(H5Aget_type(a), "get attribute type"), H5Tclose);
    switch (H5Tget_class(type)) {
      case H5T_INTEGER: {
        std::int64_t v = 0;
        check(H5Aread(a, H5T_NATIVE_INT64, &v), "read attribute " + name);
        out[name] = v;
        break;
      }
      case H5T_FLOAT: {
        double v = 0;
        check(H5Aread(a, H5T_NATIVE_DOUBLE, &v), "read attribute " + name);
        out[name] = v;
        break;
      }
      case H5T_STRING: out[name] = read_string_attribute(a, "attribute " + name); break;
      default: break;
    }
  }
  return out;
}

Table read_table(const std::string& path, const std::string& group) {
  Handle f = open_for_reading(path);
  if (H5Lexists(f, group.c_str(), H5P_DEFAULT) <= 0) throw IoError(path + ": has no group " + group);
  Handle g(check_id(H5Gopen2(f, group.c_str(), H5P_DEFAULT), "open " + group + " in " + path), H5Gclose);
  Table table;
  for (const auto& name : member_names(g, group)) {
    const std::string where = path + ":" + group + "/" + name;
    H5O_info_t oinfo;
#if H5_VERSION_GE(1, 12, 0)
    check(H5Oget_info_by_name3(g, name.c_str(), &oinfo, H5O_INFO_BASIC, H5P_DEFAULT), "inspect " + where);
#else
    check(H5Oget_info_by_name2(g, name.c_str(), &oinfo, H5O_INFO_BASIC, H5P_DEFAULT), "inspect " + where);
#endif
    if (oinfo.type != H5O_TYPE_DATASET) continue;
    Handle d(check_id(H5Dopen2(g, name.c_str(), H5P_DEFAULT), "open " + where), H5Dclose);
    Handle space(check_id(H5Dget_space(d), "get space of " + where), H5Sclose);
    if (H5Sget_simple_extent_ndims(space) != 1) continue;
    hsize_t n = 0;
    H5Sget_simple_extent_dims(space, &n, nullptr);
    Handle type(check_id(H5Dget_type(d), "get type of " + where), H5Tclose);
    Column c;
    c.name = name;
    if (H5Aexists(d, "units") > 0) {
      Handle a(check_id(H5Aopen(d, "units", H5P_DEFAULT), "open units of " + where), H5Aclose);
      c.units = read_string_attribute(a, "units of " + where);
    }
    if (H5Aexists(d, "description") > 0) {
      Handle a(check_id(H5Aopen(d, "description", H5P_DEFAULT), "open description of " + where), H5Aclose);
      c.description = read_string_attribute(a, "description of " + where);
    }
    switch (H5Tget_class(type)) {
      case H5T_FLOAT:
        c.type = ColumnType::f64;
        c.f64.resize(n);
        if (n) check(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, c.f64.data()), "read " + where);
        break;
      case H5T_INTEGER:
        c.type = ColumnType::i64;
        c.i64.resize(n);
        if (n) check(H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, c.i64.data()), "read " + where);
        break;
      case H5T_STRING: {
        c.type = ColumnType::str;
        c.str.resize(n);
        if (H5Tis_variable_str(type) > 0) {
          Handle mem(check_id(H5Tcopy(H5T_C_S1), "copy string type"), H5Tclose);
          check(H5Tset_size(mem, H5T_VARIABLE), "set variable size");
          std::vector<char*> ptrs(n, nullptr);
          if (n) check(H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), "read " + where);
          for (hsize_t i = 0; i < n; ++i) c.str[i] = ptrs[i] ? ptrs[i] : "";
          if (n) H5Dvlen_reclaim(mem, space, H5P_DEFAULT, ptrs.data());
        } else {
          const std::size_t width = H5Tget_size(type);
          std::vector<char> buf(n * width + 1, '\0');
          if (n) check(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), "read " + where);
          for (hsize_t i = 0; i < n; ++i) c.str[i] = std::string(&buf[i * width], strnlen(&buf[i * width], width));
        }
        break;
      }
      default: continue;
    }
    table.columns.push_back(std::move(c));
  }
  return table;
}

std::vector<std::string> list_groups(const std::string& path) {
  Handle f = open_for_reading(path);
  Handle root(check_id(H5Gopen2(f, "/", H5P_DEFAULT), "open root of " + path), H5Gclose);
  std::vector<std::string> out;
  for (const auto& name : member_names(root, "/")) {
    H5O_info_t oinfo;
#if H5_VERSION_GE(1, 12, 0)
    check(H5Oget_info_by_name3(root, name.c_str(), &oinfo, H5O_INFO_BASIC, H5P_DEFAULT), "inspect " + name);
#else
    check(H5Oget_info_by_name2(root, name.c_str(), &oinfo, H5O_INFO_BASIC, H5P_DEFAULT), "inspect " + name);
#endif
    if (oinfo.type == H5O_TYPE_GROUP) out.push_back(name);
  }
  return out;
}

bool has_group(const std::string& path, const std::string& group) {
  Handle f = open_for_reading(path);
  return H5Lexists(f, group.c_str(), H5P_DEFAULT) > 0;
}

std::string attribute_text(const AttributeValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.9g", std::get<double>(v));
  return buf;
}

}  // namespace wb::io
