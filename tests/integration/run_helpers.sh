# shellcheck shell=bash
# Sourced by the integration scripts that stop, kill or race waferbench runs.

fail() { echo "FAIL: $*"; exit 1; }

# wait_for WHAT COMMAND...: until COMMAND succeeds, at most 60 s; fails with WHAT otherwise.
wait_for() {
  local what=$1
  shift
  for _ in $(seq 1 600); do
    "$@" && return 0
    sleep 0.1
  done
  fail "$what"
}

# Bytes of checkpoint records of the run writing $1 (its <output>.partial/).
records() { cat "$1.partial"/part-* 2> /dev/null | wc -c; }
has_records() { [ "$(records "$1")" -gt 0 ]; }

# The waferbench processes (the ranks, not mpirun, timeout or a shell) whose command line
# matches the pattern $1.
waferbench_pids() {
  local pid
  for pid in $(pgrep -f -- "$1"); do
    [ "$(cat "/proc/$pid/comm" 2> /dev/null)" = waferbench ] && echo "$pid"
  done
  return 0
}
