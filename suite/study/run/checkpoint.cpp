#include "study/run/checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "io/error.hpp"
#include "io/file_source.hpp"
#include "study/schema/result_file.hpp"

namespace wb::study::run {

namespace fs = std::filesystem;

namespace {

// Little helpers over a byte string: fixed-width integers and doubles in host byte order (a
// checkpoint is read back on the same kind of machine), strings length-prefixed.
void put_u64(std::string& s, std::uint64_t v) { s.append(reinterpret_cast<const char*>(&v), sizeof v); }
void put_f64(std::string& s, double v) { s.append(reinterpret_cast<const char*>(&v), sizeof v); }
void put_str(std::string& s, const std::string& v) {
  put_u64(s, v.size());
  s += v;
}

class Reader {
 public:
  explicit Reader(const std::string& s) : s_(s) {}
  std::uint64_t u64() {
    std::uint64_t v;
    take(&v, sizeof v);
    return v;
  }
  double f64() {
    double v;
    take(&v, sizeof v);
    return v;
  }
  std::string str() {
    const std::uint64_t n = u64();
    if (n > s_.size() - pos_) throw std::runtime_error("checkpoint record is corrupt");
    std::string v = s_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  bool done() const { return pos_ == s_.size(); }

 private:
  void take(void* out, std::size_t n) {
    if (n > s_.size() - pos_) throw std::runtime_error("checkpoint record is corrupt");
    std::memcpy(out, s_.data() + pos_, n);
    pos_ += n;
  }
  const std::string& s_;
  std::size_t pos_ = 0;
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

constexpr std::uint64_t kMagic = 0x3274706b63627777ull;  // "wwbckpt2"

}  // namespace

std::string encode_result(const ScenarioResult& r, const std::vector<std::string>& groups) {
  std::string s;
  put_u64(s, r.row.f64.size());
  for (double v : r.row.f64) put_f64(s, v);
  put_u64(s, r.row.i64.size());
  for (std::int64_t v : r.row.i64) put_u64(s, static_cast<std::uint64_t>(v));
  put_u64(s, r.row.str.size());
  for (const auto& v : r.row.str) put_str(s, v);
  for (const auto& g : groups) {
    auto it = r.tables.find(g);
    if (it == r.tables.end()) {
      put_u64(s, 0);
      continue;
    }
    const io::Table& t = it->second;
    put_u64(s, t.rows());
    for (const auto& c : t.columns) {
      for (std::size_t i = 0; i < c.size(); ++i) {
        switch (c.type) {
          case io::ColumnType::f64: put_f64(s, c.f64[i]); break;
          case io::ColumnType::i64: put_u64(s, static_cast<std::uint64_t>(c.i64[i])); break;
          case io::ColumnType::str: put_str(s, c.str[i]); break;
        }
      }
    }
  }
  put_u64(s, r.notes.size());
  for (const auto& n : r.notes) put_str(s, n);
  return s;
}

ScenarioResult decode_result(const std::string& bytes, const std::vector<std::string>& groups) {
  Reader in(bytes);
  ScenarioResult r;
  if (in.u64() != r.row.f64.size()) throw std::runtime_error("checkpoint from another column schema");
  for (double& v : r.row.f64) v = in.f64();
  if (in.u64() != r.row.i64.size()) throw std::runtime_error("checkpoint from another column schema");
  for (std::int64_t& v : r.row.i64) v = static_cast<std::int64_t>(in.u64());
  if (in.u64() != r.row.str.size()) throw std::runtime_error("checkpoint from another column schema");
  for (std::string& v : r.row.str) v = in.str();
  for (const auto& g : groups) {
    const std::uint64_t rows = in.u64();
    if (rows == 0) continue;
    const schema::TableSpec* spec = schema::per_scenario_table(g);
    if (!spec) throw std::logic_error("no per-scenario table " + g);
    io::Table t = spec->empty();
    for (auto& c : t.columns) {
      for (std::uint64_t i = 0; i < rows; ++i) {
        switch (c.type) {
          case io::ColumnType::f64: c.f64.push_back(in.f64()); break;
          case io::ColumnType::i64: c.i64.push_back(static_cast<std::int64_t>(in.u64())); break;
          case io::ColumnType::str: c.str.push_back(in.str()); break;
        }
      }
    }
    r.tables.emplace(g, std::move(t));
  }
  for (std::uint64_t n = in.u64(); n > 0; --n) r.notes.push_back(in.str());
  if (!in.done()) throw std::runtime_error("checkpoint record is longer than its schema");
  return r;
}

CheckpointWriter::CheckpointWriter(const std::string& dir, int attempt, int rank, double interval_s)
    : rank_(rank), interval_s_(interval_s) {
  path_ = (fs::path(dir) / ("part-" + std::to_string(attempt) + "-" + std::to_string(rank) + ".bin")).string();
  last_write_ = now_s();
  open_file();
}

CheckpointWriter::~CheckpointWriter() {
  flush();
  if (!pending_.empty())
    std::fprintf(stderr, "waferbench: warning: rank %d: %s: %zu bytes of finished scenarios could not be checkpointed; "
                         "--resume computes them again\n", rank_, path_.c_str(), pending_.size());
  if (fd_ >= 0) ::close(fd_);
}

bool CheckpointWriter::open_file() {
  if (fd_ < 0) fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) warn(std::string("cannot create the checkpoint file: ") + std::strerror(errno));
  return fd_ >= 0;
}

void CheckpointWriter::warn(const std::string& why) {
  if (warned_) return;
  warned_ = true;
  std::fprintf(stderr, "waferbench: warning: rank %d: %s: %s; its finished scenarios stay in memory and the write is "
                       "retried\n", rank_, path_.c_str(), why.c_str());
  std::fflush(stderr);
}

void CheckpointWriter::add(std::int64_t scenario_index, const std::string& encoded) {
  put_u64(pending_, kMagic);
  put_u64(pending_, static_cast<std::uint64_t>(scenario_index));
  put_str(pending_, encoded);
  if (now_s() - last_write_ >= interval_s_) flush();
}

void CheckpointWriter::flush() {
  last_write_ = now_s();
  if (pending_.empty() || !open_file()) return;
  // A write that fails halfway (a full disk) is cut back to the last whole record, so that the
  // records appended when it is retried can still be read.
  const off_t start = ::lseek(fd_, 0, SEEK_END);
  std::size_t done = 0;
  while (done < pending_.size()) {
    const ssize_t w = ::write(fd_, pending_.data() + done, pending_.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      const std::string why = std::string("cannot write the checkpoint: ") + std::strerror(w < 0 ? errno : EIO);
      if (start >= 0 && ::ftruncate(fd_, start) != 0) {
        // The partial record stays; reading stops before it, so later records would be lost.
        ::close(fd_);
        fd_ = -1;
        path_ += ".next";
      }
      warn(why);
      return;
    }
    done += static_cast<std::size_t>(w);
  }
  pending_.clear();
}

std::map<std::int64_t, std::string> read_checkpoints(const std::string& dir) {
  std::map<std::int64_t, std::string> out;
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().rfind("part-", 0) == 0) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string data = ss.str();
    std::size_t pos = 0;
    // Whole records only: a kill may have cut the last one short.
    while (data.size() - pos >= 3 * sizeof(std::uint64_t)) {
      std::uint64_t magic, index, len;
      std::memcpy(&magic, data.data() + pos, 8);
      std::memcpy(&index, data.data() + pos + 8, 8);
      std::memcpy(&len, data.data() + pos + 16, 8);
      if (magic != kMagic || len > data.size() - pos - 24) break;
      out[static_cast<std::int64_t>(index)] = data.substr(pos + 24, len);
      pos += 24 + len;
    }
  }
  return out;
}

int next_attempt(const std::string& dir) {
  int next = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("part-", 0) != 0) continue;
    const int a = std::atoi(name.c_str() + 5);
    next = std::max(next, a + 1);
  }
  return next;
}

// Prepares `<output>.partial/` on rank 0 and tells every rank the attempt number, or fails on
// every rank alike. Returns the checkpoint records to reuse (all ranks get them).
std::map<std::int64_t, std::string> open_checkpoints(MPI_Comm comm, const std::string& dir, const std::string& key,
                                                     bool resume, bool overwrite, int& attempt) {
  namespace fs = std::filesystem;
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string error, records;
  int verdict = 0;  // 0 ok, 1 error
  if (rank == 0) {
    std::error_code ec;
    const bool exists = fs::exists(dir, ec);
    if (exists && !resume && !overwrite) {
      error = dir + ": an interrupted run of this output left its checkpoints here; pass --resume to finish it, "
                    "or --force to start over";
    } else if (exists && resume) {
      std::ifstream in(fs::path(dir) / "study.key", std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      if (ss.str() != key)
        error = dir + ": the checkpoints belong to another study, slice or waferbench build; pass --force "
                      "(without --resume) to start over";
    } else if (exists) {
      fs::remove_all(dir, ec);
    }
    if (error.empty() && !(exists && resume)) {
      // A new directory and its key, the key written whole or not at all.
      fs::create_directories(dir, ec);
      const fs::path key_file = fs::path(dir) / "study.key", temp = fs::path(dir) / "study.key.tmp";
      std::ofstream out(temp, std::ios::binary | std::ios::trunc);
      out << key;
      out.close();
      if (ec || !fs::is_directory(dir)) error = dir + ": cannot create the checkpoint directory: " + ec.message();
      else if (!out) error = temp.string() + ": cannot write the checkpoint key: " + std::strerror(errno);
      else fs::rename(temp, key_file, ec);
      if (error.empty() && ec) error = key_file.string() + ": cannot write the checkpoint key: " + ec.message();
      if (!error.empty()) fs::remove_all(dir, ec);
    }
    if (error.empty()) {
      attempt = next_attempt(dir);
      for (const auto& [idx, bytes] : read_checkpoints(dir)) {
        const std::uint64_t i = static_cast<std::uint64_t>(idx), n = bytes.size();
        records.append(reinterpret_cast<const char*>(&i), 8).append(reinterpret_cast<const char*>(&n), 8) += bytes;
      }
    }
    verdict = error.empty() ? 0 : 1;
  }
  MPI_Bcast(&verdict, 1, MPI_INT, 0, comm);
  if (verdict) {
    io::broadcast_string(comm, error);
    throw io::IoError(error);
  }
  MPI_Bcast(&attempt, 1, MPI_INT, 0, comm);
  io::broadcast_string(comm, records);
  std::map<std::int64_t, std::string> out;
  for (std::size_t pos = 0; pos + 16 <= records.size();) {
    std::uint64_t i, n;
    std::memcpy(&i, records.data() + pos, 8);
    std::memcpy(&n, records.data() + pos + 8, 8);
    out[static_cast<std::int64_t>(i)] = records.substr(pos + 16, n);
    pos += 16 + n;
  }
  return out;
}

}  // namespace wb::study::run
