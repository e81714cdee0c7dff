#!/usr/bin/env bash
# An interrupted run finishes with --resume and gives the file an uninterrupted run gives:
#  1. SIGTERM (Slurm's time limit) to mpirun mid-run: the job leaves within seconds, says how to
#     go on, keeps finished scenarios in <out>.partial/ and writes no result file;
#  2. a plain re-run refuses to discard the checkpoints; --resume at another rank count finishes;
#  3. SIGKILL to the ranks mid-run (nothing can be flushed then): --resume still finishes.
# Each result is compared with an uninterrupted run, dataset by dataset.
#   resume_test.sh WAFERBENCH COMPARE STUDY OUTDIR MPIEXEC [MPI FLAGS...]
set -euo pipefail
exe=$1 compare=$2 study=$3 out=$4 mpiexec=$5
shift 5
mpi=("$mpiexec" "$@")
mkdir -p "$out"
ref=$out/resume_reference.h5 res=$out/resume_interrupted.h5
rm -rf "$ref" "$res" "$res.partial" "$res.tmp"
# shellcheck source=tests/integration/run_helpers.sh
source "$(dirname "$0")/run_helpers.sh"

"$exe" run "$study" -o "$ref" --force --quiet > /dev/null

echo "--- 1. SIGTERM mid-run"
"${mpi[@]}" -np 2 "$exe" run "$study" -o "$res" --quiet --inject-delay 0.25 --checkpoint-interval 0 \
  > "$out/resume_term.log" 2>&1 &
pid=$!
wait_for "no checkpoint record appeared" has_records "$res"
start=$(date +%s)
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
elapsed=$(( $(date +%s) - start ))
cat "$out/resume_term.log"
[ "$status" -ne 0 ] || fail "the interrupted run exited 0"
[ "$elapsed" -le 10 ] || fail "took ${elapsed}s to stop after SIGTERM"
grep -q "run the same command with --resume" "$out/resume_term.log" || fail "no hint to resume"
[ ! -e "$res" ] || fail "an interrupted run wrote a result file"
[ -d "$res.partial" ] || fail "no checkpoint directory"

echo "--- 2. a plain re-run refuses; --resume at np 3 finishes"
status=0
"$exe" run "$study" -o "$res" --quiet > "$out/resume_refuse.log" 2>&1 || status=$?
cat "$out/resume_refuse.log"
[ "$status" -eq 2 ] || fail "a plain re-run over checkpoints exited $status, expected 2"
grep -q "pass --resume" "$out/resume_refuse.log" || fail "the refusal does not mention --resume"
"${mpi[@]}" -np 3 "$exe" run "$study" -o "$res" --quiet --resume > "$out/resume_finish.log" 2>&1
grep -E "resumed: [1-9][0-9]* of" "$out/resume_finish.log" || fail "nothing was reused"
"$compare" "$ref" "$res"
[ ! -e "$res.partial" ] || fail "checkpoints left after a complete run"

echo "--- 3. SIGKILL to the ranks mid-run"
rm -f "$res"
"${mpi[@]}" -np 2 "$exe" run "$study" -o "$res" --quiet --inject-delay 0.25 --checkpoint-interval 0 \
  > "$out/resume_kill.log" 2>&1 &
pid=$!
wait_for "no checkpoint record appeared" has_records "$res"
pkill -KILL -f -- "-o $res --quiet --inject-delay" || true
wait "$pid" || true
[ ! -e "$res" ] || fail "a killed run wrote a result file"
"$exe" run "$study" -o "$res" --quiet --resume > "$out/resume_after_kill.log" 2>&1
cat "$out/resume_after_kill.log" | grep -v "^ \|^-"
"$compare" "$ref" "$res"
echo "PASS"
