#pragma once
// Stopping a run when asked to, on every rank alike: SIGTERM (a scheduler's time limit, mpirun or
// srun passing on a kill), SIGINT (Ctrl-C), SIGHUP, and SIGUSR1/SIGUSR2 (the signals Open MPI's
// mpirun forwards to its ranks, and what `sbatch --signal=USR1@T` sends ahead of a time limit).
//
// The handler only records the signal. The run asks requested() between pieces of work; the
// first rank to see a signal tells every other rank with a message, so a kill that reaches one
// rank (or one node) stops all of them at their next check. After its loop every rank calls
// agree(), which says whether any rank stopped. Should a rank not reach its next check within
// kGraceSeconds of the signal (one scenario running on), or should a second signal come, the
// process writes its last words (set_last_words) and exits by itself with the same status.
#include <mpi.h>

#include <exception>
#include <string>
#include <vector>

namespace wb::io {

class StopRequest {
 public:
  // Collective over comm: installs the handlers and duplicates comm for the notices.
  explicit StopRequest(MPI_Comm comm);
  ~StopRequest();
  StopRequest(const StopRequest&) = delete;
  StopRequest& operator=(const StopRequest&) = delete;

  // Rank-local and cheap (an MPI_Iprobe): whether this process got a stop signal or another
  // rank's notice. Seeing its own signal first, a rank sends the notice to the others.
  bool requested();

  // Collective, for loops whose every step takes all ranks (a simulation spread over them, a
  // fabric case): whether any rank got a signal. All ranks then leave at the same step.
  bool requested_everywhere();

  // Collective, once, after the loop: whether any rank stopped. Every notice is received
  // before it returns.
  bool agree();

  // The exit status of a stopped run: 128 + the signal, as a shell reports a death by it; a
  // SIGUSR1/SIGUSR2 sent in SIGTERM's place (mpirun forwards only those) counts as SIGTERM.
  int exit_status() const;

  // Text rank 0 writes to stderr if the process has to leave by itself (kGraceSeconds).
  static void set_last_words(const std::string& text);

  static constexpr unsigned kGraceSeconds = 5;

 private:
  void notify_others();

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, ranks_ = 1;
  bool stopped_ = false;     // by a signal here or a notice
  bool notified_ = false;    // this rank sent its notices
  int received_ = 0;         // notices received
  int notice_ = 0;           // send buffer
  std::vector<MPI_Request> sends_;
  bool agreed_ = false;
};

// Thrown on every rank of a run that stopped on request, after its finished work is saved and
// rank 0 has said how to go on; the driver exits with status().
class Interrupted : public std::exception {
 public:
  explicit Interrupted(int status) : status_(status) {}
  const char* what() const noexcept override { return "interrupted"; }
  int status() const { return status_; }

 private:
  int status_;
};

}  // namespace wb::io
