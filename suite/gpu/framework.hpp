#pragma once
// The software stack's memory conventions (DeepSpeed + PyTorch by default), from
// inputs/frameworks/<name>.yaml. The same memory model reproduces three published accountings:
//   zero-paper    Rajbhandari et al. SC'20 Sec. 5: model states only, K = 12 bytes/param of
//                 optimizer state, no buffers;
//   ds-estimator  DeepSpeed's estimate_zero{2,3}_model_states_mem_needs (stage_1_and_2.py,
//                 stage3.py): fp32 gradient partition, full fp16 gradients under ZeRO-2, 4x the
//                 largest layer under ZeRO-3, host figures x additional_buffer_factor;
//   runtime       what a DeepSpeed run holds at its peak: the above plus gradient buckets,
//                 ZeRO-3 prefetch, CUDA context and host process overhead.
#include <optional>
#include <string>
#include <vector>

#include "gpu/perf_spec.hpp"
#include "gpu/strategy.hpp"
#include "io/figure.hpp"
#include "io/yaml_reader.hpp"

namespace wb::gpu {

enum class Accounting { zero_paper, ds_estimator, runtime };
const char* to_string(Accounting a);

// What a framework can run (`supports:` of its file; all of it when the file says nothing): the
// strategy search ranks nothing else.
struct FrameworkSupport {
  std::vector<int> zero_stages{0, 1, 2, 3};
  int pipeline_max_zero = 1;  // highest ZeRO stage together with pipeline parallelism
  bool tensor_parallel = true;
  bool pipeline = true;
  bool offload = true;        // optimizer (and, under ZeRO-3, parameter) offload to the host
  bool interleaved = false;   // Megatron's interleaved 1F1B (vp<N> model chunks per stage)
};

struct FrameworkSpec {
  std::string name;
  std::string display_name;
  Accounting accounting = Accounting::runtime;
  double optimizer_bytes_per_param = 12;   // fp32 master weights, Adam m and v
  double fp32_grad_bytes_per_param = 4;    // fp32 gradient partition fed to the optimizer
  double cuda_context_bytes = 0;           // per GPU process
  double ddp_bucket_bytes = 0;             // PyTorch DDP gradient bucket (ZeRO-0, several GPUs)
  double reduce_bucket_elements = 0;       // ZeRO-1/2/3 gradient reduce bucket
  double allgather_bucket_elements = 0;    // ZeRO-1/2 parameter all-gather bucket
  double prefetch_bucket_elements = 0;     // ZeRO-3 parameter prefetch
  double max_live_parameters = 0;          // ZeRO-3 parameters kept gathered before release
  // Bytes per parameter of the persistent 16-bit shards of sharded parameters (ZeRO-3) and
  // gradients (ZeRO-2/3) beside the fp32 states: 2 for DeepSpeed; 0 for PyTorch FSDP, which casts
  // a unit to 16 bits only while it is gathered or its gradients are reduced.
  double half_precision_shard_bytes = 2;
  double host_buffer_factor = 1.0;         // multiplies host-resident states
  double host_process_bytes = 0;           // host memory of one training/inference process
  FrameworkSupport support;
  std::optional<FrameworkTime> time;       // `time_model:` block, needed by the time model
  io::Provenance provenance;
};

// Empty when the framework can run the strategy; otherwise the reason, naming the framework.
std::string unsupported(const FrameworkSpec& f, const Strategy& s);

FrameworkSpec parse_framework(const io::YamlValue& document, const std::string& name);

// The keys of a framework file (`waferbench list frameworks --keys`).
const io::KeyTable& framework_keys();

}  // namespace wb::gpu
