#include "wafer/fabric_model.hpp"

#include <cmath>

namespace wb::wafer {

namespace {

std::int64_t read_integer(io::YamlMap& block, const std::string& key, io::Provenance& p, std::int64_t lo,
                          std::int64_t hi) {
  const io::Figure f = io::read_figure(block, key, io::Dim::count, false);
  if (f.value != std::floor(f.value) || f.value < static_cast<double>(lo) || f.value > static_cast<double>(hi))
    block.required(key).fail("expected a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got " +
                             f.text);
  return static_cast<std::int64_t>(p.add(f));
}

}  // namespace

FabricModel parse_fabric_model(io::YamlMap& root, io::Provenance& provenance) {
  FabricModel m;
  auto v = root.optional("fabric_model");
  if (!v) return m;
  io::YamlMap block(*v);
  m.present = true;
  m.queue_depth = read_integer(block, "queue_depth", provenance, 1, 255);
  m.pe_queue_depth = read_integer(block, "pe_queue_depth", provenance, 1, 255);
  m.task_overhead = read_integer(block, "task_overhead", provenance, 0, 100000);
  m.read_cycles = read_integer(block, "read_cycles", provenance, 1, 1000);
  m.fit = block.required("fit").as_string();
  block.done();
  return m;
}

const io::KeyTable& fabric_model_keys() {
  using V = io::KeyValue;
  using io::Dim;
  static const io::KeyTable keys = {
      {"queue_depth", V::figure, Dim::count, true, "router input queue per colour, wavelets (1-255)"},
      {"pe_queue_depth", V::figure, Dim::count, true, "PE input queue per colour, wavelets (1-255)"},
      {"task_overhead", V::figure, Dim::count, true, "cycles from a task's trigger to its first instruction"},
      {"read_cycles", V::figure, Dim::count, true, "cycles an instruction spends per wavelet it reads from the fabric"},
      {"launch_overhead", V::figure, Dim::count, true, "fixed cycles per kernel outside the simulated fabric"},
      {"fit", V::text, Dim::count, true, "how the values were obtained (one line)"},
  };
  return keys;
}

}  // namespace wb::wafer
