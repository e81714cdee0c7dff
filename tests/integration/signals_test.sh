#!/usr/bin/env bash
# SIGTERM mid-run, as a scheduler's time limit sends it, to the launcher or to the ranks: the run
# saves its finished scenarios, prints the resume hint once, exits 143, and `--resume` (at another
# rank count) gives a file `waferbench compare` calls the same as an uninterrupted run's.
#   np 1 without a launcher: SIGTERM to the process;
#   np 1 and 2 under mpirun: SIGTERM to the ranks; to one rank only (np 2);
#   np 2: SIGTERM to the batch scripts' launcher (slurm/launcher.sh wb_run around mpirun);
#   np 2: SIGTERM to mpirun itself: saved and said the same, but Open MPI's mpirun exits 1 on
#         SIGTERM whatever its ranks do (orterun's signal callback sets the status first);
#   np 2: SIGTERM to the ranks of a fabric study (not checkpointed): 143, the note, no file.
# Under srun: tests/integration/slurm_test.sh (the interrupted job).
#   signals_test.sh WAFERBENCH STUDY SOURCE_DIR OUTDIR MPIEXEC [MPI FLAGS...]
set -euo pipefail
exe=$1 study=$2 source=$3 out=$4
shift 4
mpi=("$@")
# shellcheck source=tests/integration/run_helpers.sh
source "$(dirname "$0")/run_helpers.sh"
work=$out/signals
rm -rf "$work"
mkdir -p "$work"
ref=$work/reference.h5 res=$work/result.h5
"$exe" run "$study" -o "$ref" --force --quiet > /dev/null
args=(run "$study" -o "$res" --quiet --inject-delay 0.2 --checkpoint-interval 0)

ranks() { waferbench_pids "-o $res --quiet --inject-delay"; }

# case NAME EXPECTED_STATUS TARGET LAUNCH...: start the run, SIGTERM TARGET (launcher | ranks |
# rank1) mid-run, check what it left, finish it with --resume at the other rank count.
case_() {
  local name=$1 expected=$2 target=$3
  shift 3
  echo "--- $name"
  rm -rf "$res" "$res.partial"
  "$@" "${args[@]}" > "$work/$name.log" 2>&1 &
  local launcher=$!
  wait_for "$name: no checkpoint record appeared" has_records "$res"
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
  has_records "$res" || fail "$name: no checkpoints kept"
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

# A fabric study, whose every case takes all ranks: they stop together before the next case,
# and say that a fabric study is not checkpointed (run it in slices).
echo "--- np2_fabric_ranks"
fab=$work/fabric.h5
rm -rf "$fab" "$fab.tmp" "$fab.lock"
"${mpi[@]}" -np 2 "$exe" run "$source/inputs/studies/fabric_small.yaml" -o "$fab" --progress --inject-delay 0.3 \
  > "$work/fabric.log" 2>&1 &
launcher=$!
wait_for "np2_fabric_ranks: the fabric study ran no case" grep -q "case 1/" "$work/fabric.log"
fabric_ranks() { waferbench_pids "-o $fab --progress"; }
# shellcheck disable=SC2046
kill -TERM $(fabric_ranks)
status=0
wait "$launcher" || status=$?
cat "$work/fabric.log"
[ "$status" -eq 143 ] || fail "np2_fabric_ranks: exit $status, expected 143"
[ "$(grep -c "a fabric study is not checkpointed" "$work/fabric.log")" -eq 1 ] || fail "np2_fabric_ranks: the note was not printed once"
for f in "$fab" "$fab.tmp" "$fab.lock"; do [ ! -e "$f" ] || fail "np2_fabric_ranks: left $f"; done
[ -z "$(fabric_ranks)" ] || fail "np2_fabric_ranks: ranks left running"
echo "PASS"
