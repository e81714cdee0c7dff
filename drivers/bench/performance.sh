#!/usr/bin/env bash
# Runs the benchmarks behind the README's performance table and writes the table (Markdown),
# stating the machine it ran on: CPU model, load average before and after, and this machine's
# own fp32 GEMM GFLOP/s and STREAM triad GB/s on one core as yardsticks (cores differ 2x and
# more between hosts, and other jobs on a shared machine slow every figure).
#
#   drivers/bench/performance.sh [--build DIR] [--out DIR] [--full] [--fabric]
#     --build DIR  the CMake build directory (default: build)
#     --out DIR    where the JSON of each benchmark and performance.md go (default: perf-results)
#     --full       also the 1T PDES step with the paper's 512 micro-batches (about a minute a run)
#     --fabric     also the fabric simulator's kernel rows (bench_fabric, one core and 2 ranks)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build=build
out=perf-results
full=0
fabric=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --full) full=1; shift ;;
    --fabric) fabric=1; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "performance.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
bench="$build/drivers/bench"
for b in bench_gemm bench_stream bench_adam bench_comm bench_memory_plan bench_gpu_time bench_pdes; do
  [ -x "$bench/$b" ] || { echo "performance.sh: $bench/$b not built (cmake --build $build)" >&2; exit 1; }
done
mkdir -p "$out"
mpirun=(mpirun)
if [ "$(id -u)" = 0 ]; then mpirun+=(--allow-run-as-root); fi
mpirun+=(--oversubscribe)

cat /proc/loadavg > "$out/load_before.txt"
run() {  # run NAME PROGRAM ARGS...: one benchmark program's JSON into $out/NAME.json
  local name="$1"; shift
  echo "== $name" >&2
  "$@" --benchmark_format=json --benchmark_out="$out/$name.json" --benchmark_out_format=json > /dev/null
}
run gemm "$bench/bench_gemm" '--benchmark_filter=BM_Gemm<float>/1024'
run stream "$bench/bench_stream" --benchmark_filter=BM_StreamTriad/33554432
run adam "$bench/bench_adam" '--benchmark_filter=BM_AdamUpdate<wb::kernels::Fp16>/33554432'
run comm "${mpirun[@]}" -np 2 "$bench/bench_comm" '--benchmark_filter=BM_PingPong/(8|1048576)/|BM_Allreduce/(8|8388608)/'
run memory_plan "$bench/bench_memory_plan"
run gpu_time "$bench/bench_gpu_time" '--benchmark_filter=BM_EvaluateLayout|BM_EvaluateEveryLayout|BM_SearchProblem|BM_BestStrategy'
pdes_filter='BM_Pdes13BZero3|BM_Pdes1T/4'
if [ "$full" = 1 ]; then pdes_filter='BM_Pdes13BZero3|BM_Pdes1T'; fi
run pdes_np1 "${mpirun[@]}" -np 1 "$bench/bench_pdes" "--benchmark_filter=$pdes_filter"
run pdes_np2 "${mpirun[@]}" -np 2 "$bench/bench_pdes" "--benchmark_filter=$pdes_filter"
if [ "$fabric" = 1 ]; then
  run fabric "$bench/bench_fabric" '--benchmark_filter=BM_FabricCycle(Streaming|ChainGemv)/'
  run fabric_np2 "${mpirun[@]}" -np 2 "$bench/bench_fabric" '--benchmark_filter=BM_FabricCycleStreamingHalo/'
fi
cat /proc/loadavg > "$out/load_after.txt"

/usr/bin/python3 "$here/performance_table.py" "$out" | tee "$out/performance.md"
