#include "gpu/framework.hpp"

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
        {"time_model", V::block, Dim::count, false, "the framework's figures for the time model (needed to time training)"},
    };
    io::append(k, io::under("time_model", framework_time_keys()));
    return k;
  }();
  return keys;
}

}  // namespace wb::gpu
