#pragma once
// The /reference table: each published value beside the model's prediction, its relative error
// and whether it meets the study's tolerance. Training and inference studies compare /scenarios
// columns; fabric studies compare simulated cycle counts.
#include "study/schema/column.hpp"

namespace wb::study::schema::reference {

inline constexpr ColumnSpec scenario_id{"scenario_id", io::ColumnType::str, Unit::label,
    "scenario the published value is compared with"};
inline constexpr ColumnSpec scenario_index{"scenario_index", io::ColumnType::i64, Unit::one,
    "row of the scenario in /scenarios"};
inline constexpr ColumnSpec metric{"metric", io::ColumnType::str, Unit::label, "/scenarios column compared"};
inline constexpr ColumnSpec units{"units", io::ColumnType::str, Unit::label, "units of published and predicted"};
inline constexpr ColumnSpec published{"published", io::ColumnType::f64, Unit::as_stated, "published value"};
inline constexpr ColumnSpec predicted{"predicted", io::ColumnType::f64, Unit::as_stated, "value computed by the model"};
inline constexpr ColumnSpec relative_error{"relative_error", io::ColumnType::f64, Unit::one,
    "(predicted - published) / published; NaN when published is 0"};
inline constexpr ColumnSpec compare{"compare", io::ColumnType::str, Unit::label,
    "within, at_least or at_most the published value"};
inline constexpr ColumnSpec tolerance{"tolerance", io::ColumnType::f64, Unit::one,
    "relative tolerance (absolute when published is 0)"};
inline constexpr ColumnSpec pass{"pass", io::ColumnType::i64, Unit::one, "1 when the prediction meets the reference"};
inline constexpr ColumnSpec source{"source", io::ColumnType::str, Unit::label, "where the published value comes from"};
inline constexpr ColumnSpec note{"note", io::ColumnType::str, Unit::label, "what the comparison assumes"};
inline constexpr ColumnSpec known_miss{"known_miss", io::ColumnType::str, Unit::label,
    "why the model is known to miss this value (empty: none)"};

const TableSpec& table();

// How a prediction is held against its published value (the `compare` column).
enum class Compare { within, at_least, at_most };
const char* to_string(Compare c);

// Whether predicted meets published under compare and tolerance (relative; absolute when
// published is 0); NaN never does.
bool passes(double published, Compare compare, double tolerance, double predicted);
// (predicted - published) / published; NaN when published is 0.
double relative_error_of(double published, double predicted);

}  // namespace wb::study::schema::reference
