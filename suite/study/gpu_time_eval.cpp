#include "study/gpu_time_eval.hpp"

#include "study/study_time.hpp"

namespace wb::study {

io::Table timeline_table() {
  io::Table t;
  t.add("scenario_index", io::ColumnType::i64, "1", "row of the scenario in /scenarios");
  t.add("scenario_id", io::ColumnType::str, "", "scenario id");
  t.add("device", io::ColumnType::i64, "1", "GPU index (representatives: data-parallel rank 0, tensor rank 0 of each stage)");
  t.add("stream", io::ColumnType::str, "", "compute | comm | pcie | cpu");
  t.add("kind", io::ColumnType::str, "", "what the task does (fwd, bwd, recompute, tp_allreduce, grad_reduce_scatter, ...)");
  t.add("start_s", io::ColumnType::f64, "s", "task start from the beginning of the simulated step(s)");
  t.add("end_s", io::ColumnType::f64, "s", "task end");
  return t;
}

void evaluate_gpu_time(const Study& study, const Scenario& sc, const gpu::ClusterSpec& cluster, ScenarioResult& result,
                       MPI_Comm sim_comm) {
  ScenarioRow& row = result.row;
  if (study.kind == StudyKind::inference) {
    const gpu::InferenceTime t = gpu::inference_time(*sc.model, cluster, sc.strategy, sc.workload, *sc.framework, study.time);
    row.set("generate_time_s", t.generate_s);
    row.set("load_time_s", t.load_s);
    row.set("prefill_time_s", t.prefill_s);
    row.set("decode_time_s", t.decode_s);
    return;
  }
  const gpu::TrainingTime t = gpu::training_time(*sc.model, cluster, sc.strategy, sc.workload, *sc.framework,
                                                 train_tokens_of(sc), study.time,
                                                 study.time.distributed ? sim_comm : MPI_COMM_SELF);
  row.set("global_batch", t.global_batch);
  row.set("grad_accum", t.grad_accum);
  row.set("step_time_s", t.step_time_s);
  row.set("tokens_per_s", t.tokens_per_s);
  row.set("tflops_per_device", t.tflops_per_device);
  row.set("mfu", t.mfu);
  row.set("time_to_train_s", t.time_to_train_s);
  row.set("goodput", t.goodput);
  row.set("idle_fraction", t.idle_fraction);
  row.set("device_hours", t.device_hours);
  row.set("step_compute_s", t.compute_s);
  row.set("step_exposed_comm_s", t.exposed_comm_s);
  row.set("step_offload_transfer_s", t.offload_s);
  row.set("step_cpu_optimizer_s", t.cpu_s);
  row.set("step_pipeline_bubble_s", t.bubble_s);
  row.set("step_straggler_wait_s", t.straggler_s);
  row.set("step_forward_s", t.forward_s);
  row.set("step_backward_s", t.backward_s);
  row.set("step_optimizer_s", t.optimizer_s);
  row.set("sim_events", t.events);
  row.set("sim_wall_s", t.wall_s);
  if (study.time.timeline) {
    io::Table tl = timeline_table();
    for (const gpu::TimelineRow& r : t.timeline) {
      tl.columns[0].i64.push_back(sc.index);
      tl.columns[1].str.push_back(sc.id);
      tl.columns[2].i64.push_back(r.device);
      tl.columns[3].str.push_back(gpu::timeline_stream(r.stream));
      tl.columns[4].str.push_back(gpu::to_string(r.kind));
      tl.columns[5].f64.push_back(sim::to_seconds(r.start));
      tl.columns[6].f64.push_back(sim::to_seconds(r.end));
    }
    result.tables["timeline"] = std::move(tl);
  }
}

}  // namespace wb::study
