#!/usr/bin/env bash
# A full disk loses nothing, at np 1 or 2. On a 2 MiB tmpfs mounted here (root only; skipped,
# exit 77, where mounting is not allowed), filled until the checkpoints still fit but the
# result does not:
#  1. `run --force` over a good result: exit 2 (no signal), one message naming the file and the
#     cause, the old result byte for byte, the checkpoints kept, no temporary or lock file;
#  2. `--resume` onto the still-full disk: the same, at once;
#  3. space freed, `--resume` finishes with the file an uninterrupted run writes.
#   full_disk_test.sh WAFERBENCH COMPARE STUDY OUTDIR NP MPIEXEC [MPI FLAGS...]
set -euo pipefail
exe=$1 compare=$2 study=$3 out=$4 np=$5
shift 5
mpi=("$@")
fail() { echo "FAIL: $*"; exit 1; }
if [ "$(id -u)" -ne 0 ]; then echo "SKIPPED: mounting a small tmpfs needs root"; exit 77; fi

work=$out/full_disk_np$np
mnt=$work/mnt
mkdir -p "$mnt"
umount "$mnt" 2> /dev/null || true
rm -rf "${work:?}"/*.h5* "$mnt"/* 2> /dev/null || true
if ! mount -t tmpfs -o size=2m tmpfs "$mnt" 2> "$work/mount.log"; then
  echo "SKIPPED: cannot mount a tmpfs here: $(cat "$work/mount.log")"
  exit 77
fi
trap 'umount "$mnt" 2> /dev/null || true' EXIT
launch=("$exe")
[ "$np" -eq 1 ] || launch=("${mpi[@]}" -np "$np" "$exe")
# Every run is bounded: a hang is a failure, not a stuck test.
run() { timeout 120 "${launch[@]}" "$@"; }

ref=$work/reference.h5 res=$mnt/result.h5
"$exe" run "$study" -o "$ref" --force --quiet > /dev/null
cp "$ref" "$res"
# Leave 48 KiB: room for the checkpoints (about 30 KiB), not for the result (about 100 KiB).
avail_kib=$(df -k --output=avail "$mnt" | tail -1)
head -c $(( (avail_kib - 48) * 1024 )) /dev/zero > "$mnt/filler"

echo "--- 1. --force over a good result on a full disk"
status=0
run run "$study" -o "$res" --force --quiet > "$work/full.log" 2>&1 || status=$?
cat "$work/full.log"
[ "$status" -eq 2 ] || fail "exit $status on a full disk, expected 2 (no signal, no crash)"
[ "$(grep -c "waferbench: error:" "$work/full.log")" -eq 1 ] || fail "the error was not printed exactly once"
grep -q "$res.tmp: cannot reserve .* of disk space for the result: No space left on device" "$work/full.log" ||
  fail "the message does not say what failed and where"
cmp -s "$ref" "$res" || fail "the old result was changed"
[ -d "$res.partial" ] || fail "the checkpoints were not kept"
[ ! -e "$res.tmp" ] || fail "a temporary file was left"
[ ! -e "$res.lock" ] || fail "the lock file was left"

echo "--- 2. --resume onto the still-full disk fails at once"
start=$SECONDS
status=0
run run "$study" -o "$res" --force --resume --quiet > "$work/resume_full.log" 2>&1 || status=$?
cat "$work/resume_full.log"
[ "$status" -eq 2 ] || fail "--resume on a full disk exited $status, expected 2"
[ $((SECONDS - start)) -le 30 ] || fail "--resume on a full disk took $((SECONDS - start)) s"
grep -q "No space left on device" "$work/resume_full.log" || fail "--resume on a full disk does not say why"
cmp -s "$ref" "$res" || fail "the old result was changed by --resume"
[ -d "$res.partial" ] || fail "the checkpoints were lost by --resume"

echo "--- 3. space freed: --resume finishes"
rm -f "$mnt/filler"
run run "$study" -o "$res" --force --resume --quiet > "$work/resume.log" 2>&1 || { cat "$work/resume.log"; fail "--resume after freeing space"; }
grep -Eq "resumed: [1-9][0-9]* of" "$work/resume.log" || fail "the checkpoints were not reused"
"$compare" "$ref" "$res"
[ ! -e "$res.partial" ] && [ ! -e "$res.tmp" ] && [ ! -e "$res.lock" ] || fail "files left after a complete run"
echo "PASS"
