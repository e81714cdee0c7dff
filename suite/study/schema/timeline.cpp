#include "study/schema/timeline.hpp"

namespace wb::study::schema::timeline {

const TableSpec& table() {
  static const TableSpec t("timeline", {&scenario_index, &scenario_id, &device, &stream, &kind, &start_s, &end_s});
  return t;
}

}  // namespace wb::study::schema::timeline
