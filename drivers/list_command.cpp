#include "list_command.hpp"

#include <mpi.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "gpu/strategy.hpp"
#include "io/error.hpp"
#include "io/file_source.hpp"
#include "io/units.hpp"
#include "io/yaml_reader.hpp"
#include "model/model_yaml.hpp"
#include "model/transformer.hpp"
#include "study/plan/catalog.hpp"
#include "study/plan/study.hpp"
#include "study/record/table_output.hpp"
#include "wafer/wafer_strategy.hpp"

namespace wb::driver {

CLI::App* add_list_command(CLI::App& app, ListArgs& a) {
  auto* cmd = app.add_subcommand("list",
                                 "List the models, systems, studies or frameworks the inputs directory holds, or the "
                                 "words strategies are written with.\n"
                                 "Example: waferbench list systems --long\n"
                                 "Example: waferbench list studies --keys\n"
                                 "Example: waferbench list models --format json");
  cmd->add_option("what", a.what, "models | systems | studies | frameworks | strategies")
      ->required()
      ->check(CLI::IsMember({"models", "systems", "studies", "frameworks", "strategies"}));
  cmd->add_option("--inputs", a.inputs, "Inputs directory (default: $WAFERBENCH_INPUTS or the bundled one)");
  cmd->add_flag("--long", a.long_form,
                "More columns: for systems what a count counts (GPUs, nodes, wafer systems), memory, peak FP16 "
                "FLOP/s and bandwidths per device, network and host memory; for models the shapes");
  cmd->add_flag("--keys", a.keys,
                "The keys a file of this category is written with (models, systems, frameworks, studies): path, "
                "type and unit, whether required, meaning; as the parsers declare them");
  cmd->add_option("--format", a.format, "text (default) | json (numbers in SI units, null where none)")
      ->check(CLI::IsMember({"text", "json"}));
  return cmd;
}

namespace {

using Json = nlohmann::ordered_json;

// A column of a listing: its JSON key (SI unit in the name) and how the text table shows it.
struct Field {
  const char* key;
  const char* header;                 // ">" right-aligns (study::record::print_aligned)
  std::optional<io::Dim> dim;         // numbers shown with their unit; none: as written
};

// One listing: its columns and one JSON object per row, keyed by the columns' keys.
struct Listing {
  std::vector<Field> fields;
  std::vector<Json> rows;
};

std::string cell(const Json& v, const Field& f) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (f.dim) return io::format_quantity(v.get<double>(), *f.dim);
  return v.dump();
}

Json or_null(double v) { return v > 0 ? Json(v) : Json(nullptr); }

Listing models(study::plan::Catalog& catalog, bool long_form) {
  Listing l;
  l.fields = {{"name", "name", {}}, {"model", "model", {}}, {"params", ">params", {}}, {"layers", ">layers", {}},
              {"d_model", ">d_model", {}}, {"heads", ">heads", {}}};
  if (long_form)
    l.fields.insert(l.fields.end(), {{"kv_heads", ">kv_heads", {}}, {"d_ffn", ">d_ffn", {}}, {"vocab", ">vocab", {}},
                                     {"max_positions", ">positions", {}}, {"train_tokens", ">train tokens", io::Dim::count}});
  for (const auto& name : catalog.names("models")) {
    const model::TransformerConfig& m = catalog.model(name);
    l.rows.push_back({{"name", name}, {"model", m.display_name}, {"params", model::count_params(m).total},
                      {"layers", m.layers}, {"d_model", m.d_model}, {"heads", m.heads}, {"kv_heads", m.kv_heads},
                      {"d_ffn", m.d_ffn}, {"vocab", m.vocab}, {"max_positions", m.max_positions},
                      {"train_tokens", or_null(m.train_tokens)}, {"source", m.source}});
  }
  return l;
}

// Per device: one GPU, or one wafer; per count: what `counts:` in a study multiplies.
Json system_row(const std::string& name, const study::plan::System& s) {
  Json r = {{"name", name}, {"kind", study::plan::to_string(s.kind)}, {"system", s.display_name()}};
  if (const auto* g = s.gpu()) {
    r.update({{"counted_in", "GPUs"}, {"devices_per_count", 1}, {"memory_bytes", g->memory_bytes},
              {"peak_fp16_flops_per_s", g->peak_fp16_flops}, {"memory_bandwidth_bytes_per_s", g->memory_bandwidth},
              {"interconnect_bytes_per_s", or_null(g->nvlink_bandwidth)}, {"network_bytes_per_s", nullptr},
              {"host_memory_bytes", nullptr}});
  } else if (const auto* n = s.node()) {
    r.update({{"counted_in", "nodes of " + std::to_string(n->gpus) + " " + n->gpu.name}, {"devices_per_count", n->gpus},
              {"memory_bytes", n->gpu.memory_bytes}, {"peak_fp16_flops_per_s", n->gpu.peak_fp16_flops},
              {"memory_bandwidth_bytes_per_s", n->gpu.memory_bandwidth},
              {"interconnect_bytes_per_s", or_null(n->intra_bandwidth)},
              {"network_bytes_per_s", or_null(static_cast<double>(n->nics) * n->nic_bandwidth)},
              {"host_memory_bytes", or_null(n->host_memory_bytes)}});
  } else if (const auto* w = s.wafer()) {
    r.update({{"counted_in", "wafer systems"}, {"devices_per_count", 1}, {"memory_bytes", w->sram_bytes},
              {"peak_fp16_flops_per_s", w->peak_fp16_dense_flops}, {"memory_bandwidth_bytes_per_s", w->memory_bandwidth},
              {"interconnect_bytes_per_s", or_null(w->fabric_bandwidth)}, {"network_bytes_per_s", or_null(w->io_bandwidth)},
              {"host_memory_bytes", w->memoryx ? Json(w->memoryx->capacity_bytes) : Json(nullptr)}});
  }
  return r;
}

Listing systems(study::plan::Catalog& catalog, bool long_form) {
  Listing l;
  l.fields = {{"name", "name", {}}, {"kind", "kind", {}}};
  if (long_form)
    l.fields.insert(l.fields.end(),
                    {{"counted_in", "a count is", {}}, {"memory_bytes", ">memory/device", io::Dim::bytes},
                     {"peak_fp16_flops_per_s", ">FP16 peak/device", io::Dim::flops_per_s},
                     {"memory_bandwidth_bytes_per_s", ">memory BW", io::Dim::bytes_per_s},
                     {"interconnect_bytes_per_s", ">NVLink/fabric BW", io::Dim::bytes_per_s},
                     {"network_bytes_per_s", ">network/IO BW", io::Dim::bytes_per_s},
                     {"host_memory_bytes", ">host/MemoryX", io::Dim::bytes}});
  l.fields.push_back({"system", "system", {}});
  for (const auto& name : catalog.names("systems")) l.rows.push_back(system_row(name, catalog.system(name)));
  return l;
}

Listing studies(study::plan::Catalog& catalog, io::FileSource& files) {
  Listing l;
  l.fields = {{"name", "name", {}}, {"title", "title", {}}};
  for (const auto& name : catalog.names("studies")) {
    auto text = files.read(catalog.path("studies", name));
    std::string title;
    try {
      const auto doc = io::parse_yaml(text ? *text : std::string(), name);
      if (doc.is_map() && doc.node()["title"]) title = doc.node()["title"].Scalar();
    } catch (const io::InputError& e) {
      title = std::string("(unreadable: ") + e.what() + ")";
    }
    l.rows.push_back({{"name", name}, {"title", title}});
  }
  return l;
}

Listing frameworks(study::plan::Catalog& catalog) {
  Listing l;
  l.fields = {{"name", "name", {}}, {"accounting", "accounting", {}}, {"framework", "framework", {}}};
  for (const auto& name : catalog.names("frameworks")) {
    const auto& f = catalog.framework(name);
    l.rows.push_back({{"name", name}, {"accounting", gpu::to_string(f.accounting)}, {"framework", f.display_name}});
  }
  return l;
}

Listing strategies() {
  Listing l;
  l.fields = {{"systems", "systems", {}}, {"word", "word", {}}, {"meaning", "meaning", {}}};
  for (const auto& w : gpu::strategy_words()) l.rows.push_back({{"systems", "gpu"}, {"word", w.word}, {"meaning", w.meaning}});
  for (const auto& w : wafer::wafer_strategy_words())
    l.rows.push_back({{"systems", "wafer"}, {"word", w.word}, {"meaning", w.meaning}});
  return l;
}

// The keys of one kind of input file, as its parser declares them.
void add_keys(Listing& l, const std::string& file, const io::KeyTable& keys) {
  for (const io::KeySpec& k : keys)
    l.rows.push_back({{"file", file}, {"key", k.path}, {"value", io::value_text(k)},
                      {"required", k.required}, {"meaning", k.meaning}});
}

Listing keys(const std::string& what) {
  Listing l;
  l.fields = {{"file", "file", {}}, {"key", "key", {}}, {"value", "value", {}}, {"required", "required", {}},
              {"meaning", "meaning", {}}};
  if (what == "models") add_keys(l, "model", model::model_keys());
  if (what == "systems")
    for (auto kind : {study::plan::SystemKind::gpu, study::plan::SystemKind::node, study::plan::SystemKind::wafer})
      add_keys(l, std::string("system, kind: ") + study::plan::to_string(kind), study::plan::system_keys(kind));
  if (what == "frameworks") add_keys(l, "framework", gpu::framework_keys());
  if (what == "studies") add_keys(l, "study", study::plan::study_keys());
  return l;
}

void print(const Listing& l, const std::string& format) {
  if (format == "json") {
    std::cout << Json(l.rows).dump(2) << "\n";
    return;
  }
  std::vector<std::string> header;
  for (const auto& f : l.fields) header.push_back(f.header);
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : l.rows) {
    rows.emplace_back();
    for (const auto& f : l.fields) rows.back().push_back(cell(r.contains(f.key) ? r[f.key] : Json(nullptr), f));
  }
  study::record::print_aligned(std::cout, header, rows);
}

}  // namespace

int run_list(const ListArgs& a) {
  io::BroadcastFiles files(MPI_COMM_WORLD);
  study::plan::Catalog catalog(study::plan::resolve_inputs_dir(a.inputs, ""), files);
  if (a.keys && a.what == "strategies")
    throw io::InputError("list strategies --keys: strategies are words, not files; `waferbench list strategies` lists them");
  Listing l;
  if (a.keys) l = keys(a.what);
  else if (a.what == "models") l = models(catalog, a.long_form);
  else if (a.what == "systems") l = systems(catalog, a.long_form);
  else if (a.what == "studies") l = studies(catalog, files);
  else if (a.what == "frameworks") l = frameworks(catalog);
  else l = strategies();
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) print(l, a.format);
  std::cout << std::flush;
  return 0;
}

}  // namespace wb::driver
