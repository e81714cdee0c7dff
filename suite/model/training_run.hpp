#pragma once
// What a training run amounts to, whatever machine runs it: the tokens it trains on, and how much
// of a machine's peak its model FLOPs use. One definition each, for the GPU and the wafer models
// alike, so that their rows compare like with like.
#include "model/transformer.hpp"
#include "model/workload.hpp"

namespace wb::model {

// Tokens to train on: the workload's `tokens`, else the model's published run. The published run
// counts steps x global batch x sequence length when the model card gives those, as the run
// itself did; the card's token column is rounded to three figures (Cerebras-GPT 13B, model card
// Training Table: 2.57E+11 tokens, 174,335 steps of 720 sequences of 2,048 tokens =
// 2.5707e11). Else the card's token count; 0 when nothing is known.
double tokens_to_train(const TransformerConfig& m, const Workload& w);

// Model FLOPs utilisation (Chowdhery et al. 2022, PaLM, App. B): the FLOPs the model needs per
// second - matmul_flops_per_sequence without recomputation, times sequences per second - over
// the dense FP16 peak of all devices. Recomputed work is not model work, and the FLOPs are the
// dense model's, so a run whose weight sparsity skips work can exceed 1.
double mfu(double model_flops_per_s, double devices, double peak_flops_per_device);

}  // namespace wb::model
