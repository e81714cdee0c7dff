#pragma once
// Training and inference time of one scenario on a GPU cluster:
//   training   one step simulated event by event (cluster_sim.hpp), then the whole run: tokens
//              to train / tokens per second, plus checkpoints, failures and restarts
//              (sim/reliability.hpp, Young/Daly) -> time to train, goodput, idle fraction;
//   inference  time to generate an answer: read the checkpoint from storage, copy it to the
//              GPU, prefill the prompt, decode token by token (memory-bound), with ZeRO-3
//              parameter offload streaming every layer over PCIe for every token.
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gpu/cluster_sim.hpp"
#include "gpu/framework.hpp"
#include "gpu/hardware.hpp"
#include "gpu/strategy.hpp"
#include "io/key_spec.hpp"
#include "io/yaml_reader.hpp"
#include "model/transformer.hpp"
#include "model/workload.hpp"

namespace wb::gpu {

enum class EngineChoice { automatic, fast, pdes };

// The study's `time:` block.
struct TimeOptions {
  EngineChoice engine = EngineChoice::automatic;
  bool distributed = false;        // every scenario's full simulation spread over all ranks
  bool timeline = false;           // write /timeline
  bool stragglers = true;          // per-device slowdowns from the node's straggler_cv
  std::uint64_t seed = 1;
  double checkpoint_interval_s = 0;  // 0: Daly's optimum
  double storage_read_bandwidth = 0; // inference: overrides the node's (bytes/s)
  double checkpoint_bytes_per_param = 4;  // inference: bytes per parameter of the stored checkpoint
  std::vector<std::string> sources;  // "key: value (source)" of the figures given here
};

TimeOptions parse_time_options(io::YamlMap& block);
// Its keys, below the block (`waferbench list studies --keys`).
const io::KeyTable& time_option_keys();

struct TrainingTime {
  double step_time_s = 0, tokens_per_s = 0, flops_per_device = 0, mfu = 0;
  double hfu = 0;  // hardware FLOPs utilisation: recomputed products counted (Korthikanti et al. Sec. 6)
  double time_to_train_s = 0, goodput = 1, idle_fraction = 0, device_seconds = 0;
  std::int64_t global_batch = 0, grad_accum = 0;
  double compute_s = 0, exposed_comm_s = 0, offload_s = 0, cpu_s = 0, bubble_s = 0, straggler_s = 0;
  double forward_s = 0, backward_s = 0, optimizer_s = 0;  // nominal step by phase (framework timers)
  std::int64_t events = 0;
  double wall_s = 0;
  bool fast_path = false;
  // The fast path from the pipeline's periodic steady state (gpu/steady_state.hpp): how many
  // micro-batches were walked (grad_accum when all were), and why not, when it was not used.
  bool steady_state = false;
  std::int64_t micro_batches_walked = 0;
  std::string steady_state_why;
  std::int64_t rounds = 0;
  std::vector<TimelineRow> timeline;
};

// `comm`: the communicator a full simulation runs over (MPI_COMM_SELF for a rank-local one).
// train_tokens <= 0 leaves the whole-run columns unset (NaN).
TrainingTime training_time(const model::TransformerConfig& m, const ClusterSpec& cluster, const Strategy& s,
                           const model::Workload& w, const FrameworkSpec& f, double train_tokens,
                           const TimeOptions& opt, MPI_Comm comm);

struct InferenceTime {
  double generate_s = 0, load_s = 0, read_s = 0, copy_s = 0, prefill_s = 0, decode_s = 0;
  double per_token_s = 0;
};

InferenceTime inference_time(const model::TransformerConfig& m, const ClusterSpec& cluster, const Strategy& s,
                             const model::Workload& w, const FrameworkSpec& f, const TimeOptions& opt);

}  // namespace wb::gpu
