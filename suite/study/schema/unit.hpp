#pragma once
// What the numbers of a result column measure. The `units` attribute written beside the column
// and the dimension a published value for it is read in (a study's `references:`) both follow
// from the unit, so neither is ever typed twice.
#include <optional>
#include <string>

#include "io/units.hpp"

namespace wb::study::schema {

enum class Unit {
  label,            // text, no unit: ""
  one,              // dimensionless count, flag or fraction: "1"
  tokens,           // "tokens"
  bytes,            // "bytes"
  seconds,          // "s"
  flop,             // "FLOP"
  tokens_per_s,     // "tokens/s"
  flop_per_s,       // "FLOP/s"
  cycles,           // "cycles" of a wafer's clock
  pes,              // "PEs": processing elements of a wafer's fabric
  pe_cycles,        // "PE-cycles"
  pe_cycles_per_s,  // "PE-cycles/s"
  as_stated,        // "see units": the row's `units` column says (/reference published, predicted)
};

// The `units` attribute of a column of this unit.
const char* unit_string(Unit unit);

// The unit a `units` attribute names; none for a string no declaration writes (a file from
// another program).
std::optional<Unit> unit_from_string(const std::string& units);

// The dimension a published value for a column of this unit is read in: "40GiB" for bytes,
// "3.5d" for seconds, "2.6e18" FLOP; other units take plain numbers in the column's unit.
io::Dim input_dim(Unit unit);

}  // namespace wb::study::schema
