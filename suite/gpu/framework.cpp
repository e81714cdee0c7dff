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
    if (auto h = io::read_optional_figure(root, "half_precision_shard_bytes", Dim::count, false))
      f.half_precision_shard_bytes = p.add(*h);
  }
  if (auto sup = root.optional("supports")) f.support = parse_support(io::YamlMap(*sup));
  if (root.has("time_model")) {
    io::YamlMap tm = root.required_map("time_model");
    f.time = parse_framework_time(tm, p);
  }
  root.done();
  return f;
}

const io::KeyTable& framework_keys() {
  using V = io::KeyValue;
  static const io::KeyTable keys = [] {
    io::KeyTable k = {
        {"schema_version", V::integer, Dim::count, true, "input schema version (1)"},
        {"name", V::text, Dim::count, true, "the framework's name and version"},
        {"accounting", V::word, Dim::count, true,
         "zero-paper (model states only), ds-estimator (DeepSpeed's estimator) or runtime (what a run allocates)"},
        {"optimizer_bytes_per_param", V::figure, Dim::count, true, "optimizer states per parameter: fp32 master weights, Adam m and v"},
        {"fp32_grad_bytes_per_param", V::figure, Dim::count, true, "fp32 gradient partition fed to the optimizer, per parameter"},
        {"host_buffer_factor", V::figure, Dim::count, true, "multiplies host-resident states (pinned buffers)"},
        {"cuda_context", V::figure, Dim::bytes, false, "CUDA context and workspaces per GPU process (accounting: runtime)"},
        {"ddp_bucket", V::figure, Dim::bytes, false, "PyTorch DDP gradient bucket, ZeRO-0 on several GPUs (accounting: runtime)"},
        {"reduce_bucket_elements", V::figure, Dim::count, false, "ZeRO-1/2/3 gradient reduce bucket (accounting: runtime)"},
        {"allgather_bucket_elements", V::figure, Dim::count, false, "ZeRO-1/2 parameter all-gather bucket (accounting: runtime)"},
        {"prefetch_bucket_elements", V::figure, Dim::count, false, "ZeRO-3 parameter prefetch (accounting: runtime)"},
        {"max_live_parameters", V::figure, Dim::count, false,
         "ZeRO-3 parameters kept gathered before release (accounting: runtime)"},
        {"host_process", V::figure, Dim::bytes, false, "host memory of one training or inference process (accounting: runtime)"},
        {"half_precision_shard_bytes", V::figure, Dim::count, false,
         "bytes per parameter of the persistent 16-bit parameter/gradient shards beside the fp32 states (default 2, DeepSpeed; 0 for FSDP) (accounting: runtime)"},
        {"supports", V::block, Dim::count, false, "what the framework can run (default: everything); the search ranks nothing else"},
        {"supports.zero", V::list, Dim::count, true, "the ZeRO stages it runs (0-3)"},
        {"supports.pipeline_max_zero", V::integer, Dim::count, true, "highest ZeRO stage together with pipeline parallelism"},
        {"supports.tensor_parallel", V::flag, Dim::count, true, "it has tensor parallelism"},
        {"supports.pipeline", V::flag, Dim::count, true, "it has pipeline parallelism"},
        {"supports.interleaved", V::flag, Dim::count, false, "it has the interleaved (virtual-stage) pipeline schedule (default false)"},
        {"supports.offload", V::flag, Dim::count, true, "it offloads the optimizer (and under ZeRO-3 parameters) to the host"},
        {"supports.source", V::text, Dim::count, true, "where these capabilities are documented"},
        {"time_model", V::block, Dim::count, false, "the framework's figures for the time model (needed to time training)"},
    };
    io::append(k, io::under("time_model", framework_time_keys()));
    return k;
  }();
  return keys;
}

}  // namespace wb::gpu
