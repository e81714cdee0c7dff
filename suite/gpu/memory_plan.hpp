#pragma once
// Memory of GPT training and inference on a GPU cluster: per device (the most loaded one) and
// per host node, as a breakdown. Model states follow the ZeRO paper (Rajbhandari et al. SC'20,
// Sec. 5) and DeepSpeed's implementation; activations follow Korthikanti et al. MLSys'23; the
// framework's conventions and constants come from inputs/frameworks (see framework.hpp).
#include <cstdint>
#include <string>
#include <vector>

#include "gpu/framework.hpp"
#include "gpu/hardware.hpp"
#include "gpu/strategy.hpp"
#include "model/transformer.hpp"
#include "model/workload.hpp"

namespace wb::gpu {

struct DeviceMemory {
  double params = 0;       // fp16/bf16 (or inference precision) weights resident on the GPU
  double grads = 0;        // gradients resident on the GPU
  double optimizer = 0;    // fp32 master weights, Adam moments, fp32 gradient partition
  double activations = 0;  // saved activations (training) or KV cache + working set (inference)
  double buffers = 0;      // communication buckets and temporaries
  double framework = 0;    // CUDA context and library workspaces
  double model_states() const { return params + grads + optimizer; }
  double total() const { return params + grads + optimizer + activations + buffers + framework; }
};

// Per node. The peak is the larger of the steady state and the start-up peak (every process
// materialising its weights in fp32 before they are sharded or copied to the GPU).
struct HostMemory {
  double params = 0;
  double grads = 0;
  double optimizer = 0;
  double buffers = 0;     // pinned staging buffers
  double processes = 0;   // one process per GPU: interpreter, libraries, CUDA runtime
  double init_peak = 0;   // start-up materialisation, whole node
  double steady() const { return params + grads + optimizer + buffers + processes; }
  double total() const { return steady() > init_peak + processes ? steady() : init_peak + processes; }
};

struct MemoryPlan {
  DeviceMemory device;
  HostMemory host;
  std::int64_t dp = 1;                // data-parallel degree
  std::int64_t critical_stage = 0;    // pipeline stage with the largest device footprint
  double params_per_device = 0;       // parameters held by that stage's GPU before ZeRO sharding
  double device_capacity = 0;
  double host_capacity = 0;           // NaN when the scenario names no host
  bool fits_device = false;
  bool fits_host = true;
  bool fits() const { return fits_device && fits_host; }
  std::vector<std::string> notes;     // assumptions this plan used
};

// Throws std::invalid_argument when the strategy cannot be laid out on the cluster (GPU count
// not divisible by tp*pp, more stages than layers, ...).
MemoryPlan plan_memory(const model::TransformerConfig& model, const ClusterSpec& cluster, const Strategy& strategy,
                       const model::Workload& workload, const FrameworkSpec& framework);

}  // namespace wb::gpu
