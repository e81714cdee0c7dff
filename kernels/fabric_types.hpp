#pragma once
// Plain data of the wafer fabric model shared by the kernels, the mesh engine and the program
// generators: ports, static routes, the small instruction set a PE runs, the model constants,
// and the deterministic value/sparsity hashes used to generate weights without storing them.
//
// Fabric rules (Cerebras SDK documentation, see docs/fabric-model.md): a 2-D mesh; each router
// has five ports (N, E, S, W and the ramp to its own PE); a wavelet is 32 bits and moves to a
// neighbour in one cycle; a link carries one wavelet per direction per cycle; colours (virtual
// channels) share a link; a route is static per (PE, colour): one receive port and a set of
// transmit ports (multicast when more than one).
#include <Kokkos_Core.hpp>
#include <cstdint>

// Loops over the PEs of a block row carry no dependence between iterations (each PE writes only
// its own state); telling GCC so lets it vectorise them. Other compilers ignore the hint.
#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#define WB_FABRIC_IVDEP _Pragma("GCC ivdep")
#else
#define WB_FABRIC_IVDEP
#endif

namespace wb::kernels::fabric {

// Ports. Directions are numbered so that opposite(d) = (d + 2) % 4. Row 0 is the north edge.
inline constexpr int kNorth = 0;
inline constexpr int kEast = 1;
inline constexpr int kSouth = 2;
inline constexpr int kWest = 3;
inline constexpr int kRamp = 4;
inline constexpr int kDirections = 4;

KOKKOS_INLINE_FUNCTION constexpr int opposite(int d) { return (d + 2) & 3; }
KOKKOS_INLINE_FUNCTION constexpr std::uint8_t port_bit(int port) { return static_cast<std::uint8_t>(1u << port); }

// Colours a program may use. The hardware has 24 routable colours; the programs generated here
// need at most twelve, and sixteen keep a credit-return mask in 16 bits.
inline constexpr int kMaxColours = 16;
using ColourMask = std::uint16_t;
KOKKOS_INLINE_FUNCTION constexpr ColourMask colour_bit(int c) { return static_cast<ColourMask>(1u << c); }
// Instructions per PE program. Loops (kFor ... kNext) keep a program's length independent of the
// mesh size.
inline constexpr int kMaxOps = 32;
// Per-PE integer parameters an instruction may refer to (tile sizes, counts, global offsets).
inline constexpr int kSlots = 16;
// Asynchronous microthreads per PE (the hardware has 8; data movement ops run on them, ref [P]).
inline constexpr int kThreads = 4;
inline constexpr std::uint8_t kThreadIdle = 0xFF;
// Loop counters per PE: counter 0 for the repeats of a kernel, counter 1 for its steps.
inline constexpr int kCounters = 2;
// Activity blocks: the cycle loop skips blocks of PEs that are provably quiet. A block is a run
// of PEs of one row, one vector loop over its PEs; the cycles of an epoch sweep the fabric block
// row by block row (a wavefront, kernels/fabric_cycle.hpp FabricSweep), and one-row blocks keep
// the band of rows in flight small enough for a core's L2 (a 4-row block made it 4x as tall).
inline constexpr int kBlockWidth = 64;
inline constexpr int kBlockHeight = 1;

// What a PE's threads will do next cycle unless a wavelet arrives (the engine's fast path; the
// instruction interpreter runs only for kModeRun):
//   kModeRun   anything: interpret the threads and the main thread;
//   kModeBusy  the main thread counts down its busy cycles and every active microthread waits
//              for a wavelet on an empty PE queue;
//   kModeWait  nothing changes but a stall on input: every thread waits on an empty PE queue (or
//              the main thread at kEnd/kWait has only waiting microthreads left).
// In kModeBusy and kModeWait the PE's wait mask names the PE queues whose first wavelet wakes it.
enum PeMode : std::uint8_t { kModeRun = 0, kModeBusy, kModeWait };

// What a PE in kModeBusy does once its count runs out (nothing else of it changes meanwhile, so
// the interpreter settles it when it enters kModeBusy and the fast path closes the cycle):
//   kAfterRun     interpret the next cycle;
//   kAfterWait    wait for the PE queues of its after mask, unless one of them holds a wavelet;
//   kAfterFinish  the program is done: the PE finishes in the cycle its count runs out.
enum AfterBusy : std::uint8_t { kAfterRun = 0, kAfterWait, kAfterFinish };

// Static route of one colour at one router: the port it receives from and the set it transmits
// to. rx < 0 marks a colour the router does not carry.
struct Route {
  std::int8_t rx = -1;
  std::uint8_t tx = 0;  // bit per port (port_bit)
};

// The PE instruction set. Each PE runs one program (a sequence of Ops) on a main thread, and hands
// data-movement ops (flag kAsync) to up to kThreads asynchronous microthreads.
enum OpKind : std::uint8_t {
  kEnd = 0,
  // Send n wavelets from SRAM[A + i] on colour cout, one per cycle.
  kSend,
  // Receive n wavelets on cin; wavelet i is x[batch = i / rows][j = i % rows] and updates
  // acc[c + batch * len + k] += x * W[a + j * len + k] for the non-zero weights k < len
  // (weights W(row0 + j, col0 + k)); costs ceil(non-zeros / SIMD) cycles after the pop.
  kRecvFmac,
  // Store-and-forward chain step: receive n wavelets on cin adding them into acc[a + i], then
  // (when cout >= 0) send the n sums on cout.
  kChainAdd,
  // Pipelined chain step: per element receive on cin, send value + acc[a + i] on cout (with
  // cout < 0, add the value into acc[a + i]).
  kStreamAdd,
  // Receive n wavelets on cin into SRAM[A + i].
  kRecv,
  // Local work for len cycles.
  kCompute,
  // Edge feeder: streams the non-zero weights W(row0 + q, col0 + o) for o < n (outer) and
  // q < rows (inner), one wavelet (value, tag o * rows + q) every `period` cycles on cout. Zero
  // weights are never sent. It stands for the wafer edge, not for PE work.
  kInject,
  // Weight-streaming GEMM step, repeated for n outputs o: receive on cin the non-zero weights
  // W(row0 + k, o), k < rows, each an AXPY acc[c + t] += x[a + t * rows + k] * w over the len
  // tokens held here (max(1, ceil(len / SIMD)) cycles); then pass the len partial sums down the
  // column: receive on cin2 (none in the first row), add, send on cout (the last row keeps
  // y[t, o] at SRAM[b + o * len + t]); the accumulators restart at zero.
  kStreamGemm,
  // Pipelined relay: per element receive on cin, store at SRAM[A + i] and (cout >= 0) send it on
  // cout (a broadcast passed on PE by PE).
  kRelay,
  // Local GEMV on resident operands: for each batch row b < rows and j < n,
  // acc[c + b * len + k] += x[A + b * n + j] * W[B + j * len + k] over the non-zero weights k < len
  // of W(row0 + j, col0 + k); one vector FMAC per x element, max(1, ceil(non-zeros / SIMD)) cycles.
  kGemv,
  // Local tile product C[c + r * len + q] += sum_k A[A + r * rows + k] * B[B + k * len + q] for
  // r < n, k < rows, q < len: one vector FMAC per A element, max(1, ceil(len / SIMD)) cycles.
  kTileGemm,
  // Clear n words at SRAM[A]: max(1, ceil(n / SIMD)) cycles.
  kZero,
  // Loop head: counter ctr = 0; when the trip count n is 0, continue at op b (after the kNext).
  kFor,
  // Loop tail: counter ctr += step; while it is below n, continue at op a (the loop body).
  kNext,
  // Timer start: the PE's timed region begins here when counter 0 equals n (after n warm-ups).
  kTimer,
  // Wait until every microthread of the PE is idle.
  kWait,
};

enum OpFlag : std::uint8_t {
  kActivate = 1,   // the op starts with a task activation (task_overhead cycles)
  kOnData = 2,     // ... triggered by the first wavelet on cin (a data task)
  kPerWavelet = 4, // kRecvFmac: every wavelet activates a data task (task_overhead each)
  kAsync = 8,      // run on a microthread; the main thread continues
};

// How an op finds the SRAM base of an operand (A from field a, B from field b), relative to the
// loop counter 1 (the step of a compute-shift loop):
//   kAddrFixed   the field itself;
//   kAddrParity  field + ((step + off) & 1) * stride: double buffers that swap every step;
//   kAddrSelect  field when step == off, else field + stride: own tile or receive buffer.
enum AddrMode : std::uint8_t { kAddrFixed = 0, kAddrParity, kAddrSelect };

// Predicate on loop counter 1 against a per-PE value (a PE's position in a broadcast row): the op
// runs when it holds and is skipped (in no time) otherwise.
enum Predicate : std::uint8_t { kAlways = 0, kWhenStepBelow, kWhenStepIs, kWhenStepAbove };

// One instruction. Integer fields >= 0 are literal; a negative value v refers to the PE's slot
// (-1 - v), so one program serves PEs with different tile sizes.
struct Op {
  std::uint8_t kind = kEnd;
  std::uint8_t flags = 0;
  std::int8_t cin = -1;
  std::int8_t cout = -1;
  std::int8_t cin2 = -1;
  std::int8_t ctr = 1;          // kFor / kNext: loop counter
  std::uint8_t amode = kAddrFixed, bmode = kAddrFixed;
  std::uint8_t pred = kAlways;
  std::int32_t n = 0;
  std::int32_t len = 0;
  std::int32_t rows = 0;
  std::int32_t a = 0;
  std::int32_t b = 0;
  std::int32_t c = 0;
  std::int32_t row0 = 0;
  std::int32_t col0 = 0;
  std::int32_t period = 1;
  std::int32_t step = 1;        // kNext: counter increment
  std::int32_t aoff = 0, boff = 0, stride = 0;  // addressing modes (AddrMode)
  std::int32_t pred_v = 0;      // Predicate operand
  std::uint32_t zero_threshold = 0;  // weight is zero when its hash < threshold (0: dense)
  std::uint32_t seed = 0;
};

KOKKOS_INLINE_FUNCTION constexpr std::int32_t slot_ref(int slot) { return -1 - slot; }

// Model constants of one run.
struct FabricConfig {
  int colours = 1;
  int queue_depth = 4;      // router input queue per colour (wavelets)
  int pe_queue_depth = 4;   // PE input queue per colour (ramp down)
  int task_overhead = 0;    // cycles from a task's trigger to its first instruction
  int read_cycles = 1;      // cycles a PE instruction spends per wavelet it takes from the fabric
  int simd = 1;             // fp16 lanes of the FMAC datapath
  int sram_words = 0;       // fp32 words of SRAM image per PE (check mode)
  bool check = false;       // carry values
};

// Counter-based hash (lowbias32 by C. Wellons): deterministic weights and sparsity patterns that
// every rank, the host reference and the kernels compute alike.
KOKKOS_INLINE_FUNCTION std::uint32_t mix32(std::uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

KOKKOS_INLINE_FUNCTION std::uint32_t element_hash(std::uint32_t row, std::uint32_t col, std::uint32_t seed) {
  return mix32(row * 0x9E3779B1U ^ mix32(col + 0x632BE5ABU * seed));
}

// Whether weight (row, col) is zero for a given threshold (fraction zero = threshold / 2^32).
KOKKOS_INLINE_FUNCTION bool weight_is_zero(std::uint32_t row, std::uint32_t col, std::uint32_t seed,
                                           std::uint32_t threshold) {
  return threshold != 0 && mix32(element_hash(row, col, seed) ^ 0xA5A5A5A5U) < threshold;
}

// A value in [-1, 1) on a 2^-23 grid, so sums of few products stay exact enough to compare.
KOKKOS_INLINE_FUNCTION float element_value(std::uint32_t row, std::uint32_t col, std::uint32_t seed) {
  return static_cast<float>(static_cast<std::int32_t>(element_hash(row, col, seed) >> 8) - (1 << 23)) *
         (1.0f / static_cast<float>(1 << 23));
}

KOKKOS_INLINE_FUNCTION float weight_value(std::uint32_t row, std::uint32_t col, std::uint32_t seed,
                                          std::uint32_t threshold) {
  return weight_is_zero(row, col, seed, threshold) ? 0.0f : element_value(row, col, seed);
}

}  // namespace wb::kernels::fabric
