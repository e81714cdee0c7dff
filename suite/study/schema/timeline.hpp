#pragma once
// The /timeline table (training studies with `time: {timeline: true}`): the tasks of the
// simulated step on representative GPUs, for Gantt charts and Chrome traces.
#include "study/schema/column.hpp"

namespace wb::study::schema::timeline {

inline constexpr ColumnSpec scenario_index{"scenario_index", io::ColumnType::i64, Unit::one,
    "row of the scenario in /scenarios"};
inline constexpr ColumnSpec scenario_id{"scenario_id", io::ColumnType::str, Unit::label, "scenario id"};
inline constexpr ColumnSpec device{"device", io::ColumnType::i64, Unit::one,
    "GPU index (representatives: data-parallel rank 0, tensor rank 0 of each stage)"};
inline constexpr ColumnSpec stream{"stream", io::ColumnType::str, Unit::label, "compute | comm | pcie | cpu"};
inline constexpr ColumnSpec kind{"kind", io::ColumnType::str, Unit::label,
    "what the task does (fwd, bwd, recompute, tp_allreduce, grad_reduce_scatter, ...)"};
inline constexpr ColumnSpec start_s{"start_s", io::ColumnType::f64, Unit::seconds,
    "task start from the beginning of the simulated step(s)"};
inline constexpr ColumnSpec end_s{"end_s", io::ColumnType::f64, Unit::seconds, "task end"};

const TableSpec& table();

}  // namespace wb::study::schema::timeline
