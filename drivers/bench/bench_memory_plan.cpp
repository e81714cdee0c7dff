// Throughput of the memory model: scenarios evaluated per second (one plan_memory call each),
// over the Cerebras-GPT family on DGX A100 nodes with a spread of strategies. Figure of merit:
// scenarios/s.
#include <benchmark/benchmark.h>

#include <Kokkos_Core.hpp>
#include <vector>

#include "bench_context.hpp"
#include "gpu/memory_plan.hpp"
#include "io/file_source.hpp"
#include "study/plan/catalog.hpp"

namespace {

struct Case {
  const wb::model::TransformerConfig* model;
  wb::gpu::ClusterSpec cluster;
  wb::gpu::Strategy strategy;
};

std::vector<Case> make_cases(wb::study::plan::Catalog& catalog) {
  std::vector<Case> cases;
  const char* models[] = {"cerebras-gpt-2.7b", "cerebras-gpt-1.3b", "cerebras-gpt-6.7b", "cerebras-gpt-13b", "megatron-145b"};
  const char* strategies[] = {"zero0+mb1", "zero1+mb2", "zero2+offload+mb1+recompute-full", "zero3+tp8+mb4+recompute-selective",
                              "zero1+tp8+pp4+mb1"};
  const auto& node = *catalog.system("dgx-a100-80gb").node();
  for (const char* m : models)
    for (const char* s : strategies)
      for (std::int64_t nodes : {4, 16, 64})
        cases.push_back({&catalog.model(m), wb::gpu::make_node_cluster(node, nodes), wb::gpu::parse_strategy(s)});
  return cases;
}

void BM_MemoryPlan(benchmark::State& state) {
  wb::io::LocalFiles files;
  wb::study::plan::Catalog catalog(WB_BENCH_INPUTS_DIR, files);
  const auto cases = make_cases(catalog);
  const auto& framework = catalog.framework("deepspeed");
  wb::model::Workload w;
  w.seq_len = 2048;
  w.global_batch = 1024;
  double sink = 0;
  for (auto _ : state) {
    for (const auto& c : cases) sink += wb::gpu::plan_memory(*c.model, c.cluster, c.strategy, w, framework).device.total();
    benchmark::DoNotOptimize(sink);
  }
  state.counters["scenarios/s"] = benchmark::Counter(static_cast<double>(state.iterations() * cases.size()),
                                                     benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MemoryPlan)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  Kokkos::ScopeGuard kokkos(argc, argv);
  benchmark::Initialize(&argc, argv);
  wb::bench::add_context();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
