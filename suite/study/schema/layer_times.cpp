#include "study/schema/layer_times.hpp"

namespace wb::study::schema::layer_times {

const TableSpec& table() {
  static const TableSpec t("layer_times", {&scenario_index, &scenario_id, &layer, &name, &stage, &forward_s, &backward_s,
                                           &tp_comm_s, &gather_s, &contended_s});
  return t;
}

}  // namespace wb::study::schema::layer_times
