#!/usr/bin/env bash
# Runs each libFuzzer target for a bounded time, seeded with the project's own inputs (bundled
# good files and the bad-input corpus), and fails on the first crash. A crash reproducer is left
# in the work directory; turn it into a test (tests/inputs/bad/ or a unit test) before fixing.
#
#   tests/fuzz/run_fuzzers.sh BUILD_DIR [SECONDS_PER_TARGET]
set -euo pipefail
build=$(cd "${1:?usage: run_fuzzers.sh BUILD_DIR [SECONDS]}" && pwd)
seconds=${2:-30}
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$build/fuzz-work
rm -rf "$work"
mkdir -p "$work/units" "$work/study" "$work/hf_config"

# Seeds: every quantity string in the inputs for the units parser; every YAML file, prefixed with
# the byte that selects its loader (0 study, 1 model, 2 system, 3 framework), for the loaders.
grep -rhoE "value: [^,}]+" "$src/inputs" "$src/tests/inputs" | sed 's/^value: //' | sort -u |
  awk -v d="$work/units" '{ f = sprintf("%s/seed%04d", d, NR); printf "%s", $0 > f; close(f) }'
seed() { printf "\\x$(printf %02x "$1")" > "$2"; cat "$3" >> "$2"; }
n=0
for f in "$src"/inputs/studies/*.yaml "$src"/tests/inputs/bad/*.yaml; do seed 0 "$work/study/s$((n++))" "$f"; done
for f in "$src"/inputs/models/*.yaml "$src"/tests/inputs/broken-tree/models/*.yaml; do seed 1 "$work/study/m$((n++))" "$f"; done
for f in "$src"/inputs/systems/*.yaml "$src"/tests/inputs/broken-tree/systems/*.yaml; do seed 2 "$work/study/y$((n++))" "$f"; done
for f in "$src"/inputs/frameworks/*.yaml; do seed 3 "$work/study/f$((n++))" "$f"; done
cp "$src"/tests/inputs/hf/*.json "$work/hf_config/"  # Hugging Face config.json files

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for target in units study hf_config; do
  echo "fuzz_$target: ${seconds}s from $(ls "$work/$target" | wc -l) seeds"
  ( cd "$work" && "$build/tests/fuzz/fuzz_$target" "$work/$target" -max_total_time="$seconds" \
      -max_len=4096 -timeout=10 -print_final_stats=1 2>&1 | tail -n 12 ) || status=1
done
exit $status
