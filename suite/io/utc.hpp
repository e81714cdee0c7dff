#pragma once
// The current time as ISO-8601 UTC ("2026-11-24T01:18:30Z"): result files' created_utc,
// measured figures' date.
#include <string>

namespace wb::io {

std::string utc_now();

}  // namespace wb::io
