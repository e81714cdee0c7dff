// Validation of the wafer model's sparsity speed-ups against the CS-1 measurements (Hot Chips 32,
// 2020): reads tests/validation/cs1_sparsity.yaml, prints predicted, published and error for each
// case, and exits 3 when a case misses its tolerance (2 for bad input), like `run --check`.
//   wb_validate_sparsity <cs1_sparsity.yaml> <inputs dir>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "io/error.hpp"
#include "io/figure.hpp"
#include "io/file_source.hpp"
#include "study/plan/catalog.hpp"
#include "study/record/report.hpp"
#include "wafer/fc_network.hpp"

namespace {

double percent_value(const wb::io::YamlValue& v) {
  std::string s = v.as_string();
  double scale = 1.0;
  if (!s.empty() && s.back() == '%') {
    s.pop_back();
    scale = 0.01;
  }
  return wb::io::parse_quantity(s, wb::io::Dim::count) * scale;
}

int run(const std::string& path, const std::string& inputs) {
  wb::io::LocalFiles files;
  const auto text = files.read(path);
  if (!text) throw wb::io::InputError(path + ": cannot read");
  const auto doc = wb::io::parse_yaml(*text, path);
  wb::io::YamlMap root(doc);
  wb::io::check_schema_version(root);
  const std::string title = root.required("title").as_string();
  root.optional("description");
  wb::study::plan::Catalog catalog(inputs, files);
  const auto& system = catalog.system(root.required("system"));
  if (!system.wafer()) root.fail("system must be a wafer system");
  wb::io::YamlMap net = root.required_map("network");
  wb::io::Provenance prov;
  wb::wafer::FcNetwork fc;
  fc.layers = static_cast<std::int64_t>(prov.add(wb::io::read_figure(net, "layers", wb::io::Dim::count)));
  fc.width = static_cast<std::int64_t>(prov.add(wb::io::read_figure(net, "width", wb::io::Dim::count)));
  const double relu_density = prov.add(wb::io::read_figure(net, "relu_density", wb::io::Dim::count));
  net.done();
  fc.training = root.required("training").as_bool();
  const wb::wafer::CycleModel cycles(*system.wafer());
  auto cycles_of = [&](wb::io::YamlMap& c) {
    wb::wafer::FcNetwork n = fc;
    n.weight_density = 1.0 - c.required("weight_sparsity").as_number();
    n.activation_density = c.required("relu").as_bool() ? relu_density : 1.0;
    return wb::wafer::fc_cycles_per_token(n, cycles);
  };
  wb::io::YamlMap base(root.required("baseline"));
  const double dense = cycles_of(base);
  base.done();

  std::vector<std::vector<std::string>> rows;
  int missed = 0;
  for (const auto& cv : root.required("cases").as_sequence()) {
    wb::io::YamlMap c(cv);
    const std::string name = c.required("name").as_string();
    const double predicted = dense / cycles_of(c);
    const double published = c.required("speedup").as_number();
    const double tolerance = percent_value(c.required("tolerance"));
    const std::string source = c.required("source").as_string();
    c.done();
    const double error = (predicted - published) / published;
    const bool ok = std::fabs(error) <= tolerance;
    missed += ok ? 0 : 1;
    char p[32], q[32], e[32], t[32];
    std::snprintf(p, sizeof p, "%.2fx", predicted);
    std::snprintf(q, sizeof q, "%.2fx", published);
    std::snprintf(e, sizeof e, "%+.1f%%", 100.0 * error);
    std::snprintf(t, sizeof t, "within %.0f%%", 100.0 * tolerance);
    rows.push_back({name, q, p, e, t, ok ? "ok" : "MISS", source});
  }
  root.done();
  std::cout << title << " (" << system.name << ", " << fc.layers << " layers of " << fc.width << ", "
            << (fc.training ? "training" : "forward") << ")\n";
  wb::study::record::print_aligned(std::cout, {"case", ">published", ">predicted", ">error", "tolerance", "check", "source"}, rows);
  std::cout << "Assumptions:\n";
  for (const auto& a : prov.assumptions()) std::cout << "  - " << path << ": " << a.substr(a.find(':') + 2) << "\n";
  for (const auto& a : system.wafer()->provenance.assumptions()) std::cout << "  - " << a << "\n";
  return missed > 0 ? 3 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: wb_validate_sparsity <cs1_sparsity.yaml> <inputs dir>\n";
    return 2;
  }
  try {
    return run(argv[1], argv[2]);
  } catch (const wb::io::InputError& e) {
    std::cerr << "wb_validate_sparsity: error: " << e.what() << "\n";
    return 2;
  }
}
