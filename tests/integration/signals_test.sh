#!/usr/bin/env bash
# SIGTERM mid-run, as a scheduler's time limit sends it, to the launcher or to the ranks: the run
# saves its finished scenarios, prints the resume hint once, exits 143, and `--resume` (at another
# rank count) gives a file `waferbench compare` calls the same as an uninterrupted run's.
#   np 1 without a launcher: SIGTERM to the process;
#   np 1 and 2 under mpirun: SIGTERM to the ranks; to one rank only (np 2);
#   np 2: SIGTERM to the batch scripts' launcher (slurm/launcher.sh wb_run around mpirun);
#   np 2: SIGTERM to mpirun itself: saved and said the same, but Open MPI's mpirun exits 1 on
#         SIGTERM whatever its ranks do (orterun's signal callback sets the status first).
# Under srun: tests/integration/slurm_test.sh (the interrupted job).
#   signals_test.sh WAFERBENCH STUDY SOURCE_DIR OUTDIR MPIEXEC [MPI FLAGS...]
set -euo pipefail
exe=$1 study=$2 source=$3 out=$4
shift 4
mpi=("$@")
fail() { echo "FAIL: $*"; exit 1; }
work=$out/signals
rm -rf "$work"
mkdir -p "$work"
ref=$work/reference.h5 res=$work/result.h5
"$exe" run "$study" -o "$ref" --force --quiet > /dev/null
args=(run "$study" -o "$res" --quiet --inject-delay 0.2 --checkpoint-interval 0)

records() { cat "$res.partial"/part-* 2> /dev/null | wc -c; }
wait_for_records() {
  for _ in $(seq 1 600); do
    [ "$(records)" -gt 0 ] && return 0
    sleep 0.1
  done
  fail "no checkpoint record appeared"
}
ranks() {  # the waferbench processes writing $res (not mpirun, not a shell)
  local pid
  for pid in $(pgrep -f -- "-o $res --quiet --inject-delay"); do
    [ "$(cat "/proc/$pid/comm" 2> /dev/null)" = waferbench ] && echo "$pid"
  done
  return 0
}

# case NAME EXPECTED_STATUS TARGET LAUNCH...: start the run, SIGTERM TARGET (launcher | ranks |
# rank1) mid-run, check what it left, finish it with --resume at the other rank count.
case_() {
  local name=$1 expected=$2 target=$3
  shift 3
  echo "--- $name"
  rm -rf "$res" "$res.partial"
  "$@" "${args[@]}" > "$work/$name.log" 2>&1 &
  local launcher=$!
  wait_for_records
  case $target in
    launcher) kill -TERM "$launcher" ;;
    # shellcheck disable=SC2046
    ranks) kill -TERM $(ranks) ;;
    rank1) kill -TERM "$(ranks | sort -n | tail -1)" ;;
  esac
  local status=0 start=$SECONDS
  wait "$launcher" || status=$?
  cat "$work/$name.log"
  [ "$status" -eq "$expected" ] || fail "$name: exit $status, expected $expected"
  [ $((SECONDS - start)) -le 15 ] || fail "$name: took $((SECONDS - start)) s to stop"
  [ "$(grep -c "run the same command with --resume" "$work/$name.log")" -eq 1 ] || fail "$name: the hint was not printed once"
  [ ! -e "$res" ] || fail "$name: an interrupted run wrote a result file"
  [ "$(records)" -gt 0 ] || fail "$name: no checkpoints kept"
  [ -z "$(ranks)" ] || fail "$name: ranks left running"
  local again=("${mpi[@]}" -np 2 "$exe")
  [ "$name" = np1 ] || again=("$exe")
  "${again[@]}" run "$study" -o "$res" --quiet --resume > "$work/$name.resume.log" 2>&1 ||
    { cat "$work/$name.resume.log"; fail "$name: --resume"; }
  grep -Eq "resumed: [1-9][0-9]* of" "$work/$name.resume.log" || fail "$name: nothing was reused"
  "$exe" compare "$ref" "$res" > "$work/$name.compare.log" || { cat "$work/$name.compare.log"; fail "$name: the resumed file differs"; }
}

case_ np1 143 launcher "$exe"
case_ np1_mpirun_ranks 143 ranks "${mpi[@]}" -np 1 "$exe"
case_ np2_mpirun_ranks 143 ranks "${mpi[@]}" -np 2 "$exe"
case_ np2_one_rank 143 rank1 "${mpi[@]}" -np 2 "$exe"
case_ np2_batch_launcher 143 launcher bash -c 'source "$0"; wb_run "$@"' "$source/slurm/launcher.sh" "${mpi[@]}" -np 2 "$exe"
case_ np2_mpirun 1 launcher "${mpi[@]}" -np 2 "$exe"
echo "PASS"
