#pragma once
// The time model's hardware and software constants, each read from an input file with its
// source (see docs/gpu-time-model.md):
//   GpuPerf       `performance:` block of a GPU file (inputs/systems/<gpu>.yaml): kernel-level
//                 efficiencies of the roofline;
//   NodePerf      `performance:` block of a node file: host CPU (Adam rate, memory bandwidth),
//                 PCIe topology, collective latencies and efficiencies, reliability;
//   FrameworkTime `time_model:` block of a framework file (inputs/frameworks/<name>.yaml):
//                 how the software schedules work (kernel dispatch, attention kernel, gradient
//                 reduction overlap, optimizer passes).
// A memory study needs none of them; a training or inference study stops with an InputError
// naming the missing block.
#include <cstdint>
#include <optional>
#include <string>

#include "io/figure.hpp"
#include "io/key_spec.hpp"
#include "io/yaml_reader.hpp"

namespace wb::gpu {

struct GpuPerf {
  std::int64_t sm_count = 0;        // streaming multiprocessors (wave quantization)
  double l2_bandwidth = 0;          // L2 -> SM bandwidth, bytes/s: bounds small GEMM tiles
  double gemm_efficiency = 0;       // fraction of peak FP16 reached by a large GEMM in full waves
  double gemm_k_overhead = 0;       // per-tile prologue/epilogue in K elements: efficiency K/(K+k0)
  double memory_efficiency = 0;     // fraction of HBM bandwidth reached by streaming kernels
  double kernel_gap_s = 0;          // idle time of the GPU between two dependent kernels
  // Of the fraction of peak a fused attention kernel written for Ampere (mma.sync, cp.async:
  // FlashAttention v1/v2, Triton before Hopper support) reaches on an A100, the share it keeps
  // on this GPU, whose peak needs instructions that kernel does not issue. 1: the same.
  double ampere_kernel_fraction = 1;
  // An NCCL collective running beside compute (ZeRO-3 prefetch, overlapped gradient buckets)
  // holds one SM per channel for its whole duration and moves its data through HBM: kernels
  // that run meanwhile get the other SMs and what is left of the bandwidth. 0: not modelled.
  std::int64_t collective_sms = 0;
  double collective_hbm_bytes_per_byte = 0;  // HBM traffic per byte a GPU sends or receives
};

struct NodePerf {
  // Host CPU.
  double adam_params_per_s_per_core = 0;  // DeepSpeed CPU-Adam update rate of one core
  double host_stream_bandwidth = 0;       // achievable host memory bandwidth, bytes/s, whole node
  // PCIe.
  double pcie_achievable = 0;             // pinned host<->device copy bandwidth of one GPU, bytes/s
  std::int64_t gpus_per_pcie_switch = 1;  // GPUs sharing one uplink to the CPU
  double pcie_latency_s = 0;              // setup of one copy
  // Collectives (NCCL): per-step latency and achieved fraction of link bandwidth.
  double intra_latency_s = 0;
  double intra_efficiency = 0;
  double net_latency_s = 0;
  double net_efficiency = 0;
  // Reliability of the whole-run model.
  double gpu_mtbf_s = 0;                  // 0: GPUs never fail
  double node_mtbf_s = 0;                 // 0: nodes never fail
  double straggler_cv = 0;                // coefficient of variation of per-device speed
  double checkpoint_write_bandwidth = 0;  // per node, bytes/s
  double restart_s = 0;                   // from a failure to resumed training
  double storage_read_bandwidth = 0;      // loading checkpoints (inference), bytes/s
};

enum class Attention { unfused, flash };
// overlapped: buckets reduced during the backward pass (DeepSpeed, PyTorch DDP); after_backward:
// one reduction after the pipeline (Megatron local DDP); per_module: each module's gradients
// reduce-scattered as soon as its backward ends, every micro-batch (PyTorch FSDP).
enum class GradReduce { overlapped, after_backward, overlapped_without_pipeline, per_module };
// How ZeRO-3 fetches a layer's parameters: one all-gather of the whole layer (PyTorch FSDP, one
// unit per block) or one per parameterised submodule (DeepSpeed's PartitionedParameterCoordinator
// fetches each nn.Module's parameters from its pre-forward/pre-backward hook).
enum class Zero3Gather { per_layer, per_submodule };
// Pipeline transfers: Megatron-LM's schedule sends on its own stream and, with tensor
// parallelism, 1/t of the activation per rank across nodes followed by an NVLink all-gather
// (SC'21 Sec. 4.1); DeepSpeed's PipelineEngine executes each send as an instruction of its
// schedule, the compute stream waiting for it, and every tensor-parallel rank sends the whole
// activation.
enum class PipelineP2p { megatron, deepspeed };

struct FrameworkTime {
  double cpu_dispatch_s = 0;              // host time to launch one kernel (eager framework)
  Attention attention = Attention::unfused;
  // FlashAttention: the fraction of the dense FP16/BF16 peak its fused kernel reaches, forward and
  // backward (the kernel is bound by its softmax and on-chip traffic, not by a GEMM's tiles).
  double flash_forward_efficiency = 0;
  double flash_backward_efficiency = 0;
  // The fused kernel is written for Hopper (cuDNN's, through Transformer Engine): its efficiencies are
  // H100 figures and the GPU's ampere_kernel_fraction does not apply.
  bool flash_kernel_hopper = false;
  GradReduce grad_reduce = GradReduce::overlapped;
  Zero3Gather zero3_gather = Zero3Gather::per_layer;
  PipelineP2p pipeline_p2p = PipelineP2p::megatron;
  double grad_bytes_per_param = 0;            // bytes per gradient element in the data-parallel reduction
  double gpu_optimizer_bytes_per_param = 0;   // HBM traffic of the fused Adam step, per parameter
  double cpu_optimizer_bytes_per_param = 0;   // host memory traffic of CPU-Adam + clipping, per parameter
  double offload_grad_bytes_per_param = 0;    // bytes per gradient element copied device->host
  double step_overhead_s = 0;             // per-iteration work outside the model (loader, logging)
  double microbatch_overhead_s = 0;       // host work per micro-batch and stage (batch fetch, loss, schedule)
};

// Figures of a node's `performance:` block that the node file states itself (measured by
// `waferbench calibrate`, docs/calibration.md) and that therefore may be left out of the block:
// the node's figure takes precedence (gpu/hardware.hpp, apply_node_figures).
struct NodePerfSuperseded {
  bool adam_rate = false;         // cpu.adam_params_per_s_per_core
  bool host_bandwidth = false;    // cpu.memory_bandwidth, measured
  bool network = false;           // network.allreduce_* and network.p2p_*
};

// Parse the optional blocks; `prov` receives the figures (for sources and assumptions).
GpuPerf parse_gpu_perf(io::YamlMap& block, io::Provenance& prov);
NodePerf parse_node_perf(io::YamlMap& block, io::Provenance& prov, const NodePerfSuperseded& superseded = {});
FrameworkTime parse_framework_time(io::YamlMap& block, io::Provenance& prov);

// The keys of those blocks, below the block (`waferbench list systems|frameworks --keys`).
const io::KeyTable& gpu_perf_keys();
const io::KeyTable& node_perf_keys();
const io::KeyTable& framework_time_keys();

}  // namespace wb::gpu
