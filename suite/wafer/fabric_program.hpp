#pragma once
// Fabric programs (mappings) generated from a layer shape and a PE rectangle, y[b, n] = x[b, m] W[m, n]:
//
//   chain            W tiled over a p_rows x p_cols rectangle (PE (i, j) holds rows M_i x columns
//                    N_j); x enters at the west column and is multicast along each row; each x
//                    wavelet is a data task doing one FMAC over the PE's non-zero weights; the
//                    partial sums are reduced down each column by a store-and-forward chain
//                    alternating two colours (the vendor's GEMV checkerboard example).
//   allreduce        the same, with the column reduction done by two chains meeting at the middle
//                    row and the sum multicast back along the column (every PE ends with y[N_j]).
//   meshgemv         WaferLLM's MeshGEMV (OSDI'25, Sec. 6): x[M_i] already resident on every PE of
//                    row i, one local GEMV per PE, the partial sums reduced down each column by a
//                    two-level K-tree (pipelined chains to the root of each group of g rows, then
//                    between the group roots) and the sum broadcast back both ways.
//   cannon           Cannon's GEMM on P x P PEs: both operands resident, an initial skew, then P
//                    steps of multiply and cyclic shift (A west along rows, W north along columns,
//                    the head-to-tail wrap routed past the intermediate PEs).
//   meshgemm         WaferLLM's MeshGEMM (Sec. 5): Cannon's scheme on the INTERLEAVE ring, so that
//                    every transfer spans at most two hops, with double buffers so that each step's
//                    shifts overlap its local tile GEMM.
//   summa            SUMMA: P steps; in step k column k broadcasts its A tiles along the rows and
//                    row k its W tiles along the columns (relayed PE by PE), then every PE
//                    multiplies.
//   weight-streaming the activations stay: PE (i, j) holds x[B_j, M_i] (tokens split over columns,
//                    the inner dimension over rows). The weights enter from the west wafer edge,
//                    row i receiving W[M_i, o] output after output, multicast along the row; one
//                    wavelet (value + index) per non-zero weight, zero weights are never sent; each
//                    wavelet is one AXPY over the PE's tokens. After each output the partial sums
//                    y[B_j, o] flow down the column through a pipelined two-colour chain (Cerebras
//                    weight streaming, Hot Chips 34; Lie 2022).
//
// The program is described per PE (routes, op list, per-PE slots, SRAM image in check mode) for
// the mesh engine; weights and inputs are generated from counter hashes, so any rank builds any
// PE and the reference product is computed without storing the matrices.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/mesh_engine.hpp"
#include "wafer/fabric_model.hpp"
#include "wafer/wafer_spec.hpp"

namespace wb::wafer {

enum class FabricMapping { chain, allreduce, meshgemv, cannon, meshgemm, summa, weight_streaming };
// Every mapping, in the order above (for listing them in messages and studies).
const std::vector<FabricMapping>& all_fabric_mappings();
const char* to_string(FabricMapping m);
std::optional<FabricMapping> parse_fabric_mapping(const std::string& text);

struct FabricCaseSpec {
  FabricMapping mapping = FabricMapping::chain;
  std::int64_t m = 0;       // inner dimension
  std::int64_t n = 0;       // outputs
  std::int64_t batch = 1;   // rows of x (tokens); 1 = GEMV
  std::int64_t p_rows = 0;  // PE rectangle
  std::int64_t p_cols = 0;
  double sparsity = 0;      // fraction of weights that are zero
  bool whole_fabric = false;  // simulate the chip's whole fabric, the rectangle at its north-west corner
  std::int64_t sampled_outputs = 0;  // weight-streaming: outputs simulated (0 = all n)
  std::int64_t sampled_steps = 0;    // cannon, meshgemm, summa: loop steps simulated (0 = all)
  std::int64_t group = 0;            // meshgemv: rows per first-level reduction group (0: round(sqrt(p_rows)))
  std::int64_t repeats = 1;          // timed repeats of the kernel back to back (the PE timers' view)
  std::int64_t warmup = 0;           // untimed repeats before them
  bool check = false;       // carry values and compare with the reference product
  std::uint32_t seed = 1;
  bool skip_quiet = true;   // let the engine skip quiet blocks (false only to test that skipping changes nothing)
  int halo_depth = 0;       // cycles between the engine's halo exchanges (0: its default; tests vary it)
  int wave_levels = 0;      // cycles per wavefront of the engine (0: sized to the L2; tests vary it)
};

// Where the result element y[b, col] lives: PE (x, y) and its SRAM word.
struct ResultLocation {
  int pe_x = 0, pe_y = 0;
  std::int32_t word = 0;
};

struct FabricProgram {
  sim::MeshProgram mesh;
  std::int64_t sram_bytes_max = 0;  // fp16 operands + fp32 partial sums of the fullest PE
  std::int64_t outputs = 0;         // outputs (columns of W) simulated
  std::uint32_t zero_threshold = 0;
  std::uint32_t seed_x = 0, seed_w = 0;
  std::int64_t steps = 0;           // cannon, meshgemm, summa: loop steps of the unsampled kernel
  // check mode: every result element's location(s), row-major over (b, col)
  std::vector<std::vector<ResultLocation>> results;
};

// The PE rectangle a layer takes when it is given the whole fabric: every row needs one row of W
// (rows <= m); columns hold outputs (chain, allreduce: cols <= n) or tokens (weight streaming:
// cols <= batch). The fabric cache keys whole-fabric layers by this rectangle.
std::pair<std::int64_t, std::int64_t> whole_fabric_rectangle(const WaferSpec& chip, FabricMapping mapping, std::int64_t m,
                                                              std::int64_t n, std::int64_t batch);

// The GEMMs whose operands both stay on a P x P grid and move between steps (cannon, meshgemm, summa).
bool is_shift_gemm(FabricMapping m);

// Checks the case against the chip (rectangle inside the fabric, SRAM per PE, tiles non-empty);
// throws std::invalid_argument with a sentence for the user.
void validate_case(const FabricCaseSpec& spec, const WaferSpec& chip);

// Builds the program. Throws std::invalid_argument like validate_case.
FabricProgram build_fabric_program(const FabricCaseSpec& spec, const WaferSpec& chip, const FabricModel& model);

// Reference values (host, double precision) used by the check mode.
double reference_input(std::int64_t b, std::int64_t k, std::uint32_t seed);
double reference_weight(std::int64_t k, std::int64_t col, std::uint32_t seed, std::uint32_t zero_threshold);
std::uint32_t zero_threshold_of(double sparsity);


}  // namespace wb::wafer
