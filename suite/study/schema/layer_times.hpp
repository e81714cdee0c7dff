#pragma once
// The /layer_times table (training studies with GPU scenarios): each layer's forward and
// backward time for one micro-batch on one GPU, with the collectives inside it (gpu/layer_times.hpp).
#include "study/schema/column.hpp"

namespace wb::study::schema::layer_times {

inline constexpr ColumnSpec scenario_index{"scenario_index", io::ColumnType::i64, Unit::one,
    "row of the scenario in /scenarios"};
inline constexpr ColumnSpec scenario_id{"scenario_id", io::ColumnType::str, Unit::label, "the scenario"};
inline constexpr ColumnSpec layer{"layer", io::ColumnType::i64, Unit::one, "0 embedding, 1..L decoder layers, L+1 the head"};
inline constexpr ColumnSpec name{"name", io::ColumnType::str, Unit::label, "embedding, layer<i> (0-based), lm_head"};
inline constexpr ColumnSpec stage{"stage", io::ColumnType::i64, Unit::one, "pipeline stage holding the layer"};
inline constexpr ColumnSpec forward_s{"forward_s", io::ColumnType::f64, Unit::seconds,
    "its forward kernels for one micro-batch on one GPU, nominal speed"};
inline constexpr ColumnSpec backward_s{"backward_s", io::ColumnType::f64, Unit::seconds,
    "its backward kernels (data and weight gradients, and what recomputation runs again), one micro-batch"};
inline constexpr ColumnSpec tp_comm_s{"tp_comm_s", io::ColumnType::f64, Unit::seconds,
    "tensor-parallel collectives the compute stream waits for inside it, forward and backward"};
inline constexpr ColumnSpec gather_s{"gather_s", io::ColumnType::f64, Unit::seconds,
    "ZeRO-3 all-gathers of its parameters per micro-batch (on the gather stream, overlapped when prefetched)"};
inline constexpr ColumnSpec contended_s{"contended_s", io::ColumnType::f64, Unit::seconds,
    "forward_s + backward_s when a data-parallel collective runs beside the kernels the whole time (NCCL contention)"};

const TableSpec& table();

}  // namespace wb::study::schema::layer_times
