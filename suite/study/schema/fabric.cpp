#include "study/schema/fabric.hpp"

namespace wb::study::schema::fabric {

const TableSpec& table() {
  static const TableSpec t("fabric", {
      &case_name, &origin, &chip, &mapping, &p_rows, &p_cols, &m, &n, &batch, &sparsity, &statistic, &cycles,
      &cycles_max, &cycles_mean, &launch_cycles, &time_s, &repeats, &sampled_outputs, &sampled_steps, &fabric_width, &fabric_height, &pe_cycles,
      &busy_pe_cycles, &stall_in_pe_cycles, &stall_out_pe_cycles, &idle_pe_cycles, &utilisation, &sram_bytes_max,
      &check_error, &wall_s, &pe_cycles_per_s, &ranks, &published_cycles, &relative_error
  });
  return t;
}

}  // namespace wb::study::schema::fabric

namespace wb::study::schema::fabric_heatmap {

const TableSpec& table() {
  static const TableSpec t("fabric_heatmap", {&case_name, &x, &y, &bin_width, &bin_height, &busy_fraction});
  return t;
}

}  // namespace wb::study::schema::fabric_heatmap
