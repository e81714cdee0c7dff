// The weight-streaming mapping (fabric_program.hpp): activations resident, weights streamed in
// from the west wafer edge, partial sums reduced down each column after every output.
#include <stdexcept>

#include "wafer/fabric_builder.hpp"
#include "wafer/fabric_mappings.hpp"

namespace wb::wafer::fabric {

namespace {

// Per-PE slots.
enum Slot { kTokens = 0, kInner, kInnerRow0 };

}  // namespace

void build_weight_streaming(const FabricCaseSpec& spec, FabricProgram& prog) {
  auto& mesh = prog.mesh;
  const std::uint32_t zthr = prog.zero_threshold, seed_x = prog.seed_x, seed_w = prog.seed_w;
  const std::int64_t pr = spec.p_rows, pcn = spec.p_cols, B = spec.batch;
  const std::int64_t outputs = spec.sampled_outputs ? spec.sampled_outputs : spec.n;
  prog.outputs = outputs;
  const std::int64_t bt = ceil_div(B, pcn), mt = ceil_div(spec.m, pr);
  const std::int32_t x_off = 0;
  const std::int32_t acc_off = static_cast<std::int32_t>(bt * mt);
  const std::int32_t y_off = static_cast<std::int32_t>(acc_off + bt);
  mesh.config.colours = 3;
  mesh.config.sram_words = spec.check ? static_cast<int>(y_off + bt * outputs) : 0;
  // Colours: WR the weights along each row; D0/D1 the partial sums down each column.
  constexpr int WR = 0, D0 = 1, D1 = 2;
  auto dcol = [](std::int64_t i) { return (i % 2 == 0) ? D0 : D1; };
  fk::Op inject = make(fk::kInject, fk::kAsync, -1, WR);
  inject.n = static_cast<std::int32_t>(outputs);
  inject.rows = fk::slot_ref(kInner);
  inject.row0 = fk::slot_ref(kInnerRow0);
  inject.col0 = 0;
  inject.seed = seed_w;
  inject.zero_threshold = zthr;
  inject.period = 1;
  Tables tables;
  std::vector<int> prog_of[2];
  std::vector<int> routes_of[3];
  for (auto& v : prog_of) v.resize(static_cast<std::size_t>(pr));
  for (auto& v : routes_of) v.resize(static_cast<std::size_t>(pr));
  for (std::int64_t i = 0; i < pr; ++i) {
    fk::Op gemm = make(fk::kStreamGemm, fk::kActivate, WR, i + 1 < pr ? dcol(i) : -1);
    gemm.cin2 = static_cast<std::int8_t>(i > 0 ? dcol(i - 1) : -1);
    gemm.n = static_cast<std::int32_t>(outputs);
    gemm.len = fk::slot_ref(kTokens);
    gemm.rows = fk::slot_ref(kInner);
    gemm.row0 = fk::slot_ref(kInnerRow0);
    gemm.col0 = 0;
    gemm.a = x_off;
    gemm.b = y_off;
    gemm.c = acc_off;
    gemm.seed = seed_w;
    gemm.zero_threshold = zthr;
    // The stream accumulators restart at zero after every output: repeats need no clearing.
    prog_of[1][static_cast<std::size_t>(i)] = tables.program(with_repeats({inject, gemm}, spec.warmup, spec.repeats, {}));
    prog_of[0][static_cast<std::size_t>(i)] = tables.program(with_repeats({gemm}, spec.warmup, spec.repeats, {}));
    RouteTable r{};
    if (i + 1 < pr) r[dcol(i)] = rt(fk::kRamp, S);
    if (i > 0) r[dcol(i - 1)] = rt(fk::kNorth, R);
    for (int col = 0; col < 3; ++col) {
      RouteTable rr = r;
      const bool is_west = col == 0, is_east = col == 2 || pcn == 1;
      rr[WR] = rt(is_west ? fk::kRamp : fk::kWest, static_cast<std::uint8_t>(R | (is_east ? 0 : E)));
      routes_of[col][static_cast<std::size_t>(i)] = tables.route(rr);
    }
  }
  if (spec.check) {
    prog.results.assign(static_cast<std::size_t>(B * outputs), {});
    for (std::int64_t j = 0; j < pcn; ++j) {
      const auto [b0, nb] = part(B, j, pcn);
      for (std::int64_t t = 0; t < nb; ++t)
        for (std::int64_t o = 0; o < outputs; ++o)
          prog.results[static_cast<std::size_t>((b0 + t) * outputs + o)].push_back(
              {static_cast<int>(j), static_cast<int>(pr - 1), static_cast<std::int32_t>(y_off + o * nb + t)});
    }
  }
  const bool check = spec.check;
  const std::int64_t m = spec.m;
  mesh.setup = [=](int gx, int gy, sim::PeSetup& pe) {
    if (gx >= pcn || gy >= pr) return;
    const auto [b0, nb] = part(B, gx, pcn);
    const auto [r0, nr] = part(m, gy, pr);
    const int col_kind = gx == 0 ? 0 : (gx + 1 == pcn ? 2 : 1);
    pe.route_id = routes_of[col_kind][static_cast<std::size_t>(gy)];
    pe.prog_id = prog_of[gx == 0 ? 1 : 0][static_cast<std::size_t>(gy)];
    pe.slots[kTokens] = static_cast<std::int32_t>(nb);
    pe.slots[kInner] = static_cast<std::int32_t>(nr);
    pe.slots[kInnerRow0] = static_cast<std::int32_t>(r0);
    if (check)
      for (std::int64_t t = 0; t < nb; ++t)
        for (std::int64_t k = 0; k < nr; ++k)
          pe.sram[x_off + t * nr + k] = static_cast<float>(reference_input(b0 + t, r0 + k, seed_x));
  };
  mesh.routes = tables.routes;
  mesh.programs = tables.programs;
}

}  // namespace wb::wafer::fabric
