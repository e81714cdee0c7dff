#include "io/first_error.hpp"

#include <chrono>
#include <cstdint>
#include <thread>

namespace wb::io {

std::string first_error(MPI_Comm comm, const std::string& mine, double patience_s,
                        const std::function<void()>& on_stuck) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const int candidate = mine.empty() ? ranks : rank;
  int first = ranks;
  MPI_Request request;
  MPI_Iallreduce(&candidate, &first, 1, MPI_INT, MPI_MIN, comm, &request);
  if (mine.empty() || patience_s <= 0 || !on_stuck) {
    MPI_Wait(&request, MPI_STATUS_IGNORE);
  } else {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(patience_s);
    for (int done = 0;;) {
      MPI_Test(&request, &done, MPI_STATUS_IGNORE);
      if (done) break;
      if (std::chrono::steady_clock::now() > deadline) on_stuck();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  if (first == ranks) return "";
  std::string why = rank == first ? mine : std::string();
  std::uint64_t n = why.size();
  MPI_Bcast(&n, 1, MPI_UINT64_T, first, comm);
  why.resize(n);
  if (n > 0) MPI_Bcast(why.data(), static_cast<int>(n), MPI_CHAR, first, comm);
  return why;
}

}  // namespace wb::io
