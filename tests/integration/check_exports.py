"""Integration test of `waferbench report --export deepspeed|megatron` and `--timeline-trace`, read
back as the frameworks and trace viewers read them and checked against the result file itself:

  - the DeepSpeed config is JSON whose batch, accumulation, ZeRO stage and offload are the
    scenario's (train_batch_size = micro-batch x accumulation x data parallel);
  - the Megatron-LM argument line carries the scenario's tp, pp, virtual stages, batches and
    recompute; a ZeRO-2/3 or offload layout is refused for Megatron, and the default is the
    fastest layout that Megatron can run;
  - the Chrome trace is JSON in the Trace Event Format with one complete event per /timeline
    task of the scenario, at its start and duration in microseconds, a named process per GPU
    and a named thread per stream.

    /usr/bin/python3 check_exports.py --exe build/drivers/waferbench --source . --result training_ranks_np1.h5 \
        --memory-result seed_memory_np1.h5 --out build/test-output/exports
"""
import argparse
import json
import math
import os
import shlex
import subprocess
import sys

FAILURES = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        FAILURES.append(what)


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p.returncode, p.stdout, p.stderr


def words(strategy):
    return set(strategy.split("+"))


def fitting_gpu_training(sc):
    return [i for i in range(len(sc["id"])) if sc["task"][i] == "train" and not sc["placement"][i]
            and sc["fits"][i] == 1]


def fastest(sc, rows):
    return min(rows, key=lambda i: sc["time_to_train_s"][i])


def check_deepspeed(exe, result, sc):
    rows = fitting_gpu_training(sc)
    for i in rows:
        rc, out, err = run([exe, "report", result, "--export", "deepspeed", "--scenario", sc["id"][i]])
        try:
            cfg = json.loads(out)
        except ValueError:
            cfg = None
        check(rc == 0 and cfg is not None,
              f"--export deepspeed {sc['id'][i]} prints JSON (exit {rc})" + ("" if rc == 0 else f" {err.strip()[-200:]}"))
        if cfg is None:
            continue
        w = words(sc["strategy"][i])
        zero = cfg["zero_optimization"]
        check(cfg["train_batch_size"] == sc["global_batch"][i] ==
              cfg["train_micro_batch_size_per_gpu"] * cfg["gradient_accumulation_steps"] * sc["dp"][i]
              and cfg["train_micro_batch_size_per_gpu"] == sc["micro_batch"][i]
              and cfg["gradient_accumulation_steps"] == sc["grad_accum"][i],
              f"{sc['id'][i]}: batch {cfg['train_batch_size']} = micro {cfg['train_micro_batch_size_per_gpu']} x "
              f"accumulation {cfg['gradient_accumulation_steps']} x dp {sc['dp'][i]}")
        check(zero["stage"] == sc["zero_stage"][i] and ("offload_optimizer" in zero) == ("offload" in w)
              and ("offload_param" in zero) == ("param-offload" in w),
              f"{sc['id'][i]}: ZeRO stage {zero['stage']} and offload as in the strategy")
    rc, out, err = run([exe, "report", result, "--export", "deepspeed"])
    best = sc["id"][fastest(sc, rows)]
    check(rc == 0 and f"layout of {best}" in err, f"--export deepspeed defaults to the fastest fitting layout {best}")


def megatron_runs(sc, i):
    w = words(sc["strategy"][i])
    return sc["zero_stage"][i] < 2 and "offload" not in w and "param-offload" not in w


def check_megatron(exe, result, sc):
    rows = fitting_gpu_training(sc)
    for i in rows:
        rc, out, err = run([exe, "report", result, "--export", "megatron", "--scenario", sc["id"][i]])
        if not megatron_runs(sc, i):
            check(rc == 2 and "does not run" in err, f"--export megatron refuses {sc['id'][i]} (exit {rc})")
            continue
        args = shlex.split(out)
        value = {args[k]: args[k + 1] for k in range(len(args) - 1) if args[k].startswith("--")
                 and not args[k + 1].startswith("--")}
        vp = next((int(x[2:]) for x in words(sc["strategy"][i]) if x.startswith("vp")), 1)
        recompute = next((x.split("-", 1)[1] for x in words(sc["strategy"][i]) if x.startswith("recompute-")), "none")
        check(rc == 0 and int(value["--tensor-model-parallel-size"]) == sc["tp"][i]
              and int(value["--pipeline-model-parallel-size"]) == sc["pp"][i]
              and int(value.get("--num-virtual-stages-per-pipeline-rank", 1)) == vp
              and int(value["--micro-batch-size"]) == sc["micro_batch"][i]
              and int(value["--global-batch-size"]) == sc["global_batch"][i]
              and int(value["--seq-length"]) == sc["seq_len"][i]
              and value.get("--recompute-granularity", "none") == recompute
              and ("--use-distributed-optimizer" in args) == (sc["zero_stage"][i] == 1),
              f"--export megatron {sc['id'][i]}: {out.strip()}")
    runnable = [i for i in rows if megatron_runs(sc, i)]
    rc, out, err = run([exe, "report", result, "--export", "megatron"])
    best = sc["id"][fastest(sc, runnable)]
    check(rc == 0 and f"layout of {best}" in err, f"--export megatron defaults to the fastest layout it runs, {best}")


def check_trace(exe, result, tl, out_dir):
    scenarios = list(dict.fromkeys(tl["scenario_id"]))
    for scenario in scenarios:
        path = os.path.join(out_dir, "trace.json")
        rc, out, err = run([exe, "report", result, "--timeline-trace", path, "--scenario", scenario])
        try:
            with open(path) as f:
                trace = json.load(f)
        except (OSError, ValueError):
            trace = None
        check(rc == 0 and trace is not None and "perfetto" in out, f"--timeline-trace {scenario} (exit {rc}) {err.strip()}")
        if trace is None:
            continue
        rows = [k for k in range(len(tl["scenario_id"])) if tl["scenario_id"][k] == scenario]
        events = [e for e in trace["traceEvents"] if e["ph"] == "X"]
        want = sorted((int(tl["device"][k]), tl["stream"][k], tl["kind"][k], tl["start_s"][k] * 1e6,
                       (tl["end_s"][k] - tl["start_s"][k]) * 1e6) for k in rows)
        threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in trace["traceEvents"]
                   if e["ph"] == "M" and e["name"] == "thread_name"}
        got = sorted((e["pid"], threads.get((e["pid"], e["tid"])), e["name"], e["ts"], e["dur"]) for e in events)
        same = len(got) == len(want) and all(g[:3] == w[:3] and math.isclose(g[3], w[3], rel_tol=1e-12, abs_tol=1e-9)
                                             and math.isclose(g[4], w[4], rel_tol=1e-12, abs_tol=1e-9)
                                             for g, w in zip(got, want))
        check(same, f"{scenario}: {len(events)} trace events are the {len(rows)} /timeline tasks, in microseconds, "
                    f"on the thread of their stream")
        named = {e["pid"] for e in trace["traceEvents"] if e["ph"] == "M" and e["name"] == "process_name"}
        check(named == {int(tl["device"][k]) for k in rows} and trace["otherData"]["scenario"] == scenario,
              f"{scenario}: a named process per GPU ({sorted(named)})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exe", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--result", required=True, help="a training study's result with /timeline")
    ap.add_argument("--memory-result", required=True, help="a memory study's result (no batch, no timeline)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    sys.path.insert(0, os.path.join(args.source, "results", "plot"))
    import wbresults

    os.makedirs(args.out, exist_ok=True)
    res = wbresults.load(args.result)
    sc, tl = res.table("scenarios"), res.table("timeline")
    check(len(fitting_gpu_training(sc)) >= 2 and len(tl.get("scenario_id", [])) > 0,
          f"{os.path.basename(args.result)} has GPU training scenarios and a timeline")
    check_deepspeed(args.exe, args.result, sc)
    check_megatron(args.exe, args.result, sc)
    check_trace(args.exe, args.result, tl, args.out)

    rc, out, err = run([args.exe, "report", args.memory_result, "--export", "deepspeed"])
    check(rc == 2 and "no global batch" in err, f"a memory study has no layout to export (exit {rc})")
    rc, out, err = run([args.exe, "report", args.memory_result, "--timeline-trace", os.path.join(args.out, "none.json")])
    check(rc == 2 and "no /timeline" in err and not os.path.exists(os.path.join(args.out, "none.json")),
          f"a file without /timeline writes no trace (exit {rc})")
    rc, out, err = run([args.exe, "report", args.result, "--export", "deepspeed", "--timeline-trace", "x.json"])
    check(rc != 0 and "excludes" in err, "--export and --timeline-trace are one or the other")
    print(f"{len(FAILURES)} failure(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
