#include "study/plan/fabric_cases.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <tuple>

#include "model/transformer.hpp"
#include "study/plan/catalog.hpp"

namespace wb::study::plan {

namespace {

double parse_sparsity(const io::YamlValue& v) {
  const double x = io::read_fraction(v, "sparsity");
  if (x < 0 || x >= 1) v.fail("sparsity is the fraction of zero weights, from 0 up to (not including) 1");
  return x;
}

wafer::FabricMapping parse_mapping(const io::YamlValue& v) {
  const auto m = wafer::parse_fabric_mapping(v.as_string());
  if (!m) v.fail("unknown mapping '" + v.as_string() + "'; expected chain, allreduce or weight-streaming");
  return *m;
}

const System& wafer_system(Catalog& catalog, const io::YamlValue& v) {
  const System& sys = catalog.system(v);
  if (sys.kind != SystemKind::wafer) v.fail("'" + sys.name + "' is a " + to_string(sys.kind) + " system; fabric cases need a wafer system");
  if (!sys.wafer()->fabric.present)
    v.fail("'" + sys.name + "' has no fabric_model block (queue depths, task overhead) in its system file");
  return sys;
}

std::string statistic_of(const io::YamlValue& v) {
  const std::string s = v.as_string();
  if (s != "max" && s != "mean") v.fail("statistic is max (the last PE to finish) or mean (mean PE completion)");
  return s;
}

// Validates a case against its chip now, so a bad study fails before any simulation.
void validate_at(const FabricCase& c, const io::YamlValue& where) {
  try {
    wafer::validate_case(c.spec, *c.system->wafer());
  } catch (const std::invalid_argument& e) {
    where.fail(c.name + ": " + e.what());
  }
}

FabricCase parse_case(const io::YamlValue& value, Catalog& catalog) {
  io::YamlMap m(value);
  FabricCase c;
  c.origin = "case";
  c.name = m.required("name").as_string();
  if (c.name.empty()) m.fail("a case needs a non-empty name");
  c.system = &wafer_system(catalog, m.required("system"));
  c.spec.mapping = parse_mapping(m.required("mapping"));
  c.spec.p_rows = m.required("rows").as_positive_int();
  c.spec.p_cols = m.required("cols").as_positive_int();
  c.spec.m = m.required("m").as_positive_int();
  c.spec.n = m.required("n").as_positive_int();
  if (auto v = m.optional("batch")) c.spec.batch = v->as_positive_int();
  if (auto v = m.optional("sparsity")) c.spec.sparsity = parse_sparsity(*v);
  if (auto v = m.optional("statistic")) c.statistic = statistic_of(*v);
  if (auto v = m.optional("whole_fabric")) c.spec.whole_fabric = v->as_bool();
  if (auto v = m.optional("sampled_outputs")) c.spec.sampled_outputs = v->as_positive_int();
  if (auto v = m.optional("sampled_steps")) c.spec.sampled_steps = v->as_positive_int();
  if (auto v = m.optional("group")) c.spec.group = v->as_positive_int();
  if (auto v = m.optional("repeats")) c.spec.repeats = v->as_positive_int();
  if (auto v = m.optional("warmup")) c.spec.warmup = v->as_int();
  if (auto v = m.optional("check")) c.spec.check = v->as_bool();
  if (auto v = m.optional("heatmap")) c.heatmap = v->as_bool();
  if (auto v = m.optional("published")) {
    io::YamlMap p(*v);
    FabricReference ref;
    ref.cycles = p.required("cycles").as_positive_quantity(io::Dim::count);
    const io::YamlValue tol = p.required("tolerance");
    ref.tolerance = io::read_fraction(tol, "tolerance");
    if (ref.tolerance < 0) tol.fail("tolerance must not be negative");
    ref.source = p.required("source").as_string();
    if (ref.source.empty()) p.fail("source must not be empty");
    if (auto n = p.optional("note")) ref.note = n->as_string();
    if (auto f = p.optional("fit")) ref.fit = f->as_bool();
    if (auto k = p.optional("known_miss")) ref.known_miss = k->as_string();
    p.done();
    c.published = ref;
  }
  m.done();
  validate_at(c, value);
  // A sampled shift GEMM runs s and 2s steps (fabric_runner.cpp): both must be below half the kernel.
  const std::int64_t steps = c.spec.mapping == wafer::FabricMapping::summa ? c.spec.p_rows : c.spec.p_rows - 1;
  if (c.spec.sampled_steps > 0 && 4 * c.spec.sampled_steps >= steps)
    value.fail(c.name + ": sampled_steps runs s and 2s steps, both below half the kernel's " + std::to_string(steps) +
               " steps: s must be below " + std::to_string((steps + 3) / 4));
  return c;
}

struct Gemm {
  std::string name;
  std::int64_t m, n;
};

// The weight GEMMs of one decoder layer and the LM head, y = x W with W [m, n].
std::vector<Gemm> gemms_of(const model::TransformerConfig& t) {
  const std::int64_t d = t.d_model, q = t.heads * t.d_head, kv = t.kv_heads * t.d_head;
  const std::int64_t up = t.mlp == model::Mlp::swiglu ? 2 * t.d_ffn : t.d_ffn;
  return {{"qkv", d, q + 2 * kv}, {"attn_out", q, d}, {"ffn_up", d, up}, {"ffn_down", t.d_ffn, d}, {"lm_head", d, t.vocab}};
}

std::string percent_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "s%g", std::round(s * 1000.0) / 10.0);
  return buf;
}

void parse_layer_sweep(const io::YamlValue& value, Catalog& catalog, std::vector<FabricCase>& out,
                       std::map<std::string, std::size_t>& by_name) {
  io::YamlMap sw(value);
  const std::string sweep = sw.required("name").as_string();
  const auto models = sw.required("models").as_list();
  const auto systems = sw.required("systems").as_list();
  const wafer::FabricMapping mapping = parse_mapping(sw.required("mapping"));
  const io::YamlValue passes_value = sw.required("passes");
  std::vector<std::string> passes;
  for (const auto& p : passes_value.as_list()) {
    const std::string s = p.as_string();
    if (s != "fwd" && s != "bwd-data") p.fail("pass is fwd (y = x W) or bwd-data (dx = dy W^T)");
    passes.push_back(s);
  }
  std::vector<std::string> only;
  if (auto g = sw.optional("gemms"))
    for (const auto& v : g->as_list()) {
      const std::string s = v.as_string();
      if (s != "qkv" && s != "attn_out" && s != "ffn_up" && s != "ffn_down" && s != "lm_head")
        v.fail("unknown GEMM '" + s + "'; expected qkv, attn_out, ffn_up, ffn_down or lm_head");
      only.push_back(s);
    }
  std::vector<double> sparsities{0.0};
  if (auto s = sw.optional("sparsity")) {
    sparsities.clear();
    for (const auto& v : s->as_list()) sparsities.push_back(parse_sparsity(v));
  }
  const std::int64_t tokens = sw.required("tokens").as_positive_int();
  std::int64_t rows = 0, cols = 0;
  const io::YamlValue rect = sw.required("rectangle");
  if (rect.is_scalar()) {
    if (rect.as_string() != "whole") rect.fail("rectangle is `whole` (the chip's fabric) or {rows: R, cols: C}");
  } else {
    io::YamlMap r(rect);
    rows = r.required("rows").as_positive_int();
    cols = r.required("cols").as_positive_int();
    r.done();
  }
  std::int64_t sampled = 0, sampled_steps = 0;
  if (auto v = sw.optional("sampled_outputs")) sampled = v->as_positive_int();
  if (auto v = sw.optional("sampled_steps")) sampled_steps = v->as_positive_int();
  std::string statistic = "max";
  if (auto v = sw.optional("statistic")) statistic = statistic_of(*v);
  sw.done();

  for (const auto& sys_value : systems) {
    const System& sys = wafer_system(catalog, sys_value);
    const wafer::WaferSpec& chip = *sys.wafer();
    for (const auto& model_value : models) {
      const model::TransformerConfig& t = catalog.model(model_value);
      for (const auto& g : gemms_of(t)) {
        if (!only.empty() && std::find(only.begin(), only.end(), g.name) == only.end()) continue;
        for (const auto& pass : passes) {
          for (double s : sparsities) {
            FabricCase c;
            c.system = &sys;
            c.statistic = statistic;
            c.spec.mapping = mapping;
            c.spec.m = pass == "fwd" ? g.m : g.n;
            c.spec.n = pass == "fwd" ? g.n : g.m;
            c.spec.batch = tokens;
            const auto whole = wafer::whole_fabric_rectangle(chip, mapping, c.spec.m, c.spec.n, tokens);
            c.spec.p_rows = rows ? rows : whole.first;
            c.spec.p_cols = cols ? cols : whole.second;
            c.spec.whole_fabric = rows == 0;
            c.spec.sparsity = s;
            c.spec.sampled_outputs = !wafer::is_shift_gemm(mapping) && sampled && 2 * sampled < c.spec.n ? sampled : 0;
            const std::int64_t steps = mapping == wafer::FabricMapping::summa ? c.spec.p_rows : c.spec.p_rows - 1;
            c.spec.sampled_steps = wafer::is_shift_gemm(mapping) && sampled_steps && 4 * sampled_steps < steps ? sampled_steps : 0;
            c.name = sys.name + "/" + wafer::to_string(mapping) + "/" + std::to_string(c.spec.m) + "x" +
                     std::to_string(c.spec.n) + "x" + std::to_string(tokens) + "/" + std::to_string(c.spec.p_rows) + "x" +
                     std::to_string(c.spec.p_cols) + "/" + percent_text(s);
            const std::string use = t.name + "." + g.name + "." + pass;
            auto it = by_name.find(c.name);
            if (it != by_name.end()) {
              out[it->second].origin += ", " + use;
              continue;
            }
            c.origin = sweep + ": " + use;
            validate_at(c, model_value);
            by_name[c.name] = out.size();
            out.push_back(std::move(c));
          }
        }
      }
    }
  }
}

}  // namespace

std::vector<FabricCase> parse_fabric_cases(io::YamlMap& root, Catalog& catalog) {
  std::vector<FabricCase> out;
  std::map<std::string, std::size_t> by_name;
  if (auto cases = root.optional("cases")) {
    for (const auto& v : cases->as_sequence()) {
      FabricCase c = parse_case(v, catalog);
      if (by_name.count(c.name)) v.fail("case '" + c.name + "' appears twice in the study");
      by_name[c.name] = out.size();
      out.push_back(std::move(c));
    }
  }
  if (auto sweeps = root.optional("layer_sweeps"))
    for (const auto& v : sweeps->as_sequence()) parse_layer_sweep(v, catalog, out, by_name);
  if (out.empty()) root.fail("a fabric study needs `cases:` or `layer_sweeps:` that expand to at least one case");
  return out;
}

const io::KeyTable& fabric_case_keys() {
  using V = io::KeyValue;
  using io::Dim;
  static const io::KeyTable keys = {
      {"cases", V::list, Dim::count, false, "fabric cases written one by one"},
      {"cases[].name", V::text, Dim::count, true, "the case's name (the /fabric row's key)"},
      {"cases[].system", V::word, Dim::count, true, "wafer system with a fabric_model block"},
      {"cases[].mapping", V::word, Dim::count, true, "chain, allreduce or weight-streaming"},
      {"cases[].rows", V::integer, Dim::count, true, "rows of the PE rectangle"},
      {"cases[].cols", V::integer, Dim::count, true, "columns of the PE rectangle"},
      {"cases[].m", V::integer, Dim::count, true, "inner dimension of y[batch, n] = x[batch, m] W[m, n]"},
      {"cases[].n", V::integer, Dim::count, true, "outputs"},
      {"cases[].batch", V::integer, Dim::count, false, "rows of x (tokens); default 1, a GEMV"},
      {"cases[].sparsity", V::fraction, Dim::count, false, "fraction of weights that are zero"},
      {"cases[].statistic", V::word, Dim::count, false, "max (last PE done, default) or mean (mean PE completion)"},
      {"cases[].whole_fabric", V::flag, Dim::count, false, "simulate the whole fabric, not only the rectangle"},
      {"cases[].sampled_outputs", V::integer, Dim::count, false,
       "simulate s and 2s outputs and extend the cycles linearly to n"},
      {"cases[].sampled_steps", V::integer, Dim::count, false,
       "shift GEMMs: simulate s and 2s of the kernel's steps and extend the cycles linearly"},
      {"cases[].group", V::integer, Dim::count, false, "meshgemv: rows per first-level reduction group (default round(sqrt(rows)))"},
      {"cases[].repeats", V::integer, Dim::count, false, "timed repeats run back to back; cycles are per repeat (default 1)"},
      {"cases[].warmup", V::integer, Dim::count, false, "untimed repeats before the timed ones (default 0)"},
      {"cases[].check", V::flag, Dim::count, false, "carry fp32 values and compare with a reference product"},
      {"cases[].heatmap", V::flag, Dim::count, false, "write the case's PE utilisation to /fabric_heatmap"},
      {"cases[].published", V::block, Dim::count, false, "a published cycle count to compare with"},
      {"cases[].published.cycles", V::quantity, Dim::count, true, "published cycles"},
      {"cases[].published.tolerance", V::fraction, Dim::count, true, "relative tolerance"},
      {"cases[].published.source", V::text, Dim::count, true, "where it is published"},
      {"cases[].published.note", V::text, Dim::count, false, "what the comparison assumes"},
      {"cases[].published.fit", V::flag, Dim::count, false, "takes part in fitting the fabric model (default true)"},
      {"cases[].published.known_miss", V::text, Dim::count, false,
       "why the model is known not to reproduce this figure (reported, not failed)"},
      {"layer_sweeps", V::list, Dim::count, false, "cases expanded from the weight GEMMs of models"},
      {"layer_sweeps[].name", V::text, Dim::count, true, "the sweep's name (the origin column)"},
      {"layer_sweeps[].models", V::list, Dim::count, true, "model file stems"},
      {"layer_sweeps[].systems", V::list, Dim::count, true, "wafer systems"},
      {"layer_sweeps[].mapping", V::word, Dim::count, true, "chain, allreduce or weight-streaming"},
      {"layer_sweeps[].passes", V::list, Dim::count, true, "fwd (y = x W) and/or bwd-data (dx = dy W^T)"},
      {"layer_sweeps[].gemms", V::list, Dim::count, false, "qkv, attn_out, ffn_up, ffn_down, lm_head; default all"},
      {"layer_sweeps[].sparsity", V::list, Dim::count, false, "weight sparsities (fractions); default 0"},
      {"layer_sweeps[].tokens", V::integer, Dim::count, true, "tokens per product (the batch)"},
      {"layer_sweeps[].rectangle", V::block, Dim::count, true, "`whole` (the chip's fabric) or {rows, cols}"},
      {"layer_sweeps[].rectangle.rows", V::integer, Dim::count, true, "PE rows"},
      {"layer_sweeps[].rectangle.cols", V::integer, Dim::count, true, "PE columns"},
      {"layer_sweeps[].sampled_outputs", V::integer, Dim::count, false, "as for cases"},
      {"layer_sweeps[].statistic", V::word, Dim::count, false, "as for cases"},
      {"layer_sweeps[].sampled_steps", V::integer, Dim::count, false, "as for cases (shift GEMMs only)"},
  };
  return keys;
}

}  // namespace wb::study::plan
