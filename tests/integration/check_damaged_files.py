"""Damaged and foreign files are refused, naming the file and the dataset, at np 1 or 2:

- bytes inside one chunk of /scenarios/device_memory_bytes changed (HDF5's Fletcher32 checksum of
  the chunk), the whole chunk inverted or zeroed with its checksum (which Fletcher32 cannot see;
  the column's CRC-32 can): `report` and `compare` exit 2 naming the file and that dataset;
- 4 KiB changed from the middle of that chunk on (data and whatever follows): exit 2, "damaged";
- a damaged slice given to `merge`: exit 2 naming the slice;
- a damaged fabric cache given to `run --fabric-cache`: exit 2 naming the file and the dataset;
- a valid HDF5 file that is not a waferbench result (no schema_version): `report` and `compare`
  exit 2 with "not a waferbench result file".

    /usr/bin/python3 check_damaged_files.py --exe build/drivers/waferbench --source . \
        --out build/test-output/damaged --np 2 --mpiexec "mpiexec|--oversubscribe"
"""
import argparse
import os
import shutil
import subprocess
import sys

import h5py

FAILURES = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        FAILURES.append(what)


def chunk_of(path, dataset):
    """Byte offset and size of the first chunk of a dataset."""
    with h5py.File(path, "r") as f:
        info = f[dataset].id.get_chunk_info(0)
        return info.byte_offset, info.size


def change(path, offset, size, how):
    with open(path, "r+b") as f:
        f.seek(offset)
        data = bytearray(f.read(size))
        f.seek(offset)
        f.write(bytes(size) if how == "zero" else bytes(b ^ 0xFF for b in data))


def damaged_copy(src, dst, dataset, how="invert", start=0, size=None):
    """A copy of src with `size` bytes (default: the rest of the chunk) of the first chunk of
    dataset inverted or zeroed, from `start` bytes into the chunk."""
    if src != dst:
        shutil.copyfile(src, dst)
    offset, chunk = chunk_of(src, dataset)
    change(dst, offset + start, size or chunk - start, how)
    return dst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--np", type=int, default=1)
    ap.add_argument("--mpiexec", default="", help="launcher words joined by |, without the rank count")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    launch = [a.exe] if a.np == 1 else a.mpiexec.split("|") + ["-n", str(a.np), a.exe]

    def wb(*args, timeout=120, ranks=launch):
        p = subprocess.run(ranks + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def fixture(*args):
        """A good file to damage, written by one process (the refusals are what run at --np)."""
        code, _, err = wb(*args, ranks=[a.exe])
        check(code == 0, f"{' '.join(args[:2])}: {err.strip()[:200]}")

    def refused(what, args, expect):
        code, _, err = wb(*args)
        check(code == 2, f"{what}: exit {code}, expected 2")
        for e in expect:
            check(e in err, f"{what}: says '{e}' ({err.strip()[:300]})")
        check(err.count("waferbench: error:") == 1, f"{what}: one message")

    study = os.path.join(a.source, "inputs/studies/seed_memory.yaml")
    good = os.path.join(a.out, "good.h5")
    fixture("run", study, "-o", good, "--force", "--quiet")
    column = "/scenarios/device_memory_bytes"

    named = lambda path: [f"{path}: dataset {column} is damaged: its checksum does not match"]
    for how, start, what in (("invert", 8, "bytes inside one chunk changed"),
                             ("invert", 0, "one chunk inverted whole"),
                             ("zero", 0, "one chunk zeroed")):
        bad = damaged_copy(good, os.path.join(a.out, f"damaged_{how}{start}.h5"), column, how, start)
        refused(f"report, {what}", ["report", bad], named(bad))
        refused(f"compare, {what}", ["compare", good, bad], named(bad))

    _, chunk = chunk_of(good, column)
    spread = damaged_copy(good, os.path.join(a.out, "damaged_4k.h5"), column, "invert", chunk // 2, 4096)
    refused("report, 4 KiB changed", ["report", spread], [f"{spread}: ", "is damaged"])
    refused("compare, 4 KiB changed", ["compare", spread, good], [f"{spread}: ", "is damaged"])

    # merge: slice 1 of 2 damaged.
    parts = []
    for k in range(2):
        part = os.path.join(a.out, f"slice{k}.h5")
        fixture("run", study, "--slice", f"{k}/2", "-o", part, "--force", "--quiet")
        parts.append(part)
    damaged_copy(parts[1], parts[1], column)
    merged = os.path.join(a.out, "merged.h5")
    refused("merge with a damaged slice", ["merge", merged, parts[0], parts[1], "--force"],
            [f"{parts[1]}: dataset {column} is damaged"])
    check(not os.path.exists(merged), "merge with a damaged slice writes nothing")

    # --fabric-cache: the /fabric table of a fabric study, damaged.
    cache = os.path.join(a.out, "fabric_cache.h5")
    fixture("run", os.path.join(a.source, "inputs/studies/fabric_small.yaml"), "-o", cache, "--force", "--quiet")
    damaged_copy(cache, cache, "/fabric/cycles")
    refused("run --fabric-cache with a damaged cache",
            ["run", os.path.join(a.source, "inputs/studies/cerebras_gpt_111m_fabric.yaml"), "-o",
             os.path.join(a.out, "with_cache.h5"), "--force", "--quiet", "--fabric-cache", cache],
            ["--fabric-cache: ", f"{cache}: dataset /fabric/cycles is damaged"])

    # A valid HDF5 file that waferbench did not write.
    foreign = os.path.join(a.out, "foreign.h5")
    with h5py.File(foreign, "w") as f:
        f.create_dataset("scenarios/id", data=[b"x"])
        f.attrs["title"] = "some other program's file"
    refused("report of a foreign HDF5 file", ["report", foreign], [f"{foreign}: not a waferbench result file"])
    refused("compare with a foreign HDF5 file", ["compare", good, foreign], [f"{foreign}: not a waferbench result file"])

    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
