#pragma once
// Checkpoints of a running study, so that a run killed by a time limit (SIGTERM) or outright
// (SIGKILL) can be finished with `waferbench run --resume` instead of started over.
//
// Completed scenarios are appended, as length-prefixed binary records written with write(2), to
// one file per rank and attempt in the directory `<result>.partial/` beside the result file. A
// record holds the scenario's /scenarios row and its extra-table rows exactly (doubles bit for
// bit), so a resumed run writes the same file an uninterrupted run would, at any rank count. A
// record cut short by a kill is ignored on reading. The directory also holds `study.key`: what
// the records belong to (study text, program version, slice); a resume refuses other keys
// (runner.cpp opens the directory and checks it).
#include <mpi.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "study/run/evaluator.hpp"

namespace wb::study::run {

// Serialised ScenarioResult (row, per-scenario tables, notes) and its inverse; `groups` fixes
// the order of the per-scenario tables, their declarations (schema/result_file.hpp) their columns.
std::string encode_result(const ScenarioResult& r, const std::vector<std::string>& groups);
ScenarioResult decode_result(const std::string& bytes, const std::vector<std::string>& groups);

class CheckpointWriter {
 public:
  // Appends to `<dir>/part-<attempt>-<rank>.bin` (created). Records are kept in memory and
  // written at most every interval_s seconds (and by flush() and at the end), each as a whole
  // with write(2). A write that fails (a full disk) does not stop the run: the rank says so once
  // on stderr, the file is cut back to its last whole record, and the records stay in memory
  // for the next attempt.
  CheckpointWriter(const std::string& dir, int attempt, int rank, double interval_s);
  ~CheckpointWriter();
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  void add(std::int64_t scenario_index, const std::string& encoded);
  void flush();

 private:
  bool open_file();
  void warn(const std::string& why);

  int fd_ = -1;
  int rank_ = 0;
  std::string path_;
  std::string pending_;
  double interval_s_ = 1.0;
  double last_write_ = 0.0;
  bool warned_ = false;
};

// Every complete record of every part file in dir: scenario index -> encoded result. A later
// record of the same scenario replaces an earlier one (both hold the same values).
std::map<std::int64_t, std::string> read_checkpoints(const std::string& dir);

// Prepares the checkpoint directory `dir` on rank 0 (refused when it exists without resume or
// overwrite, or when resuming records of another `key`) and tells every rank the attempt number,
// or fails (io::IoError) on every rank alike. Returns the records to reuse (all ranks get them).
std::map<std::int64_t, std::string> open_checkpoints(MPI_Comm comm, const std::string& dir, const std::string& key,
                                                     bool resume, bool overwrite, int& attempt);

// Number of attempts already in dir (part files are named by attempt): the next one's number.
int next_attempt(const std::string& dir);

}  // namespace wb::study::run
