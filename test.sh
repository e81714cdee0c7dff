#!/usr/bin/env bash
# waferbench test suite: the same set-up as ./run.sh (install what is missing, build), then every
# test: unit, MPI (np 1, 2, 3), validation against published values, integration.
#
#   ./test.sh                 all tests
#   ./test.sh -L validation   any extra arguments go to ctest
set -euo pipefail
cd "$(dirname "$0")"
BUILD_DIR=${BUILD_DIR:-build}
./run.sh --build-only
cd "$BUILD_DIR"
ctest --output-on-failure -j "$(nproc)" "$@"
