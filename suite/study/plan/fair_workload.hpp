#pragma once
// Fair by default: a training study that runs one model on a wafer system and on GPUs, or searches
// its best layout (`search: best`) on more than one system, compares machines, so every scenario of that model
// trains the same batch. (A study of written GPU layouts, such as a validation against a table of
// measured runs, keeps each layout's own batch.) Where no sweep gives `global_batch`, the
// model's published batch is used for all of them (the tokens already default to its published
// run, model::tokens_to_train); without a published batch the study must give one. Without this
// the GPU side would train with data parallel x micro-batch sequences per step and the wafer side
// with the published batch, and the times would not be of the same training run.
#include "study/plan/study.hpp"

namespace wb::study::plan {

// Sets the global batch of every training scenario that has none to its model's published batch
// when the study compares machines on that model (above), and says so in the assumptions.
// An InputError at the scenario's workload when the model has no published batch.
void one_batch_per_model(Study& study);

}  // namespace wb::study::plan
