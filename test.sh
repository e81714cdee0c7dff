#!/usr/bin/env bash
# waferbench test suite: the same set-up as ./run.sh (install what is missing, build), then
#   1. every ctest test of the Release build: unit, MPI (np 1, 2, 3), validation against
#      published values, integration;
#   2. the unit and MPI tests and the bad-input runs again in an AddressSanitizer +
#      UndefinedBehaviorSanitizer build (build-asan, -O1 with line tables: the checks need no
#      more, and it builds faster than -O2 -g); not the validation studies or the
#      script-level integration tests, whose code paths the MPI tests run on smaller inputs;
#   3. with WB_TEST_FUZZ=1, the libFuzzer targets (clang) for a bounded time, seeded with the
#      project's inputs (a third build: opt-in, to keep the suite well under 30 minutes).
#
#   ./test.sh                 steps 1 and 2
#   WB_TEST_FUZZ=1 ./test.sh  steps 1, 2 and 3 (WB_FUZZ_SECONDS per target, default 30)
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
cmake -S . -B build-asan -DWB_SANITIZE=ON -DWB_BUILD_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" > /dev/null
cmake --build build-asan -j "$JOBS"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Leak checking on our own code (the unit tests never start MPI) ...
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j "$JOBS" -L unit)
# ... but not in MPI processes: Open MPI's dlopen'ed components leak by design at finalize.
(cd build-asan && ASAN_OPTIONS=detect_leaks=0 ctest --output-on-failure -j "$JOBS" -L mpi)
(cd build-asan && ASAN_OPTIONS=detect_leaks=0 ctest --output-on-failure -j "$JOBS" -R '^integration\.bad_input\.')
stage_done "2/3"

if [ "${WB_TEST_FUZZ:-0}" = "1" ]; then
  echo "=== 3/3 fuzzing (clang libFuzzer, ${WB_FUZZ_SECONDS:-30}s per target)"
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DWB_FUZZ=ON -DWB_BUILD_TESTS=OFF -DWB_BUILD_BENCHMARKS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
  cmake --build build-fuzz -j "$JOBS"
  tests/fuzz/run_fuzzers.sh build-fuzz "${WB_FUZZ_SECONDS:-30}"
  stage_done "3/3"
fi
echo "=== all tests passed"
