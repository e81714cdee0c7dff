#pragma once
// The tables of a fabric study (kind fabric): /fabric, one row per simulated case (the fabric
// cache the wafer model reads is such a table), and /fabric_heatmap, PE utilisation of the cases
// that ask for it. Only wall_s, pe_cycles_per_s and ranks depend on the machine and rank count.
#include "study/schema/column.hpp"

namespace wb::study::schema::fabric {

inline constexpr ColumnSpec case_name{"case", io::ColumnType::str, Unit::label, "case name"};
inline constexpr ColumnSpec origin{"origin", io::ColumnType::str, Unit::label,
    "`case`, or the layer sweep and <model>.<gemm>.<pass> uses of this shape"};
inline constexpr ColumnSpec chip{"chip", io::ColumnType::str, Unit::label, "wafer system (inputs/systems file stem)"};
inline constexpr ColumnSpec mapping{"mapping", io::ColumnType::str, Unit::label,
    "the kernel: chain, allreduce, meshgemv, cannon, meshgemm, summa or weight-streaming"};
inline constexpr ColumnSpec p_rows{"p_rows", io::ColumnType::i64, Unit::pes, "rows of the PE rectangle"};
inline constexpr ColumnSpec p_cols{"p_cols", io::ColumnType::i64, Unit::pes, "columns of the PE rectangle"};
inline constexpr ColumnSpec m{"m", io::ColumnType::i64, Unit::one,
    "inner dimension of y[batch, n] = x[batch, m] W[m, n]"};
inline constexpr ColumnSpec n{"n", io::ColumnType::i64, Unit::one, "outputs"};
inline constexpr ColumnSpec batch{"batch", io::ColumnType::i64, Unit::one, "rows of x (tokens); 1 is a GEMV"};
inline constexpr ColumnSpec sparsity{"sparsity", io::ColumnType::f64, Unit::one, "fraction of weights that are zero"};
inline constexpr ColumnSpec statistic{"statistic", io::ColumnType::str, Unit::label,
    "what `cycles` reports: max (last PE done) or mean (mean PE completion)"};
inline constexpr ColumnSpec cycles{"cycles", io::ColumnType::f64, Unit::cycles,
    "on-chip cycles of the kernel (the case's statistic), as the PE timers report them"};
inline constexpr ColumnSpec cycles_max{"cycles_max", io::ColumnType::f64, Unit::cycles,
    "on-chip: last PE's end - first PE's timer start, per timed repeat"};
inline constexpr ColumnSpec cycles_mean{"cycles_mean", io::ColumnType::f64, Unit::cycles,
    "on-chip: mean over PEs of (end - timer start), per timed repeat"};
inline constexpr ColumnSpec launch_cycles{"launch_cycles", io::ColumnType::f64, Unit::cycles,
    "host side, outside the timers: x in and y out (fp16) over the system I/O"};
inline constexpr ColumnSpec time_s{"time_s", io::ColumnType::f64, Unit::seconds, "cycles at the chip's clock"};
inline constexpr ColumnSpec repeats{"repeats", io::ColumnType::i64, Unit::one,
    "timed repeats run back to back (after `warmup` untimed ones); cycles are per repeat"};
inline constexpr ColumnSpec sampled_outputs{"sampled_outputs", io::ColumnType::i64, Unit::one,
    "0: all n outputs simulated; s: runs of s and 2s outputs, cycles extended linearly to n"};
inline constexpr ColumnSpec sampled_steps{"sampled_steps", io::ColumnType::i64, Unit::one,
    "0: every step of a shift GEMM simulated; s: runs of s and 2s steps, cycles extended linearly to the kernel's steps"};
inline constexpr ColumnSpec fabric_width{"fabric_width", io::ColumnType::i64, Unit::pes,
    "columns of the simulated fabric"};
inline constexpr ColumnSpec fabric_height{"fabric_height", io::ColumnType::i64, Unit::pes,
    "rows of the simulated fabric"};
inline constexpr ColumnSpec pe_cycles{"pe_cycles", io::ColumnType::f64, Unit::pe_cycles,
    "simulated fabric PEs x cycles, summed over the runs of the case"};
inline constexpr ColumnSpec busy_pe_cycles{"busy_pe_cycles", io::ColumnType::f64, Unit::pe_cycles,
    "PE-cycles spent on instructions and task activation (largest run)"};
inline constexpr ColumnSpec stall_in_pe_cycles{"stall_in_pe_cycles", io::ColumnType::f64, Unit::pe_cycles,
    "PE-cycles waiting for an input wavelet (largest run)"};
inline constexpr ColumnSpec stall_out_pe_cycles{"stall_out_pe_cycles", io::ColumnType::f64, Unit::pe_cycles,
    "PE-cycles waiting for output queue space (largest run)"};
inline constexpr ColumnSpec idle_pe_cycles{"idle_pe_cycles", io::ColumnType::f64, Unit::pe_cycles,
    "PE-cycles with nothing to run (largest run)"};
inline constexpr ColumnSpec utilisation{"utilisation", io::ColumnType::f64, Unit::one,
    "busy PE-cycles / (rectangle PEs x last-finish cycles), largest run"};
inline constexpr ColumnSpec sram_bytes_max{"sram_bytes_max", io::ColumnType::f64, Unit::bytes,
    "SRAM of the fullest PE (fp16 operands, fp32 partial sums)"};
inline constexpr ColumnSpec check_error{"check_error", io::ColumnType::f64, Unit::one,
    "check mode: max |y - y_ref| / sum_k |x W|; NaN when not checked"};
inline constexpr ColumnSpec wall_s{"wall_s", io::ColumnType::f64, Unit::seconds,
    "wall time of the cycle loops (measured; depends on the machine and ranks)", true};
inline constexpr ColumnSpec pe_cycles_per_s{"pe_cycles_per_s", io::ColumnType::f64, Unit::pe_cycles_per_s,
    "pe_cycles / wall_s (measured)", true};
inline constexpr ColumnSpec ranks{"ranks", io::ColumnType::i64, Unit::one,
    "MPI ranks the fabric was split over (measured run)", true};
inline constexpr ColumnSpec published_cycles{"published_cycles", io::ColumnType::f64, Unit::cycles,
    "published cycle count; NaN when none"};
inline constexpr ColumnSpec relative_error{"relative_error", io::ColumnType::f64, Unit::one,
    "(cycles - published) / published; NaN when none"};

const TableSpec& table();

}  // namespace wb::study::schema::fabric

namespace wb::study::schema::fabric_heatmap {

inline constexpr ColumnSpec case_name{"case", io::ColumnType::str, Unit::label, "case name"};
inline constexpr ColumnSpec x{"x", io::ColumnType::i64, Unit::pes, "fabric column of the bin's first PE"};
inline constexpr ColumnSpec y{"y", io::ColumnType::i64, Unit::pes, "fabric row of the bin's first PE"};
inline constexpr ColumnSpec bin_width{"bin_width", io::ColumnType::i64, Unit::pes,
    "columns per bin (1 up to 256 fabric columns)"};
inline constexpr ColumnSpec bin_height{"bin_height", io::ColumnType::i64, Unit::pes,
    "rows per bin (1 up to 256 fabric rows)"};
inline constexpr ColumnSpec busy_fraction{"busy_fraction", io::ColumnType::f64, Unit::one,
    "busy PE-cycles of the bin / (its PEs x last-finish cycles)"};

const TableSpec& table();

}  // namespace wb::study::schema::fabric_heatmap
