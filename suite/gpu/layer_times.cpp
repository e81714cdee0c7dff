#include "gpu/layer_times.hpp"

#include "gpu/collective_cost.hpp"

namespace wb::gpu {

std::vector<LayerTime> layer_times(const StepSetup& st) {
  const Strategy& s = st.strategy;
  const bool full = s.recompute == model::Recompute::full, selective = s.recompute == model::Recompute::selective;
  const bool zero3 = s.zero_stage == 3 && st.dp > 1;
  auto sec = [](SimTime t) { return sim::to_seconds(t); };
  // As the program builder issues them (program_builder.cpp): the backward recomputes the forward
  // under full recomputation and the attention core under selective; with tensor parallelism two
  // all-reduces (or, with sequence parallelism, reduce-scatter + all-gather pairs of the same
  // cost) per forward and per backward, two more for the recomputed forward.
  // ZeRO-3 gathers a layer before its forward and again before its backward, the embedding
  // before its forward and an untied head before its backward only.
  auto gather = [&](double params, int calls, double times) {
    return zero3 ? times * collective_time(Collective::all_gather, 2.0 * params, st.dp_shape, st.fabric, calls) : 0.0;
  };
  SimTime bwd = st.attn_bwd + st.mlp_bwd, bwd_c = st.contended.attn_bwd + st.contended.mlp_bwd;
  if (full) bwd += st.attn_fwd + st.mlp_fwd, bwd_c += st.contended.attn_fwd + st.contended.mlp_fwd;
  if (selective) bwd += st.core_fwd, bwd_c += st.contended.core_fwd;
  const double tp = st.tp > 1 ? static_cast<double>(full ? 6 : 4) * sec(st.tp_allreduce) : 0.0;

  std::vector<LayerTime> out;
  const std::int64_t chunks = st.pp * st.vp;
  LayerTime e;
  e.name = "embedding";
  e.forward_s = sec(st.embed_fwd);
  e.backward_s = sec(st.embed_bwd);
  e.gather_s = gather(st.embedding_params, 1, 1);
  e.contended_s = sec(st.contended.embed_fwd + st.contended.embed_bwd);
  out.push_back(e);
  std::int64_t layer = 0;
  for (std::int64_t j = 0; j < chunks; ++j)
    for (std::int64_t k = 0; k < st.stage_layers[static_cast<std::size_t>(j)]; ++k, ++layer) {
      LayerTime l;
      l.layer = layer + 1;
      l.name = "layer" + std::to_string(layer);
      l.stage = j % st.pp;
      l.forward_s = sec(st.attn_fwd + st.mlp_fwd);
      l.backward_s = sec(bwd);
      l.tp_comm_s = tp;
      l.gather_s = gather(st.layer_params, st.layer_gather_calls, 2);
      l.contended_s = sec(st.contended.attn_fwd + st.contended.mlp_fwd + bwd_c);
      out.push_back(l);
    }
  LayerTime h;
  h.layer = layer + 1;
  h.name = "lm_head";
  h.stage = (chunks - 1) % st.pp;
  h.forward_s = sec(st.head_fwd);
  h.backward_s = sec(st.head_bwd);
  h.gather_s = st.model->tied_embeddings ? 0.0 : gather(st.head_params, 1, 1);
  h.contended_s = sec(st.contended.head_fwd + st.contended.head_bwd);
  out.push_back(h);
  return out;
}

}  // namespace wb::gpu
