#include "model/training_run.hpp"

namespace wb::model {

double tokens_to_train(const TransformerConfig& m, const Workload& w) {
  if (w.tokens > 0) return w.tokens;
  if (m.train_steps > 0 && m.train_global_batch > 0 && m.train_seq_len > 0)
    return static_cast<double>(m.train_steps) * static_cast<double>(m.train_global_batch) *
           static_cast<double>(m.train_seq_len);
  return m.train_tokens;
}

}  // namespace wb::model
