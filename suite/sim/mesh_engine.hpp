#pragma once
// The cycle-driven mesh engine: runs a fabric program (routes + PE programs, see
// kernels/fabric_types.hpp) on a 2-D mesh split into blocks, one per MPI rank (MPI_Cart_create).
// Each rank also simulates `halo_depth` rows and columns of ghost PEs beyond every side it shares
// with another rank, whose full state it receives every halo_depth cycles (sim/mesh_halo.hpp):
// a wavelet moves one hop per cycle, so the rank's own PEs evolve exactly in between. The cycles
// of such an epoch sweep the rank's PEs block row by block row, each row a few cycles ahead of the
// next (a wavefront), so a band of rows stays in cache; blocks whose PEs are provably quiet are
// skipped. Cycle counts, counters and values are identical for any number of ranks and any halo
// depth.
//
// The engine knows nothing of GEMMs: a program generator (suite/wafer) describes each PE through
// the `setup` callback, called for the PEs this rank simulates (its own and its ghosts).
#include <mpi.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kernels/fabric_state.hpp"
#include "sim/mesh_halo.hpp"

namespace wb::sim {

namespace fk = wb::kernels::fabric;

// What one PE starts with. prog_id 0 must be the empty program (a PE without work).
struct PeSetup {
  int route_id = 0;
  int prog_id = 0;
  std::int32_t launch = 0;  // cycle the kernel's launch reaches the PE (it runs nothing before)
  std::array<std::int32_t, fk::kSlots> slots{};
  float* sram = nullptr;  // check mode: config.sram_words words to fill (zeroed)
};

struct MeshProgram {
  int width = 0;   // global fabric, PEs
  int height = 0;
  fk::FabricConfig config;
  std::vector<std::array<fk::Route, fk::kMaxColours>> routes;
  std::vector<std::array<fk::Op, fk::kMaxOps>> programs;
  std::function<void(int gx, int gy, PeSetup&)> setup;
  bool skip_quiet = true;  // skip provably quiet blocks (false: step every PE, for testing)
  // Cycles between halo exchanges, and ghost PEs per shared side: a power of two up to 64 (the
  // termination test's period); 0 takes kDefaultHaloDepth. Smaller when a rank's part is narrower.
  // With one rank, the length of an epoch (the termination test stays every 64 cycles).
  int halo_depth = 0;
  // Cycles per wavefront (at most the epoch): 0 sizes the wavefront to the core's L2. Results do
  // not depend on it.
  int wave_levels = 0;
};

inline constexpr int kDefaultHaloDepth = 8;

struct MeshStats {
  std::int64_t cycles = 0;          // last cycle any PE worked, + 1
  std::int64_t simulated_cycles = 0;  // cycles stepped (>= cycles: quiet tail until detected)
  std::int64_t pes = 0;             // PEs of the fabric
  std::int64_t program_pes = 0;     // PEs that run a program
  std::int64_t span_sum = 0;        // sum over program PEs of (finish + 1 - timer start): PE timers' mean
  std::int64_t start_min = 0;       // earliest timer start of a program PE (the first PE's start)
  std::int64_t busy = 0, stall_in = 0, stall_out = 0, idle = 0;  // PE-cycles, summed
  std::int64_t block_steps = 0;     // active blocks stepped, summed over cycles and ranks (ghost blocks too)
  std::int64_t edge_out = 0;        // wavelets that left the fabric
  double wall_s = 0;                // wall time of the cycle loop (max over ranks)
  int ranks = 1;
  std::array<int, 2> dims{1, 1};    // rank grid (rows, columns)
  int halo_depth = 1;               // cycles per halo exchange (epoch)
};

class MeshEngine {
 public:
  MeshEngine(MPI_Comm comm, const MeshProgram& program);
  ~MeshEngine();
  MeshEngine(const MeshEngine&) = delete;
  MeshEngine& operator=(const MeshEngine&) = delete;

  // Steps cycles until every PE has finished and the fabric is quiet. Throws std::runtime_error
  // (on every rank) on deadlock, on a routing error or after max_cycles.
  MeshStats run(std::int64_t max_cycles);

  // After run(), collective: a per-PE quantity of the whole fabric in row-major global order
  // (y * width + x), on rank 0 only (empty elsewhere).
  enum class Field { busy, stall_in, stall_out, finish };
  std::vector<std::int64_t> gather(Field field) const;
  // After run(), collective (check mode): SRAM images of the selected PEs, on rank 0, keyed by
  // y * width + x.
  std::vector<std::pair<std::int64_t, std::vector<float>>> gather_sram(
      const std::function<bool(int gx, int gy)>& select) const;

  int rank() const { return rank_; }
  int local_pes() const { return s_.nx * s_.ny; }
  int halo_depth() const { return depth_; }

  // One exchange of the ghost PEs' state with the neighbours, as every epoch starts with; for
  // benchmarks. Collective.
  void exchange_halo();

  // The first few unfinished PEs of this rank with their thread and queue state (diagnostics).
  std::string describe_unfinished(int max_items) const;

 private:
  template <bool Check>
  void epoch(std::int32_t t0, std::int32_t t1, bool force);
  std::int64_t owned_active_blocks(std::int32_t t) const;

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, ranks_ = 1;
  std::array<int, 2> dims_{1, 1};
  std::array<int, 4> neighbour_{MPI_PROC_NULL, MPI_PROC_NULL, MPI_PROC_NULL, MPI_PROC_NULL};
  bool has_neighbours_ = false;
  int depth_ = 1;
  int wave_levels_ = 1;  // cycles per wavefront (epoch)
  fk::FabricArena arena_;
  fk::FabricState s_;
  MeshHalo halo_;
  std::int64_t end_cycle_ = 0;
  bool skip_quiet_ = true;
};

}  // namespace wb::sim
