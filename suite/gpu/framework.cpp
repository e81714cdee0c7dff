#include "gpu/framework.hpp"

#include <algorithm>

namespace wb::gpu {

using io::Dim;

const char* to_string(Accounting a) {
  switch (a) {
    case Accounting::zero_paper: return "zero-paper";
    case Accounting::ds_estimator: return "ds-estimator";
    case Accounting::runtime: return "runtime";
  }
  return "?";
}

std::string unsupported(const FrameworkSpec& f, const Strategy& s) {
  const FrameworkSupport& u = f.support;
  if (std::find(u.zero_stages.begin(), u.zero_stages.end(), s.zero_stage) == u.zero_stages.end())
    return f.name + " does not run ZeRO stage " + std::to_string(s.zero_stage);
  if (s.tp > 1 && !u.tensor_parallel) return f.name + " has no tensor parallelism";
  if (s.pp > 1 && !u.pipeline) return f.name + " has no pipeline parallelism";
  if (s.pp > 1 && s.zero_stage > u.pipeline_max_zero)
    return f.name + " runs pipeline parallelism with ZeRO stage " + std::to_string(u.pipeline_max_zero) + " at most";
  if ((s.offload_optimizer || s.offload_params) && !u.offload) return f.name + " has no CPU offload";
  if (s.virtual_stages > 1 && !u.interleaved) return f.name + " has no interleaved pipeline schedule";
  return {};
}

namespace {

FrameworkSupport parse_support(io::YamlMap m) {
  FrameworkSupport u;
  u.zero_stages.clear();
  for (const io::YamlValue& z : m.required("zero").as_list()) {
    const std::int64_t stage = z.as_int();
    if (stage < 0 || stage > 3) z.fail("a ZeRO stage is 0, 1, 2 or 3");
    u.zero_stages.push_back(static_cast<int>(stage));
  }
  u.pipeline_max_zero = static_cast<int>(m.required("pipeline_max_zero").as_int());
  u.tensor_parallel = m.required("tensor_parallel").as_bool();
  u.pipeline = m.required("pipeline").as_bool();
  u.offload = m.required("offload").as_bool();
  if (auto v = m.optional("interleaved")) u.interleaved = v->as_bool();
  m.required("source").as_string();  // every capability claim names where it comes from
  m.done();
  return u;
}

}  // namespace

FrameworkSpec parse_framework(const io::YamlValue& document, const std::string& name) {
  io::YamlMap root(document);
  io::check_schema_version(root);
  FrameworkSpec f;
  f.name = name;
  f.provenance.file = document.file();
  auto& p = f.provenance;
  f.display_name = root.required("name").as_string();
  const io::YamlValue acc = root.required("accounting");
  const std::string a = acc.as_string();
  if (a == "zero-paper") f.accounting = Accounting::zero_paper;
  else if (a == "ds-estimator") f.accounting = Accounting::ds_estimator;
  else if (a == "runtime") f.accounting = Accounting::runtime;
  else acc.fail("unknown accounting '" + a + "'; expected zero-paper, ds-estimator or runtime");

  f.optimizer_bytes_per_param = p.add(io::read_figure(root, "optimizer_bytes_per_param", Dim::count));
  f.fp32_grad_bytes_per_param = p.add(io::read_figure(root, "fp32_grad_bytes_per_param", Dim::count, false));
  f.host_buffer_factor = p.add(io::read_figure(root, "host_buffer_factor", Dim::count));
  if (f.accounting == Accounting::runtime) {
    f.cuda_context_bytes = p.add(io::read_figure(root, "cuda_context", Dim::bytes));
    f.ddp_bucket_bytes = p.add(io::read_figure(root, "ddp_bucket", Dim::bytes));
    f.reduce_bucket_elements = p.add(io::read_figure(root, "reduce_bucket_elements", Dim::count));
    f.allgather_bucket_elements = p.add(io::read_figure(root, "allgather_bucket_elements", Dim::count));
    f.prefetch_bucket_elements = p.add(io::read_figure(root, "prefetch_bucket_elements", Dim::count));
    f.max_live_parameters = p.add(io::read_figure(root, "max_live_parameters", Dim::count));
    f.host_process_bytes = p.add(io::read_figure(root, "host_process", Dim::bytes));
  }
  if (auto sup = root.optional("supports")) f.support = parse_support(io::YamlMap(*sup));
  if (root.has("time_model")) {
    io::YamlMap tm = root.required_map("time_model");
    f.time = parse_framework_time(tm, p);
  }
  root.done();
  return f;
}

}  // namespace wb::gpu
