#pragma once
// What is run on the model: training (sequence length, global batch, tokens to train on) or
// inference (prompt and generated tokens, batch).
#include <cstdint>

namespace wb::model {

enum class Task { train, infer };

struct Workload {
  Task task = Task::train;
  std::int64_t seq_len = 0;       // training sequence length (tokens)
  std::int64_t global_batch = 0;  // sequences per optimizer step (0: not set)
  double tokens = 0;              // tokens to train on (0: not set)
  std::int64_t prompt_tokens = 0; // inference
  std::int64_t output_tokens = 0; // inference
  std::int64_t batch = 1;         // inference batch (sequences generated together)
};

}  // namespace wb::model
