#pragma once
// One run per output file. A run (or a merge) writing `<output>` holds an exclusive lock on the
// file `<output>.lock` beside it from before its first piece of work until it leaves, by any path;
// a second run on the same output is refused at once, names the holder and touches nothing (not
// the first run's temporary file, not its checkpoints).
//
// The lock is flock(2) on the lock file, which the kernel (and NFS's lock manager) releases when
// the holder dies however it dies, so the lock of a killed run is stale by construction and the
// next run takes it over. The file names its holder (pid, host, boot, start time, command line)
// for the refusal message. Where a file system has no locks, the holder's pid and host decide: a
// holder on this host that is no longer alive (or from before a reboot) is stale; one on another
// host cannot be checked, and the message says how to clear it.
#include <mpi.h>

#include <string>

namespace wb::io {

class OutputLock {
 public:
  // Collective over comm; rank 0 takes the lock. Throws IoError on every rank when another run
  // holds it, when `output` is a directory, or when its directory is missing or not writable.
  // A temporary file `<output>.tmp` left by a run that was killed is removed.
  OutputLock(MPI_Comm comm, std::string output);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

  // What rank 0 found and cleared when it took the lock (a stale lock's holder, a killed run's
  // temporary file), one line each, for the log; empty on other ranks and usually.
  const std::string& notes() const { return notes_; }

  static std::string lock_path(const std::string& output) { return output + ".lock"; }

 private:
  std::string output_;
  std::string lock_;
  int fd_ = -1;  // rank 0 while held
  std::string notes_;
};

}  // namespace wb::io
