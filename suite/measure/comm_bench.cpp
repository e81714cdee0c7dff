#include "measure/comm_bench.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace wb::measure {

namespace {

int messages_per_block(std::int64_t bytes, const CommEffort& e) {
  const std::int64_t n = e.block_bytes / std::max<std::int64_t>(bytes, 1);
  return static_cast<int>(std::clamp<std::int64_t>(n, 1, e.max_messages_per_block));
}

SizeTime summarise(double bytes, std::vector<double> times) {
  std::sort(times.begin(), times.end());
  SizeTime s;
  s.bytes = bytes;
  s.min_s = times.front();
  s.max_s = times.back();
  const std::size_t n = times.size();
  s.median_s = n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
  return s;
}

void fit_sweep(CommSweep& sweep) {
  std::vector<double> x, y;
  for (const auto& p : sweep.points) {
    x.push_back(p.bytes);
    y.push_back(p.median_s);
  }
  sweep.fit = fit_alpha_beta(x, y);
}

// Every rank of comm receives root's points.
void broadcast_points(MPI_Comm comm, int root, std::vector<SizeTime>& points) {
  int n = static_cast<int>(points.size());
  MPI_Bcast(&n, 1, MPI_INT, root, comm);
  points.resize(static_cast<std::size_t>(n));
  static_assert(sizeof(SizeTime) == 4 * sizeof(double), "SizeTime is sent as doubles");
  MPI_Bcast(points.data(), 4 * n, MPI_DOUBLE, root, comm);
}

}  // namespace

std::vector<std::int64_t> message_sizes(const CommEffort& e) {
  if (e.min_bytes <= 0 || e.max_bytes < e.min_bytes || e.size_factor <= 1)
    throw std::invalid_argument("message_sizes: need 0 < min <= max and a factor above 1");
  std::vector<std::int64_t> sizes;
  for (double s = static_cast<double>(e.min_bytes); s < static_cast<double>(e.max_bytes) * 1.0001; s *= e.size_factor) {
    const std::int64_t rounded = std::max<std::int64_t>(8, static_cast<std::int64_t>(std::llround(s / 8.0)) * 8);
    if (sizes.empty() || rounded > sizes.back()) sizes.push_back(rounded);
  }
  if (sizes.back() < e.max_bytes) sizes.push_back((e.max_bytes + 7) / 8 * 8);
  return sizes;
}

CommSweep ping_pong(MPI_Comm comm, int a, int b, const CommEffort& effort) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (a == b || a < 0 || b < 0 || a >= size || b >= size)
    throw std::invalid_argument("ping_pong: ranks " + std::to_string(a) + " and " + std::to_string(b) +
                                " are not two distinct ranks of a communicator of " + std::to_string(size));
  const auto sizes = message_sizes(effort);
  CommSweep sweep;
  sweep.ranks = 2;
  if (rank == a || rank == b) {
    const int peer = rank == a ? b : a;
    std::vector<char> buffer(static_cast<std::size_t>(sizes.back()), 1);
    const int tag = 7;
    auto exchange = [&](std::int64_t bytes, int count) {
      for (int i = 0; i < count; ++i) {
        if (rank == a) {
          MPI_Send(buffer.data(), static_cast<int>(bytes), MPI_CHAR, peer, tag, comm);
          MPI_Recv(buffer.data(), static_cast<int>(bytes), MPI_CHAR, peer, tag, comm, MPI_STATUS_IGNORE);
        } else {
          MPI_Recv(buffer.data(), static_cast<int>(bytes), MPI_CHAR, peer, tag, comm, MPI_STATUS_IGNORE);
          MPI_Send(buffer.data(), static_cast<int>(bytes), MPI_CHAR, peer, tag, comm);
        }
      }
    };
    for (const std::int64_t bytes : sizes) {
      const int count = messages_per_block(bytes, effort);
      exchange(bytes, count);  // warm-up: connection set-up, protocol switch, pinned buffers
      std::vector<double> half_round_trips;
      for (int block = 0; block < effort.blocks; ++block) {
        const double t0 = MPI_Wtime();
        exchange(bytes, count);
        half_round_trips.push_back((MPI_Wtime() - t0) / (2.0 * count));
      }
      if (rank == a) sweep.points.push_back(summarise(static_cast<double>(bytes), half_round_trips));
    }
  }
  broadcast_points(comm, a, sweep.points);
  fit_sweep(sweep);
  return sweep;
}

CommSweep allreduce_sweep(MPI_Comm comm, const CommEffort& effort) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const auto sizes = message_sizes(effort);
  const std::size_t max_floats = static_cast<std::size_t>(sizes.back() / 4);
  std::vector<float> send(max_floats, static_cast<float>(rank + 1)), recv(max_floats, 0.0f);

  // The reduction must be right before its speed means anything: 1 + 2 + ... + p, exact in fp32.
  MPI_Allreduce(send.data(), recv.data(), static_cast<int>(max_floats), MPI_FLOAT, MPI_SUM, comm);
  const float expected = static_cast<float>(size) * static_cast<float>(size + 1) / 2.0f;
  int wrong = std::any_of(recv.begin(), recv.end(), [&](float v) { return v != expected; }) ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &wrong, 1, MPI_INT, MPI_MAX, comm);
  if (wrong) throw std::runtime_error("MPI_Allreduce returned a wrong sum: the MPI installation is broken");

  CommSweep sweep;
  sweep.ranks = size;
  for (const std::int64_t bytes : sizes) {
    const int floats = static_cast<int>(bytes / 4);
    const int count = messages_per_block(bytes, effort);
    for (int i = 0; i < count; ++i) MPI_Allreduce(send.data(), recv.data(), floats, MPI_FLOAT, MPI_SUM, comm);
    std::vector<double> times;
    for (int block = 0; block < effort.blocks; ++block) {
      MPI_Barrier(comm);
      const double t0 = MPI_Wtime();
      for (int i = 0; i < count; ++i) MPI_Allreduce(send.data(), recv.data(), floats, MPI_FLOAT, MPI_SUM, comm);
      double t = (MPI_Wtime() - t0) / count;
      MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, comm);  // a collective ends with its last rank
      times.push_back(t);
    }
    sweep.points.push_back(summarise(static_cast<double>(bytes), times));
  }
  fit_sweep(sweep);
  return sweep;
}

}  // namespace wb::measure
