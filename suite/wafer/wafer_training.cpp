#include "wafer/wafer_training.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>

#include "wafer/fc_network.hpp"

namespace wb::wafer {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

Rect program_rect(const WaferSpec& s) { return {s.fabric_height, s.fabric_width}; }


// Bytes/s between MemoryX (through SwarmX when there are several systems) and one system, each
// direction: the narrowest of the system's I/O, MemoryX and the SwarmX port.
double stream_bandwidth(const WaferRun& run) {
  const WaferSpec& s = *run.spec;
  double bw = s.io_bandwidth;
  if (s.memoryx) bw = std::min(bw, s.memoryx->bandwidth);
  if (run.systems > 1 && s.swarmx) bw = std::min(bw, s.swarmx->link_bandwidth);
  return bw;
}

double swarmx_latency(const WaferRun& run) {
  const WaferSpec& s = *run.spec;
  if (run.systems <= 1 || !s.swarmx) return 0.0;
  return static_cast<double>(swarmx_depth(run.systems, s.swarmx->fanout)) * s.swarmx->hop_latency_s;
}

double act_layer(const model::TransformerConfig& m, std::int64_t seq, std::int64_t mb, model::Recompute rc) {
  return model::activation_bytes_per_layer(m, seq, mb, 1, false, rc);
}

struct Sources {
  bool analytic = false, fabric = false;
  void add(const std::string& s) {
    if (s == "fabric") fabric = true;
    else analytic = true;
  }
  std::string text() const { return fabric ? (analytic ? "fabric+analytic" : "fabric") : "analytic"; }
};

// The distinct kernels of a kind of work, in the order first chosen, joined by '+'.
struct KernelSet {
  std::string text;
  void add(Kernel k) {
    const std::string name = to_string(k);
    std::size_t at = 0;
    while (at < text.size()) {
      const std::size_t end = std::min(text.find('+', at), text.size());
      if (text.compare(at, end - at, name) == 0) return;
      at = end + 1;
    }
    text += (text.empty() ? "" : "+") + name;
  }
};

// Cycles of one pass of one layer, by kind of work.
struct PassCycles {
  double fwd = 0;
  double bwd = 0;        // data gradients (and the gradients of attention's activation operands)
  double wgrad = 0;      // weight gradients
  double attention = 0;  // forward attention products and softmax (recomputed under selective recompute)
  KernelSet fwd_kernels, bwd_kernels, wgrad_kernels;
};

// Names each row's kernels from its layer's pass (layer 0 the embedding, 1..blocks the decoder
// layers, then the head); a recompute runs the forward's kernels.
void label_kernels(std::vector<LayerRow>& rows, const PassCycles& emb, const PassCycles& blk, const PassCycles& head,
                   std::int64_t blocks) {
  for (LayerRow& r : rows) {
    const PassCycles& pc = r.layer == 0 ? emb : (r.layer <= blocks ? blk : head);
    r.kernels = r.kind == "bwd" ? pc.bwd_kernels.text : (r.kind == "wgrad" ? pc.wgrad_kernels.text : pc.fwd_kernels.text);
  }
}

PassCycles layer_cycles(const LayerWork& l, const CycleModel& cm, Dataflow flow, const Rect& r, Sources& src) {
  PassCycles pc;
  for (const Gemm& g : l.gemms) {
    const GemmCycles f = cm.gemm(g, Phase::fwd, flow, r);
    const GemmCycles d = cm.gemm(g, Phase::dgrad, flow, r);
    const GemmCycles w = cm.gemm(g, Phase::wgrad, flow, r);
    src.add(f.source);
    src.add(d.source);
    src.add(w.source);
    pc.fwd += f.cycles;
    pc.bwd += d.cycles;
    pc.fwd_kernels.add(f.kernel);
    pc.bwd_kernels.add(d.kernel);
    // Attention's second operand is an activation: its gradient is part of the data gradients.
    (g.weights ? pc.wgrad : pc.bwd) += w.cycles;
    (g.weights ? pc.wgrad_kernels : pc.bwd_kernels).add(w.kernel);
    if (!g.weights) pc.attention += f.cycles;
  }
  const double vec = cm.vector_cycles(l.vector_ops, r);
  pc.fwd += vec;
  if (l.kind == LayerKind::embedding) {
    pc.wgrad += vec;  // scatter-add of the looked-up rows' gradients; no input gradient
  } else {
    pc.bwd += vec;  // softmax (attention or loss) backward
    if (l.kind == LayerKind::block) pc.attention += vec;
  }
  return pc;
}

double params_nonzero_bytes(const ModelWork& w, double bytes, double index_bytes) {
  const double gemm = w.block.gemm_params * static_cast<double>(w.blocks);
  return stream_bytes(w.params(), gemm, w.block.weight_density, bytes, index_bytes);
}

void finish_bound(WaferStep& st, double io_s) {
  double compute = 0, streaming = 0;
  for (const auto& r : st.rows) (r.bound == "streaming" ? streaming : compute) += r.time_s;
  if (st.placement == Placement::layer_pipelined) compute = st.compute_s + st.bubble_s;
  st.bound = "compute";
  double best = compute;
  if (streaming > best) {
    st.bound = "streaming";
    best = streaming;
  }
  if (io_s > best) st.bound = "io";
}

}  // namespace

std::int64_t swarmx_depth(std::int64_t systems, std::int64_t fanout) {
  std::int64_t depth = 0;
  for (std::int64_t reach = 1; reach < systems; reach *= fanout) ++depth;
  return depth;
}

SramUse sram_weight_streaming(const model::TransformerConfig& m, std::int64_t seq, std::int64_t micro_batch,
                              model::Recompute recompute, const WaferSpec& spec) {
  SramUse u;
  const double sbh = static_cast<double>(seq) * static_cast<double>(micro_batch) * static_cast<double>(m.d_model);
  // Saved for the backward pass: every layer's activations (Korthikanti et al. 2023, Table 2, at
  // the chosen recompute level) and the final norm's input.
  u.activations = static_cast<double>(m.layers) * act_layer(m, seq, micro_batch, recompute) + 2.0 * sbh;
  // Working set: fp32 accumulators and the 16-bit output of one d_model-wide chunk of the current
  // product (wider outputs are produced chunk by chunk), the layer being recomputed (full
  // recompute), and one d_head-wide chunk of attention scores per sequence and head when scores
  // are not kept (computed chunk by chunk with a running softmax).
  u.buffers = sbh * (spec.format.accumulator_bytes + spec.format.weight_bytes);
  if (recompute == model::Recompute::full) u.buffers += act_layer(m, seq, micro_batch, model::Recompute::selective);
  if (recompute != model::Recompute::none)
    u.buffers += static_cast<double>(micro_batch) * static_cast<double>(m.heads) * static_cast<double>(seq) *
                 static_cast<double>(m.d_head) * spec.format.accumulator_bytes;
  // Weights held while they are used twice in a row: the head's (forward, then at once its
  // recompute and backward) and, under full recompute, a layer's (recompute, then backward).
  const model::ParamCounts pc = model::count_params(m);
  const double head = static_cast<double>(m.vocab) * static_cast<double>(m.d_model);
  const double held = recompute == model::Recompute::full ? std::max(head, static_cast<double>(pc.per_layer)) : head;
  u.params = held * spec.format.weight_bytes;
  return u;
}

SramUse sram_layer_pipelined(const model::TransformerConfig& m, std::int64_t seq, std::int64_t micro_batch,
                             std::int64_t passes, model::Recompute recompute, const WaferSpec& spec,
                             double weight_density) {
  SramUse u;
  const ModelWork w = decompose(m, seq, 1, weight_density);
  const double nonzero = w.nonzero_params();
  const TrainingFormat& f = spec.format;
  // Model states of mixed-precision Adam for the non-zero weights; sparse matrices also keep an
  // index per non-zero.
  const double sparse_index = weight_density < 1.0
                                  ? w.block.gemm_params * static_cast<double>(w.blocks) * weight_density * f.sparse_index_bytes
                                  : 0.0;
  u.params = nonzero * f.weight_bytes + sparse_index;
  u.grads = nonzero * f.gradient_bytes;
  u.optimizer = nonzero * std::max(0.0, f.pipelined_state_bytes_per_param - f.weight_bytes - f.gradient_bytes);
  // In flight (1F1B): stage i of S holds the activations of min(S - i, passes) micro-batches
  // (Narayanan et al. SC'21, Sec. 2.2); stages are the embedding, the L layers and the head.
  const std::int64_t stages = m.layers + 2;
  const double per_unit = act_layer(m, seq, micro_batch, recompute);
  for (std::int64_t i = 1; i <= m.layers; ++i)
    u.activations += static_cast<double>(std::min(stages - i, passes)) * per_unit;
  const double sbh = static_cast<double>(seq) * static_cast<double>(micro_batch) * static_cast<double>(m.d_model);
  u.activations += 2.0 * sbh * static_cast<double>(std::min<std::int64_t>(1, passes));  // final norm input
  // Every stage's output staging and accumulators; under full recompute every layer stage may be
  // rebuilding one micro-batch's activations at once.
  u.buffers = static_cast<double>(stages) * sbh * (f.accumulator_bytes + f.weight_bytes);
  if (recompute == model::Recompute::full)
    u.buffers += static_cast<double>(m.layers) * act_layer(m, seq, micro_batch, model::Recompute::selective);
  return u;
}

WaferStep step_weight_streaming(const WaferRun& run, const CycleModel& cm, std::int64_t micro_batch,
                                model::Recompute recompute) {
  const WaferSpec& spec = *run.spec;
  const model::TransformerConfig& m = *run.model;
  WaferStep st;
  st.placement = Placement::weight_streaming;
  st.recompute = recompute;
  st.per_system_batch = ceil_div(run.global_batch, run.systems);
  st.micro_batch = micro_batch;
  st.passes = ceil_div(st.per_system_batch, micro_batch);
  if (!spec.memoryx) {
    st.why_not = spec.name + " has no MemoryX to stream weights from";
    st.step_s = kNaN;
    return st;
  }
  const MemoryXParams& mx = *spec.memoryx;
  const double density = run.strategy.weight_density();
  const ModelWork w = decompose(m, run.seq, micro_batch, density);
  const Rect rect = program_rect(spec);
  const double bw = stream_bandwidth(run);
  const double clock = spec.clock_hz;
  const double passes = static_cast<double>(st.passes);
  const TrainingFormat& f = spec.format;

  st.sram = sram_weight_streaming(m, run.seq, micro_batch, recompute, spec);
  st.sram_capacity = spec.usable_sram_bytes();
  st.memoryx_bytes = w.params() * mx.state_bytes_per_param;
  st.memoryx_capacity = mx.capacity_bytes;
  st.fits = st.sram.total() <= st.sram_capacity && st.memoryx_bytes <= st.memoryx_capacity;
  if (st.sram.total() > st.sram_capacity) st.why_not = "activations need more SRAM than the wafer has";
  else if (st.memoryx_bytes > st.memoryx_capacity) st.why_not = "weights and optimizer state exceed MemoryX";

  Sources src;
  const PassCycles emb = layer_cycles(w.embedding, cm, Dataflow::streamed, rect, src);
  const PassCycles blk = layer_cycles(w.block, cm, Dataflow::streamed, rect, src);
  const PassCycles head = layer_cycles(w.head, cm, Dataflow::streamed, rect, src);
  st.compute_source = src.text();

  // Rows come in groups: a layer's forward, a layer's backward (recompute, data and weight
  // gradients), the head's forward and backward together (they are adjacent in time). Within a
  // group the wafer computes while weights stream in and gradients stream out on the two
  // directions of the link, so per pass a group takes the largest of its compute, its bytes in
  // and its bytes out (the bound per layer); the time beyond compute is shared among the rows
  // that stream, in proportion to their bytes.
  struct Part {
    const char* kind;
    double cycles;    // per pass
    double in_bytes;  // weights streamed in for this part
    double out_bytes; // gradients streamed out
  };
  auto group = [&](std::int64_t layer, const std::string& name, const std::vector<Part>& parts) {
    double compute = 0, in = 0, out = 0;
    for (const Part& p : parts) {
      compute += p.cycles / clock;
      in += p.in_bytes / bw;
      out += p.out_bytes / bw;
    }
    const double exposed = std::max({compute, in, out}) - compute;
    const double streamed = in + out;
    for (const Part& p : parts) {
      LayerRow r;
      r.layer = layer;
      r.name = name;
      r.kind = p.kind;
      r.cycles = p.cycles * passes;
      r.compute_s = p.cycles / clock * passes;
      r.stream_s = (p.in_bytes + p.out_bytes) / bw * passes;
      const double share = streamed > 0 ? (p.in_bytes + p.out_bytes) / bw / streamed : 0.0;
      r.time_s = r.compute_s + exposed * share * passes;
      r.bound = exposed > 0 ? "streaming" : "compute";
      r.source = st.compute_source;
      st.rows.push_back(std::move(r));
    }
  };
  const double emb_in = stream_bytes(w.embedding.streamed_params, 0, 1, f.weight_bytes, f.sparse_index_bytes);
  const double emb_out = stream_bytes(w.embedding.streamed_params, 0, 1, f.gradient_bytes, f.sparse_index_bytes);
  const double blk_in = stream_bytes(w.block.streamed_params, w.block.gemm_params, density, f.weight_bytes, f.sparse_index_bytes);
  const double blk_out = stream_bytes(w.block.params, w.block.gemm_params, density, f.gradient_bytes, f.sparse_index_bytes);
  const double head_in = stream_bytes(w.head.streamed_params, w.head.gemm_params, 1, f.weight_bytes, f.sparse_index_bytes);
  const double head_out = stream_bytes(w.head.streamed_params, w.head.gemm_params, 1, f.gradient_bytes, f.sparse_index_bytes);

  group(0, "embedding", {{"fwd", emb.fwd, emb_in, 0}});
  for (std::int64_t i = 1; i <= w.blocks; ++i) group(i, "layer" + std::to_string(i - 1), {{"fwd", blk.fwd, blk_in, 0}});
  // The head's weights stay on the wafer from its forward through the recompute of the logits
  // and its backward (sram_weight_streaming holds them).
  group(w.blocks + 1, "lm_head",
        {{"fwd", head.fwd, head_in, 0}, {"recompute", head.fwd, 0, 0}, {"bwd", head.bwd, 0, 0}, {"wgrad", head.wgrad, 0, head_out}});
  const double blk_bwd = blk.bwd + (recompute == model::Recompute::selective ? blk.attention : 0.0);
  for (std::int64_t i = w.blocks; i >= 1; --i) {
    const std::string name = "layer" + std::to_string(i - 1);
    // Under full recompute a layer's weights stream in once for its recompute and are held for
    // its backward; otherwise they stream in again for the backward.
    if (recompute == model::Recompute::full)
      group(i, name, {{"recompute", blk.fwd, blk_in, 0}, {"bwd", blk_bwd, 0, 0}, {"wgrad", blk.wgrad, 0, blk_out}});
    else
      group(i, name, {{"bwd", blk_bwd, blk_in, 0}, {"wgrad", blk.wgrad, 0, blk_out}});
  }
  group(0, "embedding", {{"wgrad", emb.wgrad, 0, emb_out}});

  // Step boundary: the SwarmX tree's latency once down (first weights) and once up (last
  // gradients); the MemoryX optimizer update overlaps the last pass's backward, layer by layer as
  // gradients arrive, but the embedding (first needed, last to arrive) must be updated before
  // the next step starts (MemoryX glossary: latency shows only at the iteration boundary).
  const double latency = 2.0 * swarmx_latency(run);
  double last_backward = 0;
  for (const auto& r : st.rows)
    if (r.kind != "fwd") last_backward += r.time_s / passes;
  const double update_total = w.nonzero_params() * mx.update_bytes_per_param / mx.update_bandwidth;
  const double update_first = w.embedding.params * mx.update_bytes_per_param / mx.update_bandwidth;
  st.optimizer_s = std::max(update_first, update_total - last_backward);

  double rows_s = 0;
  for (const auto& r : st.rows) {
    rows_s += r.time_s;
    st.compute_s += r.compute_s;
  }
  st.exposed_comm_s = rows_s - st.compute_s + latency;
  st.step_s = rows_s + latency + st.optimizer_s;
  finish_bound(st, latency + st.optimizer_s);
  label_kernels(st.rows, emb, blk, head, w.blocks);
  return st;
}

WaferStep step_layer_pipelined(const WaferRun& run, const CycleModel& cm, std::int64_t micro_batch,
                               model::Recompute recompute) {
  const WaferSpec& spec = *run.spec;
  const model::TransformerConfig& m = *run.model;
  WaferStep st;
  st.placement = Placement::layer_pipelined;
  st.recompute = recompute;
  st.per_system_batch = ceil_div(run.global_batch, run.systems);
  st.micro_batch = micro_batch;
  st.passes = ceil_div(st.per_system_batch, micro_batch);
  const double density = run.strategy.weight_density();
  const ModelWork w = decompose(m, run.seq, micro_batch, density);
  const TrainingFormat& f = spec.format;
  st.stages = w.blocks + 2;

  st.sram = sram_layer_pipelined(m, run.seq, micro_batch, st.passes, recompute, spec, density);
  st.sram_capacity = spec.usable_sram_bytes();
  st.fits = st.sram.total() <= st.sram_capacity;
  if (!st.fits) st.why_not = "weights, optimizer state and in-flight activations need more SRAM than the wafer has";
  if (run.systems > 1 && !spec.swarmx) {
    st.fits = false;
    st.why_not = spec.name + " has no SwarmX to join systems";
  }

  // Regions in proportion to each stage's work: multiply-adds of the forward, data-gradient and
  // weight-gradient products plus element-wise operations (forward and backward).
  auto work = [](const LayerWork& l) {
    double macs = 0;
    for (const auto& g : l.gemms) macs += g.effective_macs();
    return 3.0 * macs + 2.0 * l.vector_ops;
  };
  const double work_e = work(w.embedding), work_b = work(w.block), work_h = work(w.head);
  const double total = work_e + static_cast<double>(w.blocks) * work_b + work_h;
  const double pes = static_cast<double>(spec.program_pes());
  auto area = [&](double wk) { return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(pes * wk / total))); };
  Sources src;
  const PassCycles emb = layer_cycles(w.embedding, cm, Dataflow::stationary, region_of(area(work_e), spec), src);
  const PassCycles blk = layer_cycles(w.block, cm, Dataflow::stationary, region_of(area(work_b), spec), src);
  const PassCycles head = layer_cycles(w.head, cm, Dataflow::stationary, region_of(area(work_h), spec), src);
  st.compute_source = src.text();

  const double clock = spec.clock_hz;
  const double passes = static_cast<double>(st.passes);
  const double blk_recompute = recompute == model::Recompute::full        ? blk.fwd
                               : recompute == model::Recompute::selective ? blk.attention
                                                                          : 0.0;
  const double t_emb = (emb.fwd + emb.wgrad) / clock;
  const double t_blk = (blk.fwd + blk.bwd + blk.wgrad + blk_recompute) / clock;
  const double t_head = (2.0 * head.fwd + head.bwd + head.wgrad) / clock;
  const double t_stage = std::max({t_emb, t_blk, t_head});

  auto add = [&](std::int64_t layer, const std::string& name, const char* kind, double cycles) {
    if (cycles <= 0) return;
    LayerRow r;
    r.layer = layer;
    r.name = name;
    r.kind = kind;
    r.cycles = cycles * passes;
    r.compute_s = cycles / clock * passes;
    r.time_s = r.compute_s;
    r.bound = "compute";
    r.source = st.compute_source;
    st.rows.push_back(std::move(r));
  };
  add(0, "embedding", "fwd", emb.fwd);
  add(0, "embedding", "wgrad", emb.wgrad);
  for (std::int64_t i = 1; i <= w.blocks; ++i) {
    const std::string name = "layer" + std::to_string(i - 1);
    add(i, name, "fwd", blk.fwd);
    add(i, name, "recompute", blk_recompute);
    add(i, name, "bwd", blk.bwd);
    add(i, name, "wgrad", blk.wgrad);
  }
  const std::int64_t hl = w.blocks + 1;
  add(hl, "lm_head", "fwd", head.fwd);
  add(hl, "lm_head", "recompute", head.fwd);
  add(hl, "lm_head", "bwd", head.bwd);
  add(hl, "lm_head", "wgrad", head.wgrad);

  // Optimizer on the wafer: read and write every state byte once at SRAM bandwidth.
  const double state_bytes = w.nonzero_params() * f.pipelined_state_bytes_per_param;
  const double optimizer = 2.0 * state_bytes / spec.memory_bandwidth;
  // Several systems: gradients out through SwarmX, summed in its tree, and back (not overlapped).
  double exchange = 0;
  if (run.systems > 1) {
    const double grad_bytes = params_nonzero_bytes(w, f.gradient_bytes, f.sparse_index_bytes);
    exchange = 2.0 * grad_bytes / stream_bandwidth(run) + 2.0 * swarmx_latency(run);
  }
  st.compute_s = passes * t_stage + optimizer;
  st.bubble_s = static_cast<double>(st.stages - 1) * t_stage;
  st.exposed_comm_s = exchange;
  st.step_s = st.compute_s + st.bubble_s + st.exposed_comm_s;
  finish_bound(st, exchange);
  label_kernels(st.rows, emb, blk, head, w.blocks);
  return st;
}

WaferStep plan_step(const WaferRun& run, const CycleModel& cm) {
  const WaferSpec& spec = *run.spec;
  std::vector<Placement> placements;
  if (run.strategy.placement == Placement::automatic) {
    if (spec.memoryx) placements.push_back(Placement::weight_streaming);
    placements.push_back(Placement::layer_pipelined);
  } else {
    placements.push_back(run.strategy.placement);
  }
  const std::int64_t per_system = ceil_div(run.global_batch, run.systems);
  const double capacity = spec.usable_sram_bytes();
  std::optional<WaferStep> best, smallest;
  for (const Placement p : placements) {
    for (const model::Recompute rc : {model::Recompute::none, model::Recompute::selective, model::Recompute::full}) {
      auto sram = [&](std::int64_t mb) {
        return p == Placement::weight_streaming
                   ? sram_weight_streaming(*run.model, run.seq, mb, rc, spec).total()
                   : sram_layer_pipelined(*run.model, run.seq, mb, ceil_div(per_system, mb), rc, spec,
                                          run.strategy.weight_density())
                         .total();
      };
      std::set<std::int64_t> candidates;
      if (run.strategy.micro_batch > 0) {
        candidates.insert(run.strategy.micro_batch);
      } else if (sram(1) > capacity) {
        candidates.insert(1);
      } else {
        // The largest micro-batch that fits (footprint grows with it), then the balanced
        // micro-batches of more passes (less padding in the last pass).
        std::int64_t lo = 1, hi = per_system;
        while (lo < hi) {
          const std::int64_t mid = lo + (hi - lo + 1) / 2;
          if (sram(mid) <= capacity) lo = mid;
          else hi = mid - 1;
        }
        // Tile quantisation makes time per sequence vary with the micro-batch, so every balanced
        // micro-batch down to half the largest is tried.
        const std::int64_t a0 = ceil_div(per_system, lo);
        for (std::int64_t a = a0; a <= std::min(per_system, 2 * a0 + 1); ++a) candidates.insert(ceil_div(per_system, a));
      }
      for (const std::int64_t mb : candidates) {
        WaferStep st = p == Placement::weight_streaming ? step_weight_streaming(run, cm, mb, rc)
                                                        : step_layer_pipelined(run, cm, mb, rc);
        if (st.fits) {
          if (!best || st.step_s < best->step_s) best = st;
        } else if (!smallest || st.sram.total() < smallest->sram.total()) {
          smallest = st;
        }
      }
    }
  }
  if (best) return *best;
  return *smallest;
}

WaferTraining plan_training(const WaferRun& run, const CycleModel& cm) {
  const WaferSpec& spec = *run.spec;
  WaferTraining t;
  t.step = plan_step(run, cm);
  const double tokens_per_step = static_cast<double>(run.global_batch) * static_cast<double>(run.seq);
  t.tokens_per_s = tokens_per_step / t.step.step_s;
  t.steps = std::ceil(run.tokens / tokens_per_step);
  const double params = static_cast<double>(model::count_params(*run.model).total);
  // A checkpoint writes the master weights and optimizer state: from MemoryX to storage, or
  // (layer-pipelined without MemoryX) out of the system's I/O.
  if (spec.memoryx) {
    const double per_param = t.step.placement == Placement::weight_streaming ? spec.memoryx->state_bytes_per_param
                                                                             : spec.format.pipelined_state_bytes_per_param;
    t.checkpoint_s = params * per_param / spec.memoryx->checkpoint_bandwidth;
  } else {
    t.checkpoint_s = params * spec.format.pipelined_state_bytes_per_param / spec.io_bandwidth;
  }
  t.job_mtbf_s = sim::job_mtbf(run.systems, spec.reliability.mtbf_s);
  sim::FailureModel fm;
  fm.mtbf_s = t.job_mtbf_s;
  fm.checkpoint_s = t.checkpoint_s;
  fm.restart_s = spec.reliability.restart_s;
  t.run = sim::expected_run_time(t.steps * t.step.step_s, fm);
  t.system_seconds = t.run.wall_s * static_cast<double>(run.systems);
  if (run.systems > 1) {
    WaferRun one = run;
    one.systems = 1;
    const WaferStep s1 = plan_step(one, cm);
    t.scaling_efficiency = s1.fits && t.step.fits ? s1.step_s / (static_cast<double>(run.systems) * t.step.step_s) : kNaN;
  }
  return t;
}

}  // namespace wb::wafer
