"""The README's performance table from the benchmarks' JSON (drivers/bench/performance.sh).

Every figure is read from the JSON that Google Benchmark wrote in one run of performance.sh;
the only figures not measured here are Calculon's, given beside ours on the same problem and
stated as the issue's measurement on this machine.
"""
import argparse
import json
import os
import sys

# Calculon (Isaev et al., SC'23, the analytical peer) on the same problem, measured once on this
# 2-core machine when the speed targets were set (GPT-3 13B shape on 64 A100 80GB, global batch
# 1,024, sequence 2,048, Megatron-style); not re-run here (it is a Python package from PyPI).
CALCULON = {
    "tp8_pp8": "12.5 ms",
    "tp4_pp4": "14.1 ms",
    "search_rate": "122 configurations/s per core",
}
CALCULON_SOURCE = "Calculon, same problem, measured once on this machine (not re-run by this script)"


def load(folder, name):
    path = os.path.join(folder, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def bench(data, name):
    """The run of benchmark `name` (exact name, or prefix up to a '/'), or None."""
    if not data:
        return None
    for b in data["benchmarks"]:
        if b["name"] == name or b["name"].startswith(name + "/") or b.get("run_name") == name:
            return b
    return None


def ms(b, key="cpu_time"):
    unit = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b["time_unit"]]
    return b[key] * unit


def fmt(x, digits=3):
    if x is None:
        return "n/a"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def pdes_row(a, c):
    """np 1 (a) and np 2 (c) of one PDES case: events per CPU-second and per wall second, speed-ups."""
    if not a or "cpu_s" not in a:
        return None
    val = (f"np 1: {fmt(a['events'] / 1e6)} M events, {fmt(a['cpu_s'])} s CPU, {fmt(a['events/cpu_s/rank'] / 1e6)} M events "
           f"per CPU-second ({fmt(a['events/s/rank'] / 1e6)} M/s wall)")
    if c and "cpu_s" in c:
        val += (f"; np 2: {fmt(c['cpu_s'])} s CPU per rank ({fmt(c['events/cpu_s/rank'] / 1e6)} M events per CPU-second per "
                f"rank), {fmt(c['rounds'])} rounds; speed-up {a['cpu_s'] / c['cpu_s']:.2f}x in CPU time per rank, "
                f"{ms(a, 'real_time') / ms(c, 'real_time'):.2f}x wall")
        if "handle_cpu_s" in a and "critical_cpu_s" in c:
            # The engine's own event handling, without the waits in MPI (which spin, and last as
            # long as the other rank is descheduled on a shared machine): the sum over rounds of
            # the busiest rank's is the run's time given a core per rank.
            val += (f"; event handling {fmt(a['handle_cpu_s'])} s CPU at np 1, busiest rank {fmt(c['handle_cpu_s'])} s at "
                    f"np 2, summed over rounds {fmt(c['critical_cpu_s'])} s ({a['handle_cpu_s'] / c['critical_cpu_s']:.2f}x "
                    f"with a core per rank), {fmt(c['remote_events'])} events between ranks in {fmt(c['exchanges'])} exchanges")
    return val


def rows(folder):
    out = []
    gemm, stream = load(folder, "gemm"), load(folder, "stream")
    ctx = (gemm or stream or {}).get("context", {})
    before = open(os.path.join(folder, "load_before.txt")).read().split()[:3] if os.path.exists(
        os.path.join(folder, "load_before.txt")) else ["?"]
    after = open(os.path.join(folder, "load_after.txt")).read().split()[:3] if os.path.exists(
        os.path.join(folder, "load_after.txt")) else ["?"]
    out.append(("machine", f"{ctx.get('cpu_model', '?')}, {ctx.get('num_cpus', '?')} cores; load average "
                           f"{' '.join(before)} before, {' '.join(after)} after", ""))
    g = bench(gemm, "BM_Gemm<float>/1024/manual_time")
    s = bench(stream, "BM_StreamTriad/33554432/manual_time")
    out.append(("yardstick: fp32 GEMM n = 1,024, one core", fmt(g and g.get("GFLOP/s_median")) + " GFLOP/s", ""))
    out.append(("yardstick: STREAM triad, 3 x 256 MiB, one core", fmt(s and s.get("GB/s_median")) + " GB/s", ""))

    a = bench(load(folder, "adam"), "BM_AdamUpdate<wb::kernels::Fp16>/33554432/manual_time")
    if a:
        out.append(("mixed-precision Adam, fp32 state, fp16 copy-out, 2^25 parameters, one core",
                    f"{fmt(a['params/s_median'] / 1e6)} M params/s", ""))
    comm = load(folder, "comm")
    for name, what, key, scale, unit in (
            ("BM_PingPong/8/manual_time", "MPI ping-pong, 2 ranks, one-way, 8 B", "real_time", 1, "us"),
            ("BM_PingPong/1048576/manual_time", "MPI ping-pong, 2 ranks, 1 MiB", "GB/s", 1, "GB/s"),
            ("BM_Allreduce/8/manual_time", "MPI all-reduce, 2 ranks, 8 B", "real_time", 1, "us"),
            ("BM_Allreduce/8388608/manual_time", "MPI all-reduce, 2 ranks, 8 MiB, bus bandwidth", "busbw_GB/s", 1, "GB/s")):
        b = bench(comm, name)
        if b:
            v = ms(b, "real_time") * 1e3 if key == "real_time" else b[key] * scale
            out.append((what, f"{fmt(v)} {unit}", ""))

    gt = load(folder, "gpu_time")
    for idx, key, what in ((0, "tp8_pp8", "tp8 pp8 dp1 mb1 (1,024 micro-batches)"),
                           (1, "tp4_pp4", "tp4 pp4 dp4 mb1, full recomputation (256 micro-batches)")):
        b = bench(gt, f"BM_EvaluateLayout/{idx}")
        val = "n/a" if not b else (f"{fmt(ms(b))} ms CPU ({fmt(b.get('micro_batches_walked'))} micro-batches walked as "
                                   f"{fmt(b.get('fused_tasks_walked'))} fused tasks, {fmt(b.get('events'))} separate ones)")
        out.append((f"13B on 64 A100, one layout evaluated: {what}", val, f"{CALCULON[key]} ({CALCULON_SOURCE})"))
    b = bench(gt, "BM_EvaluateEveryLayout")
    if b:
        out.append(("13B on 64 A100, every fitting layout evaluated alone: slowest / mean",
                    f"{fmt(b['max_ms'])} / {fmt(b['mean_ms'])} ms CPU ({fmt(b['layouts'])} layouts; {b.get('label', '')})", ""))
    b = bench(gt, "BM_SearchProblem")
    if b:
        rate = b["timed"] / (ms(b) / 1e3)
        out.append(("13B on 64 A100, full search (every layout enumerated, planned, timed if it fits, ranked)",
                    f"{fmt(ms(b))} ms CPU: {fmt(b['configs'])} layouts, {fmt(b['fitting'])} fit, {fmt(b['timed'])} timed; "
                    f"{fmt(rate)} timed layouts/s per core",
                    f"{CALCULON['search_rate']} ({CALCULON_SOURCE}; its search space also has TP overlap and "
                    "activation offload, so only the rate per configuration is compared)"))
    for arg, what in (("512/0", "13B on 4,096 A100 (DeepSpeed)"), ("8/0", "13B on 64 A100 (DeepSpeed)"),
                      ("256/1", "Llama-2-70B on 2,048 A100 (DeepSpeed)")):
        b = bench(gt, f"BM_BestStrategy/{arg}")
        if b:
            out.append((f"best-layout search (search_best), {what}",
                        f"{fmt(ms(b))} ms CPU: {fmt(b['timed'])} of {fmt(b['fitting'])} fitting layouts timed "
                        f"({100 * b['timed'] / max(1, b['fitting']):.1f} %)", ""))
    mp = bench(load(folder, "memory_plan"), "BM_MemoryPlan")
    if mp:
        out.append(("memory plans evaluated per second, one core", f"{fmt(mp['scenarios/s'] / 1e6)} M", ""))

    p1, p2 = load(folder, "pdes_np1"), load(folder, "pdes_np2")
    for name, what in (("BM_Pdes13BZero3/1024/iterations:4", "13B ZeRO-3 step on 1,024 GPUs"),
                       ("BM_Pdes13BZero3/4096/iterations:4", "13B ZeRO-3 step on 4,096 GPUs"),
                       ("BM_Pdes1T/4/iterations:1", "Megatron 1T on 3,072 GPUs with stragglers, 128 micro-batches"),
                       ("BM_Pdes1T/1/iterations:1", "Megatron 1T on 3,072 GPUs with stragglers, 512 micro-batches (the paper's batch)")):
        row = pdes_row(bench(p1, name + "/manual_time"), bench(p2, name + "/manual_time"))
        if row:
            out.append((f"PDES, {what}", row, ""))

    out += fabric_rows(load(folder, "fabric"), load(folder, "fabric_np2"))
    return out


def fabric_rows(np1, np2):
    """The fabric kernel's rows: PE-cycles (every PE, busy or not) per second of wall clock."""
    out = []
    one_core = {}
    kinds = {"BM_FabricCycleStreaming": "weight streaming", "BM_FabricCycleChainGemv": "calibration GEMV, chain reduction"}
    for b in (np1 or {}).get("benchmarks", []):
        rate = b.get("PE-cycles/s")
        parts = b["name"].split("/")
        if rate is None or parts[0] not in kinds:
            continue
        one_core[(parts[0], parts[1])] = rate
        out.append((f"fabric kernel, {kinds[parts[0]]} on {parts[1]}² PEs ({b.get('busy_fraction', 0):.0%} busy), one core",
                    f"{fmt(rate / 1e6)} M PE-cycles/s", ""))
    for b in (np2 or {}).get("benchmarks", []):
        rate = b.get("PE-cycles/s")
        parts = b["name"].split("/")
        if rate is None or parts[0] != "BM_FabricCycleStreamingHalo":
            continue
        base = one_core.get(("BM_FabricCycleStreaming", parts[1]))
        ratio = f" ({rate / base:.2f}x the one-core rate of this run)" if base else ""
        out.append((f"fabric kernel, weight streaming on {parts[1]}² PEs over 2 ranks, ghosts {parts[2]} deep "
                    f"(exchanged every {parts[2]} cycles)", f"{fmt(rate / 1e6)} M PE-cycles/s{ratio}", ""))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("folder", help="the --out folder of performance.sh")
    args = ap.parse_args()
    print("| figure | waferbench | the same work by a peer |")
    print("|---|---|---|")
    for what, value, peer in rows(args.folder):
        print(f"| {what} | {value} | {peer} |")


if __name__ == "__main__":
    sys.exit(main())
