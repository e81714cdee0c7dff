#include "study/schema/unit.hpp"

namespace wb::study::schema {

namespace {

constexpr Unit kAll[] = {Unit::label, Unit::one,          Unit::tokens, Unit::bytes,       Unit::seconds,
                         Unit::flop,  Unit::tokens_per_s, Unit::flop_per_s, Unit::cycles,
                         Unit::pes,   Unit::pe_cycles,    Unit::pe_cycles_per_s, Unit::as_stated};

}  // namespace

const char* unit_string(Unit unit) {
  switch (unit) {
    case Unit::label: return "";
    case Unit::one: return "1";
    case Unit::tokens: return "tokens";
    case Unit::bytes: return "bytes";
    case Unit::seconds: return "s";
    case Unit::flop: return "FLOP";
    case Unit::tokens_per_s: return "tokens/s";
    case Unit::flop_per_s: return "FLOP/s";
    case Unit::cycles: return "cycles";
    case Unit::pes: return "PEs";
    case Unit::pe_cycles: return "PE-cycles";
    case Unit::pe_cycles_per_s: return "PE-cycles/s";
    case Unit::as_stated: return "see units";
  }
  return "?";
}

std::optional<Unit> unit_from_string(const std::string& units) {
  for (Unit u : kAll)
    if (units == unit_string(u)) return u;
  return std::nullopt;
}

io::Dim input_dim(Unit unit) {
  switch (unit) {
    case Unit::bytes: return io::Dim::bytes;
    case Unit::seconds: return io::Dim::seconds;
    case Unit::flop: return io::Dim::flops;
    case Unit::flop_per_s: return io::Dim::flops_per_s;
    default: return io::Dim::count;
  }
}

}  // namespace wb::study::schema
