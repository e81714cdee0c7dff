#include "model/training_run.hpp"

namespace wb::model {

double tokens_to_train(const TransformerConfig& m, const Workload& w) {
  if (w.tokens > 0) return w.tokens;
  if (m.train_steps > 0 && m.train_global_batch > 0 && m.train_seq_len > 0)
    return static_cast<double>(m.train_steps) * static_cast<double>(m.train_global_batch) *
           static_cast<double>(m.train_seq_len);
  return m.train_tokens;
}

double mfu(double model_flops_per_s, double devices, double peak_flops_per_device) {
  return model_flops_per_s / devices / peak_flops_per_device;
}

}  // namespace wb::model
