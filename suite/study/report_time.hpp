#pragma once
// The time model's part of a report: step time and its breakdown, time to train (training
// studies) or time to generate (inference studies).
#include <ostream>
#include <string>

#include "io/table.hpp"

namespace wb::study {

void print_time_tables(std::ostream& os, const io::Table& scenarios, const std::string& kind);

}  // namespace wb::study
