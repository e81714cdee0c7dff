#!/usr/bin/env bash
# Two runs on one output, at np 1 or 2:
#  1. while run A works, run B on the same output (with and without --force) is refused at once,
#     naming A, and touches nothing of A's (lock, temporary file, checkpoints); A then finishes
#     with the file an uninterrupted run writes, and leaves no lock, temporary file or checkpoints;
#  2. `-o` naming a directory is refused before any work, creating nothing;
#  3. a run with --force killed outright while it writes its result (SIGKILL: nothing can be
#     cleaned up) leaves the result in place byte for byte, a stale lock, its temporary file and
#     its checkpoints; the next run on that output takes the lock over, removes the temporary
#     file, and finishes with --resume.
#   two_runs_test.sh WAFERBENCH COMPARE STUDY OUTDIR NP MPIEXEC [MPI FLAGS...]
set -euo pipefail
exe=$1 compare=$2 study=$3 out=$4 np=$5
shift 5
mpi=("$@")
# shellcheck source=tests/integration/run_helpers.sh
source "$(dirname "$0")/run_helpers.sh"
work=$out/two_runs_np$np
rm -rf "$work"
mkdir -p "$work"
launch=("$exe")
[ "$np" -eq 1 ] || launch=("${mpi[@]}" -np "$np" "$exe")
run() { timeout 120 "${launch[@]}" "$@"; }

ref=$work/reference.h5 res=$work/result.h5
"$exe" run "$study" -o "$ref" --force --quiet > /dev/null
# The ranks of the run writing $res.
ranks_of_run() { waferbench_pids "-o $res --quiet --inject-delay"; }

echo "--- 1. a second run on the output of a running one"
run run "$study" -o "$res" --quiet --inject-delay 0.1 --checkpoint-interval 0 > "$work/first.log" 2>&1 &
first=$!
wait_for "run A wrote no checkpoint record" has_records "$res"
# A is held still while B tries, so that B meets it mid-run however slow the machine is.
# shellcheck disable=SC2046
kill -STOP $(ranks_of_run)
lock_before=$(cat "$res.lock")
for extra in "" --force "--force --resume"; do
  status=0
  # shellcheck disable=SC2086  # extra is a list of options
  run run "$study" -o "$res" --quiet $extra > "$work/second.log" 2>&1 || status=$?
  cat "$work/second.log"
  [ "$status" -eq 2 ] || fail "run B ($extra) exited $status, expected 2"
  grep -q "$res: another waferbench run is writing this output (pid [0-9]* on host " "$work/second.log" ||
    fail "run B ($extra) does not name the holder"
  [ "$(grep -c "waferbench: error:" "$work/second.log")" -eq 1 ] || fail "run B's error was not printed once"
  [ "$(cat "$res.lock")" = "$lock_before" ] || fail "run B changed A's lock"
  [ -f "$res.partial/study.key" ] || fail "run B removed A's checkpoints"
done
# shellcheck disable=SC2046
kill -CONT $(ranks_of_run)
wait "$first" || { cat "$work/first.log"; fail "run A failed after B was refused"; }
"$compare" "$ref" "$res"
for f in "$res.lock" "$res.tmp" "$res.partial"; do [ ! -e "$f" ] || fail "run A left $f"; done

echo "--- 2. -o naming a directory"
status=0
run run "$study" -o "$work" --force --quiet > "$work/dir.log" 2>&1 || status=$?
cat "$work/dir.log"
[ "$status" -eq 2 ] || fail "-o DIRECTORY exited $status, expected 2"
grep -q "$work: is a directory; -o names the result file" "$work/dir.log" || fail "-o DIRECTORY: no clear message"
for f in "$work.lock" "$work.partial" "$work.tmp" "$work/study.h5"; do [ ! -e "$f" ] || fail "-o DIRECTORY created $f"; done

echo "--- 3. a run killed outright while it writes the result (SIGKILL: nothing can be cleaned up)"
cp "$ref" "$res"
run run "$study" -o "$res" --quiet --inject-delay 0.1 --checkpoint-interval 0 --force > "$work/killed.log" 2>&1 &
killed=$!
wait_for "the run to be killed did not start writing its result" test -e "$res.tmp"
holder=$(sed -n 's/^pid //p' "$res.lock")
# shellcheck disable=SC2046
kill -KILL $(ranks_of_run)
wait "$killed" || true
cmp -s "$ref" "$res" || fail "the result in place was changed by a run killed while writing"
[ -e "$res.lock" ] && [ -e "$res.tmp" ] || fail "no stale lock and temporary file after a SIGKILL (cannot test the takeover)"
has_records "$res" || fail "the killed run left no checkpoints"
run run "$study" -o "$res" --force --quiet --resume > "$work/after_kill.log" 2>&1 || { cat "$work/after_kill.log"; fail "--resume after a SIGKILL"; }
cat "$work/after_kill.log"
grep -q "took over the lock of a run that is no longer alive (pid $holder on host " "$work/after_kill.log" ||
  fail "the stale lock was not reported as taken over"
grep -q "removed $res.tmp, the unfinished file of a run that was killed" "$work/after_kill.log" ||
  fail "the stale temporary file was not reported as removed"
grep -Eq "resumed: [1-9][0-9]* of" "$work/after_kill.log" || fail "the killed run's checkpoints were not reused"
"$compare" "$ref" "$res"
for f in "$res.lock" "$res.tmp" "$res.partial"; do [ ! -e "$f" ] || fail "left $f"; done
echo "PASS"
