#include "study/schema/wafer_layers.hpp"

namespace wb::study::schema::wafer_layers {

const TableSpec& table() {
  static const TableSpec t("wafer_layers", {&scenario_index, &scenario_id, &layer, &name, &kind, &cycles, &time_s, &bound,
                                            &source, &kernels, &compute_s, &stream_s});
  return t;
}

}  // namespace wb::study::schema::wafer_layers
