#!/usr/bin/env bash
# waferbench test suite: the same set-up as ./run.sh (install what is missing, build), then
#   1. every ctest test of the Release build: unit, MPI (np 1, 2, 3), validation against
#      published values, integration;
#   2. the unit, MPI and integration tests again in an AddressSanitizer +
#      UndefinedBehaviorSanitizer build (build-asan); not the validation studies, whose code
#      paths the MPI and integration tests run on smaller inputs, nor the tests that check
#      Python figures and Slurm scripts, which the sanitizers do not see;
#   3. the libFuzzer targets (clang) for a bounded time, seeded with the project's inputs.
#
#   ./test.sh                 everything
#   WB_TEST_QUICK=1 ./test.sh step 1 only (for a quick local check)
#   ./test.sh -L validation   extra arguments go to the step-1 ctest (and imply quick)
set -euo pipefail
cd "$(dirname "$0")"
BUILD_DIR=${BUILD_DIR:-build}
JOBS=$(nproc)
START=$SECONDS
stage_done() { echo "=== $1 done after $(( (SECONDS - START) / 60 )) min $(( (SECONDS - START) % 60 )) s"; }
./run.sh --build-only
stage_done "install and build"

echo "=== 1/3 tests (Release build)"
(cd "$BUILD_DIR" && ctest --output-on-failure -j "$JOBS" "$@")
stage_done "1/3"
if [ "${WB_TEST_QUICK:-0}" = "1" ] || [ $# -gt 0 ]; then
  exit 0
fi

echo "=== 2/3 tests under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan)"
cmake -S . -B build-asan -DWB_SANITIZE=ON -DWB_BUILD_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build-asan -j "$JOBS"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Leak checking on our own code (the unit tests never start MPI) ...
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j "$JOBS" -L unit)
# ... but not in MPI processes: Open MPI's dlopen'ed components leak by design at finalize.
(cd build-asan && ASAN_OPTIONS=detect_leaks=0 ctest --output-on-failure -j "$JOBS" -LE 'unit|validation' \
   -E '^integration\.(plots|slurm)$')
stage_done "2/3"

echo "=== 3/3 fuzzing (clang libFuzzer, ${WB_FUZZ_SECONDS:-30}s per target)"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DWB_FUZZ=ON -DWB_BUILD_TESTS=OFF -DWB_BUILD_BENCHMARKS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build-fuzz -j "$JOBS"
tests/fuzz/run_fuzzers.sh build-fuzz "${WB_FUZZ_SECONDS:-30}"
stage_done "3/3"
echo "=== all tests passed"
