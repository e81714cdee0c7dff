#pragma once
// MPI measurements over message sizes: ping-pong between two ranks (half the round-trip time)
// and all-reduce over a communicator (the slowest rank's time), each summarised by the median
// of repeated blocks and fitted with the alpha-beta model. OSU/IMB practice: warm-up first,
// several messages per timed block for small sizes, the clock read by one rank.
#include <mpi.h>

#include <cstdint>
#include <vector>

#include "measure/fit.hpp"

namespace wb::measure {

struct CommEffort {
  std::int64_t min_bytes = 8;
  std::int64_t max_bytes = 4 << 20;
  double size_factor = 4;    // successive sizes grow by this factor
  int blocks = 7;            // timed blocks per size; the median is kept
  std::int64_t block_bytes = 1 << 20;  // a block sends about this much (at least one message)
  int max_messages_per_block = 100;
};

struct SizeTime {
  double bytes = 0;
  double median_s = 0;
  double min_s = 0;
  double max_s = 0;
};

struct CommSweep {
  std::vector<SizeTime> points;
  AlphaBetaFit fit;  // over the medians
  int ranks = 0;     // ranks taking part (2 for a ping-pong)
};

// Message sizes min, min*f, ... up to max (included), rounded to whole multiples of 8 bytes.
std::vector<std::int64_t> message_sizes(const CommEffort& effort);

// Ping-pong between ranks a and b of comm. Collective over comm (other ranks only wait); the
// result is valid on every rank of comm.
CommSweep ping_pong(MPI_Comm comm, int a, int b, const CommEffort& effort);

// MPI_Allreduce (sum of floats) over all ranks of comm, after checking once that it sums right
// (std::runtime_error otherwise). Collective over comm; the result is valid on every rank.
CommSweep allreduce_sweep(MPI_Comm comm, const CommEffort& effort);

}  // namespace wb::measure
