#pragma once
// The /wafer_layers table (studies with wafer scenarios): each layer's share of a wafer
// scenario's step, by pass, and what bounds it.
#include "study/schema/column.hpp"

namespace wb::study::schema::wafer_layers {

inline constexpr ColumnSpec scenario_index{"scenario_index", io::ColumnType::i64, Unit::one,
    "row of the scenario in /scenarios"};
inline constexpr ColumnSpec scenario_id{"scenario_id", io::ColumnType::str, Unit::label, "the scenario"};
inline constexpr ColumnSpec layer{"layer", io::ColumnType::i64, Unit::one, "0 embedding, 1..L decoder layers, L+1 the head"};
inline constexpr ColumnSpec name{"name", io::ColumnType::str, Unit::label, "embedding, layer<i> (0-based), lm_head"};
inline constexpr ColumnSpec kind{"kind", io::ColumnType::str, Unit::label,
    "fwd, recompute, bwd (data gradients) or wgrad (weight gradients)"};
inline constexpr ColumnSpec cycles{"cycles", io::ColumnType::f64, Unit::cycles, "wafer compute cycles over the step (all passes)"};
inline constexpr ColumnSpec time_s{"time_s", io::ColumnType::f64, Unit::seconds,
    "time over the step: compute_s plus its share of the streaming its layer group cannot hide"};
inline constexpr ColumnSpec bound{"bound", io::ColumnType::str, Unit::label,
    "compute or streaming: which bounds the row's layer group (a layer's forward, or its backward)"};
inline constexpr ColumnSpec source{"source", io::ColumnType::str, Unit::label,
    "where the cycles come from: analytic, fabric or fabric+analytic"};
inline constexpr ColumnSpec kernels{"kernels", io::ColumnType::str, Unit::label,
    "the fastest kernel that fits SRAM per product, '+'-joined (weight-streaming, chain, meshgemv, cannon, meshgemm, summa)"};
inline constexpr ColumnSpec compute_s{"compute_s", io::ColumnType::f64, Unit::seconds, "wafer compute time over the step"};
inline constexpr ColumnSpec stream_s{"stream_s", io::ColumnType::f64, Unit::seconds,
    "its own MemoryX/SwarmX transfer (weights in, or gradients out)"};

const TableSpec& table();

}  // namespace wb::study::schema::wafer_layers
