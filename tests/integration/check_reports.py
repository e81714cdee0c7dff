"""Integration test of the driver's outputs for people and scripts:

- `waferbench report --format text|markdown|csv|json`: CSV and JSON parse and hold exactly the
  values of the HDF5 file (read independently through results/plot/wbresults.py);
- `waferbench compare`: exit 0 and "no changes" for a file against itself; exit 3 for two runs
  that differ, with removed/added scenarios and per-metric relative changes that match the files;
- the progress bar: drawn by rank 0 with the count of all ranks' scenarios when stderr (or, under
  mpirun, stdout) is a terminal; silent with --quiet or without a terminal.

    /usr/bin/python3 check_reports.py --exe build/drivers/waferbench --source . --out build/test-output/reports \
        --mpiexec "mpiexec|-n|2|--oversubscribe"
"""
import argparse
import csv
import io
import json
import math
import os
import pty
import select
import subprocess
import sys

FAILURES = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        FAILURES.append(what)


def run(cmd, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    return p.returncode, p.stdout, p.stderr


def run_on_terminal(cmd, timeout=120):
    """Runs cmd with stdout and stderr on a pseudo-terminal; returns (exit code, everything written)."""
    master, slave = pty.openpty()
    p = subprocess.Popen(cmd, stdout=slave, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], timeout)
        if not ready:
            p.kill()
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the terminal's last writer is gone
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return p.wait(), b"".join(chunks).decode("utf-8", "replace")


def same_number(x, y):
    if x is None or y is None:
        return (x is None or (isinstance(x, float) and math.isnan(x))) and \
               (y is None or (isinstance(y, float) and math.isnan(y)))
    return float(x) == float(y)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exe", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--mpiexec", required=True, help="launch prefix for 2 ranks, words separated by '|'")
    args = ap.parse_args()
    sys.path.insert(0, os.path.join(args.source, "results", "plot"))
    import wbresults

    os.makedirs(args.out, exist_ok=True)
    exe = args.exe
    studies = os.path.join(args.source, "tests", "inputs", "compare")
    before = os.path.join(args.out, "before.h5")
    after = os.path.join(args.out, "after.h5")
    for study, path in ((os.path.join(studies, "before.yaml"), before), (os.path.join(studies, "after.yaml"), after)):
        rc, out, err = run([exe, "run", study, "-o", path, "--force", "--quiet"])
        check(rc == 0, f"run {os.path.basename(study)} (exit {rc}) {err.strip()}")

    res = wbresults.load(before)
    sc = res.table("scenarios")
    n = res.rows("scenarios")

    # report, text and Markdown
    rc, out, err = run([exe, "report", before])
    check(rc == 0 and "Predicted vs published (1 of 1 within tolerance)" in out, "report text")
    rc, out, err = run([exe, "report", before, "--format", "markdown"])
    check(rc == 0 and out.startswith("## Study before") and "|---|" in out and "### Predicted vs published" in out,
          "report markdown has a heading and pipe tables")

    # Missing integers: every integer dataset declares -1 as its HDF5 fill value.
    import h5py
    with h5py.File(before, "r") as f:
        ints = [(g + "/" + c, ds) for g, grp in f.items() if isinstance(grp, h5py.Group)
                for c, ds in grp.items() if isinstance(ds, h5py.Dataset) and ds.dtype.kind == "i"]
        check(ints and all(ds.id.get_create_plist().fill_value_defined() == h5py.h5d.FILL_VALUE_USER_DEFINED
                           and ds.fillvalue == -1 for _, ds in ints),
              f"{len(ints)} integer datasets declare the fill value -1")

    # CSV: every /scenarios column, every row, numbers exact
    rc, out, err = run([exe, "report", before, "--format", "csv"])
    rows = list(csv.reader(io.StringIO(out, newline="")))
    check(rc == 0 and rows[0] == list(sc.keys()), "report csv header is the /scenarios columns in file order")
    check(len(rows) == n + 1, f"report csv has {n} data rows")
    col = rows[0].index("device_memory_bytes")
    check(all(float(rows[i + 1][col]) == sc["device_memory_bytes"][i] for i in range(n)),
          "report csv device_memory_bytes equal the file's bit for bit")
    col = rows[0].index("host")
    check(all(rows[i + 1][col] == sc["host"][i] for i in range(n)), "report csv strings")
    rc, out, err = run([exe, "report", before, "--format", "csv", "--table", "reference"])
    check(rc == 0 and out.startswith("scenario_id,scenario_index,metric"), "report csv --table reference")

    # JSON: valid, every group, values exact, NaN as null
    rc, out, err = run([exe, "report", before, "--format", "json"])
    try:
        doc = json.loads(out)
    except ValueError as e:
        doc = None
        check(False, f"report json is valid JSON: {e}")
    if doc is not None:
        check(set(doc["tables"]) == set(res.tables), "report json has every group")
        check(doc["attributes"]["schema_version"] == wbresults.SCHEMA_VERSION, "report json attributes")
        jrows = doc["tables"]["scenarios"]["rows"]
        check(len(jrows) == n, "report json scenario rows")
        ok = all(same_number(jrows[i][c], sc[c][i]) for i in range(n)
                 for c in sc if sc[c].dtype.kind in "fi")
        check(ok, "report json numbers equal the file's (NaN as null)")
        check(all(jrows[i]["id"] == sc["id"][i] for i in range(n)), "report json strings")
        check(doc["tables"]["scenarios"]["units"]["device_memory_bytes"] == "bytes", "report json units")
        check(doc["reference_summary"] == {"references": 1, "within_tolerance": 1}, "report json reference summary")

    # An unreadable file: exit 2, one message
    rc, out, err = run([exe, "report", os.path.join(args.out, "no-such-file.h5"), "--format", "json"])
    check(rc == 2 and err.count("waferbench: error:") == 1 and out == "", "report of a missing file: exit 2, one error")

    # compare: a file with itself
    rc, out, err = run([exe, "compare", before, before])
    check(rc == 0 and "Result: no changes" in out, f"compare A A: exit 0, no changes (exit {rc})")

    # compare: two different runs
    rc, out, err = run([exe, "compare", before, after])
    check(rc == 3, f"compare before after: exit 3 (got {rc})")
    check("megatron-1.7b@v100-32gbx8/zero1+mb1" in out.split("Added")[0] and "Removed (only in A)" in out,
          "compare text lists removed scenarios")
    check("megatron-39b@v100-32gbx8/zero3+mb1" in out and "Added (only in B)" in out, "compare text lists added")
    rc, out, err = run([exe, "compare", before, after, "--format", "json"])
    try:
        cmp = json.loads(out)
    except ValueError as e:
        cmp = None
        check(False, f"compare json is valid JSON: {e}")
    if cmp is not None:
        check(cmp["changed"] is True and cmp["common"] == 2, "compare json: changed, 2 common scenarios")
        check(sorted(cmp["removed"]) == ["megatron-1.7b@v100-32gbx8/zero1+mb1", "megatron-1.7b@v100-32gbx8/zero3+mb1"],
              "compare json removed")
        check(sorted(cmp["added"]) == ["megatron-39b@v100-32gbx8/zero1+mb1", "megatron-39b@v100-32gbx8/zero3+mb1"],
              "compare json added")
        ra, rb = wbresults.load(before).table("scenarios"), wbresults.load(after).table("scenarios")
        sid = "megatron-7.5b@v100-32gbx8/zero3+mb1"
        ia, ib = list(ra["id"]).index(sid), list(rb["id"]).index(sid)
        a, b = ra["device_memory_bytes"][ia], rb["device_memory_bytes"][ib]
        mem = [c for c in cmp["changes"] if c["key"] == sid and c["metric"] == "device_memory_bytes"]
        check(len(mem) == 1 and mem[0]["a"] == a and mem[0]["b"] == b and
              abs(mem[0]["relative_change"] - (b - a) / a) < 1e-15,
              "compare json: device_memory_bytes of the common scenario, with its relative change")
        unchanged = [c for c in cmp["changes"] if c["metric"] in ("params", "model", "devices")]
        check(not unchanged, "compare json: unchanged metrics are not listed")
    rc, out, err = run([exe, "compare", before, after, "--format", "csv"])
    rows = list(csv.reader(io.StringIO(out, newline="")))
    check(rc == 3 and rows[0] == ["group", "key", "metric", "units", "a", "b", "relative_change"] and len(rows) > 5,
          "compare csv")
    rc, out, err = run([exe, "compare", before, os.path.join(args.out, "no-such-file.h5")])
    check(rc == 2, f"compare with a missing file: exit 2 (got {rc})")

    # --slice K/N needs 0 <= K < N: anything else is bad input (exit 2, one message, no file).
    for bad in ("3/3", "1", "a/2", "-1/2", "0/0"):
        target = os.path.join(args.out, "bad-slice.h5")
        rc, out, err = run([exe, "run", os.path.join(studies, "before.yaml"), "--slice", bad, "-o", target, "--force"])
        check(rc == 2 and err.count("--slice: expected K/N") == 1 and not os.path.exists(target),
              f"--slice {bad} is refused with exit 2 (got {rc})")

    # Progress: on a terminal at np 2 the bar counts every rank's scenarios; --quiet silences it.
    mpi = args.mpiexec.split("|")
    study = os.path.join(studies, "before.yaml")
    rc, text = run_on_terminal(mpi + [exe, "run", study, "-o", os.path.join(args.out, "tty.h5"), "--force"])
    bars = [line for line in text.replace("\r", "\n").split("\n") if line.startswith("[waferbench]")]
    check(rc == 0 and bars and "4/4 scenarios (100%)" in bars[-1], f"progress bar at np 2 ends at 4/4: {bars[-1:]}")
    rc, text = run_on_terminal(mpi + [exe, "run", study, "-o", os.path.join(args.out, "tty.h5"), "--force", "--quiet"])
    check(rc == 0 and "[waferbench]" not in text, "no progress bar with --quiet")
    rc, out, err = run(mpi + [exe, "run", study, "-o", os.path.join(args.out, "tty.h5"), "--force"])
    check(rc == 0 and "[waferbench]" not in out + err, "no progress bar without a terminal")
    rc, out, err = run([exe, "run", study, "-o", os.path.join(args.out, "tty.h5"), "--force", "--progress"])
    check(rc == 0 and "4/4 scenarios (100%)" in err, "--progress draws the bar on stderr without a terminal")

    print(f"{len(FAILURES)} failure(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
