"""Figures from waferbench result files, written as PNG and PDF beside each file (or in --outdir).

    /usr/bin/python3 results/plot/figures.py results/seed_memory.h5 [more.h5 ...]
    /usr/bin/python3 results/plot/figures.py --only timeline --scenario 'ID' results/x.h5

Draws every figure the file has data for and prints the paths written; a figure whose data the
file lacks (a memory study has no step times, only fabric studies have a heat map) is skipped, and
named on stderr (with the reason under --verbose or --only). Figures (the file name ends in _<figure>.png):

  memory            peak memory per device vs model size, per strategy, device capacity as lines
  memory_breakdown  what fills the most loaded device, stacked, per scenario
  time_to_train     time to train vs model size, GPU clusters vs wafer systems, published markers
  step_breakdown    one training step: compute, exposed communication, offload, CPU optimizer,
                    pipeline bubble, straggler wait, stacked per scenario
  timeline          Gantt chart of one simulated step per device: compute, comm, PCIe, CPU
  scaling           time and scaling efficiency vs number of GPUs or systems
  fabric_heatmap    busy fraction of every PE of the wafer fabric, per simulated case
  validation        predicted vs published for every reference row, with the +-10 % band

With --combined NAME, the validation figure of all files together is also drawn (NAME.png).
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.patches  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wbresults  # noqa: E402

GIB = 1024.0 ** 3
DAY_S = 86400.0
BAND = 0.10  # the +-10 % band of the validation figure

# The per-step breakdown columns (docs/results.md); they sum to step_time_s.
STEP_PARTS = [("step_compute_s", "compute"), ("step_exposed_comm_s", "exposed communication"),
              ("step_offload_transfer_s", "offload transfer (PCIe)"), ("step_cpu_optimizer_s", "CPU optimizer"),
              ("step_pipeline_bubble_s", "pipeline bubble"), ("step_straggler_wait_s", "straggler wait")]
# Reference rows that compare a yes/no fact (1/0), shown by their verdict only.
FLAGS = ("fits", "fits_device", "fits_host")
STREAMS = [("compute", "tab:blue"), ("comm", "tab:orange"), ("pcie", "tab:green"), ("cpu", "tab:red")]


class NoData(Exception):
    """The file has no data for this figure (the reason is printed, the figure skipped)."""


def save(fig, base, name, formats):
    paths = []
    for ext in formats:
        path = f"{base}_{name}.{ext}"
        fig.savefig(path, dpi=150, bbox_inches="tight")
        paths.append(path)
    plt.close(fig)
    return paths


def title_of(res):
    return res.attrs.get("study_title", "") or res.attrs.get("study_name", "")


def is_wafer(sc, i):
    """A wafer-scale scenario: it has a placement (docs/results.md, wafer columns)."""
    placement = sc.get("placement")
    return placement is not None and bool(placement[i])


def scale_count(sc, i):
    """The number of GPUs, or of systems for a wafer scenario."""
    if is_wafer(sc, i) and "systems" in sc and sc["systems"][i] > 0:
        return int(sc["systems"][i])
    return int(sc["devices"][i]) if "devices" in sc else int(sc["system_count"][i])


def strategy_of(sc, i):
    """What a line follows across models or counts: the strategy part of the scenario id. It is the
    strategy itself, except for a strategy search's `best` scenarios, whose layout (the strategy
    column) changes from count to count."""
    return sc["id"][i].rsplit("/", 1)[-1]


def time_axis(seconds):
    """Unit and divisor for durations up to `seconds`."""
    for unit, div in (("d", DAY_S), ("h", 3600.0), ("min", 60.0), ("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= 2 * div or div == 1e-6:
            return unit, div
    return "s", 1.0


# ----------------------------------------------------------------------------------------------
# Memory


def memory(res, base, formats, opts):
    """Peak memory per device against parameter count, one line per sweep, strategy and system,
    with each device's capacity as a horizontal line: the out-of-memory story at a glance."""
    sc = res.table("scenarios")
    if not res.has_values("scenarios", "device_memory_bytes"):
        raise NoData("no device_memory_bytes in /scenarios")
    fig, ax = plt.subplots(figsize=(8, 5))
    groups = {}
    for i in range(len(sc["id"])):
        if np.isfinite(sc["device_memory_bytes"][i]):
            key = (sc["sweep"][i], strategy_of(sc, i), sc["system"][i], int(sc["system_count"][i]))
            groups.setdefault(key, []).append(i)
    for (sweep, strategy, system, count), idx in groups.items():
        idx = sorted(idx, key=lambda i: sc["params"][i])
        x = sc["params"][idx]
        y = sc["device_memory_bytes"][idx] / GIB
        fits = sc["fits"][idx] == 1
        line, = ax.plot(x, y, "-", label=f"{sweep}: {strategy} on {count}x {system}")
        ax.plot(x[fits], y[fits], "o", color=line.get_color())
        ax.plot(x[~fits], y[~fits], "x", color=line.get_color(), markersize=9)
    ax.set_xscale("log")
    ax.set_yscale("log")
    capacities = {}
    for i in range(len(sc["id"])):
        cap = sc["device_capacity_bytes"][i]
        if np.isfinite(cap):
            capacities.setdefault(cap, set()).add(sc["system"][i])
    for cap, systems in sorted(capacities.items()):
        ax.axhline(cap / GIB, color="k", linestyle="--", linewidth=1)
        ax.annotate(f"device memory {cap / GIB:.0f} GiB ({', '.join(sorted(systems))})", (0.99, cap / GIB),
                    xycoords=("axes fraction", "data"), ha="right", va="bottom", fontsize=8)
    ax.plot([], [], "ko", label="fits")
    ax.plot([], [], "kx", label="out of memory")
    ax.set_xlabel("parameters")
    ax.set_ylabel("peak memory of the most loaded device (GiB)")
    ax.set_title(title_of(res), fontsize=9)
    ax.legend(fontsize=7, loc="best")
    ax.grid(True, which="both", alpha=0.3)
    return save(fig, base, "memory", formats)


def memory_breakdown(res, base, formats, opts):
    """Stacked bars of what fills the most loaded device in each scenario."""
    sc = res.table("scenarios")
    if not res.has_values("scenarios", "device_memory_bytes"):
        raise NoData("no device_memory_bytes in /scenarios")
    parts = [("mem_params_bytes", "weights"), ("mem_grads_bytes", "gradients"), ("mem_optimizer_bytes", "optimizer"),
             ("mem_activations_bytes", "activations / KV"), ("mem_buffers_bytes", "buffers"),
             ("mem_framework_bytes", "CUDA context")]
    n = len(sc["id"])
    fig, ax = plt.subplots(figsize=(max(6, 0.35 * n + 2), 5))
    bottom = np.zeros(n)
    for col, label in parts:
        if col not in sc:
            continue
        v = np.nan_to_num(sc[col] / GIB)
        ax.bar(range(n), v, bottom=bottom, label=label)
        bottom += v
    ax.plot(range(n), sc["device_capacity_bytes"] / GIB, "k_", markersize=14, label="device capacity")
    ax.set_xticks(range(n))
    ax.set_xticklabels(sc["id"], rotation=90, fontsize=6)
    ax.set_ylabel("GiB per device")
    ax.set_yscale("log")
    ax.legend(fontsize=7)
    ax.set_title("Memory of the most loaded device", fontsize=9)
    return save(fig, base, "memory_breakdown", formats)


# ----------------------------------------------------------------------------------------------
# Time


def time_to_train(res, base, formats, opts):
    """Time to train against model size, one line per system, count and strategy: GPU clusters
    solid with circles, wafer systems dashed with squares; published values as black stars."""
    sc = res.table("scenarios")
    if not res.has_values("scenarios", "time_to_train_s"):
        raise NoData("no time_to_train_s in /scenarios (a memory study; run a training study)")
    t = sc["time_to_train_s"]
    groups = {}
    for i in range(len(t)):
        if np.isfinite(t[i]):
            groups.setdefault((is_wafer(sc, i), sc["system"][i], int(sc["system_count"][i]), strategy_of(sc, i)),
                              []).append(i)
    fig, ax = plt.subplots(figsize=(8, 5))
    for (wafer, system, count, strategy), idx in sorted(groups.items()):
        idx = sorted(idx, key=lambda i: sc["params"][i])
        style = "s--" if wafer else "o-"
        kind = "wafer" if wafer else "GPU"
        ax.plot(sc["params"][idx], t[idx] / DAY_S, style, label=f"{kind}: {count}x {system}, {strategy}")
    ref = res.table("reference")
    if len(ref.get("metric", [])):
        sel = [k for k in range(len(ref["metric"])) if ref["metric"][k] == "time_to_train_s"]
        if sel:
            x = [sc["params"][int(ref["scenario_index"][k])] for k in sel]
            y = [ref["published"][k] / DAY_S for k in sel]
            ax.plot(x, y, "k*", markersize=12, label="published", zorder=5)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("parameters")
    ax.set_ylabel("time to train (days)")
    ax.set_title(title_of(res), fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(True, which="both", alpha=0.3)
    return save(fig, base, "time_to_train", formats)


def step_breakdown(res, base, formats, opts):
    """Where one training step's time goes, stacked horizontal bars per scenario; the black tick is
    step_time_s (the parts sum to it)."""
    sc = res.table("scenarios")
    if not res.has_values("scenarios", "step_time_s"):
        raise NoData("no step_time_s in /scenarios")
    parts = [(c, label) for c, label in STEP_PARTS if c in sc]
    if not parts:
        raise NoData("no step_*_s breakdown columns in /scenarios")
    idx = [i for i in range(len(sc["id"])) if np.isfinite(sc["step_time_s"][i])]
    unit, div = time_axis(float(np.nanmax(sc["step_time_s"][idx])))
    fig, ax = plt.subplots(figsize=(9, max(2.5, 0.3 * len(idx) + 1.5)))
    left = np.zeros(len(idx))
    y = np.arange(len(idx))
    for col, label in parts:
        v = np.nan_to_num(sc[col][idx]) / div
        ax.barh(y, v, left=left, label=label)
        left += v
    ax.plot(sc["step_time_s"][idx] / div, y, "k|", markersize=14, label="step time")
    ax.set_yticks(y)
    ax.set_yticklabels(sc["id"][idx], fontsize=6)
    ax.invert_yaxis()
    ax.set_xlabel(f"time per training step ({unit})")
    ax.set_title(f"{title_of(res)}: step-time breakdown", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(True, axis="x", alpha=0.3)
    return save(fig, base, "step_breakdown", formats)


def timeline(res, base, formats, opts):
    """Gantt chart of one simulated step (/timeline): a lane per device and stream (compute,
    communication, PCIe, CPU optimizer), a bar per task."""
    tl = res.table("timeline")
    if not len(tl.get("scenario_id", [])):
        raise NoData("no /timeline rows (the study needs timeline: true)")
    wanted = opts.scenario or tl["scenario_id"][0]
    sel = tl["scenario_id"] == wanted
    if not sel.any():
        raise NoData(f"no /timeline rows for scenario {wanted}")
    devices = sorted(set(int(d) for d in tl["device"][sel]))
    shown = devices[:opts.max_devices]
    streams = [s for s, _ in STREAMS if (tl["stream"][sel] == s).any()]
    streams += sorted(set(tl["stream"][sel]) - set(streams))
    colors = dict(STREAMS)
    end = float(np.max(tl["end_s"][sel]))
    unit, div = time_axis(end)
    lanes = [(d, s) for d in shown for s in streams if ((tl["device"] == d) & (tl["stream"] == s) & sel).any()]
    fig, ax = plt.subplots(figsize=(10, max(2.5, 0.28 * len(lanes) + 1.2)))
    for row, (d, s) in enumerate(lanes):
        m = sel & (tl["device"] == d) & (tl["stream"] == s)
        spans = [(a / div, (b - a) / div) for a, b in zip(tl["start_s"][m], tl["end_s"][m])]
        ax.broken_barh(spans, (row - 0.4, 0.8), facecolors=colors.get(s, "tab:gray"), edgecolor="white",
                       linewidth=0.3)
    ax.set_yticks(range(len(lanes)))
    ax.set_yticklabels([f"device {d} {s}" for d, s in lanes], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, end / div)
    ax.set_xlabel(f"time in the step ({unit})")
    more = f" (first {len(shown)} of {len(devices)} devices)" if len(shown) < len(devices) else ""
    ax.set_title(f"{wanted}: one simulated step{more}", fontsize=9)
    handles = [matplotlib.patches.Patch(color=colors.get(s, "tab:gray"), label=s) for s in streams]
    ax.legend(handles=handles, fontsize=7, loc="upper right", ncol=len(streams))
    ax.grid(True, axis="x", alpha=0.3)
    return save(fig, base, "timeline", formats)


def scaling(res, base, formats, opts):
    """Strong/weak scaling: for each model, system and strategy run at two or more counts, time to
    train (or step time) and scaling efficiency against the number of GPUs or wafer systems.
    Efficiency is throughput per GPU (or system) relative to the smallest count; where the model
    reports scaling_efficiency it is used as is."""
    sc = res.table("scenarios")
    metric = "time_to_train_s" if res.has_values("scenarios", "time_to_train_s") else "step_time_s"
    if not res.has_values("scenarios", metric):
        raise NoData("no time_to_train_s or step_time_s in /scenarios")
    groups = {}
    for i in range(len(sc["id"])):
        if np.isfinite(sc[metric][i]):
            groups.setdefault((sc["model"][i], sc["system"][i], strategy_of(sc, i)), []).append(i)
    groups = {k: sorted(v, key=lambda i: scale_count(sc, i)) for k, v in groups.items()
              if len(set(scale_count(sc, i) for i in v)) >= 2}
    if not groups:
        raise NoData("no model/system/strategy run at two or more counts")
    fig, (ax_t, ax_e) = plt.subplots(1, 2, figsize=(11, 4.5))
    unit, div = time_axis(float(np.nanmax(sc[metric])))
    tps = sc.get("tokens_per_s")
    own = sc.get("scaling_efficiency")
    for (model, system, strategy), idx in sorted(groups.items()):
        n = np.array([scale_count(sc, i) for i in idx], dtype=float)
        t = sc[metric][idx]
        line, = ax_t.plot(n, t / div, "o-", label=f"{model} on {system}, {strategy}")
        ax_t.plot(n, t[0] / div * n[0] / n, ":", color=line.get_color(), linewidth=1)
        if own is not None and np.isfinite(own[idx]).all():
            eff = own[idx]
        elif tps is not None and np.isfinite(tps[idx]).all() and tps[idx[0]] > 0:
            eff = (tps[idx] / n) / (tps[idx[0]] / n[0])
        else:
            eff = (t[0] * n[0]) / (t * n)
        ax_e.plot(n, 100.0 * eff, "o-", color=line.get_color())
    ax_t.plot([], [], "k:", linewidth=1, label="ideal (from the smallest count)")
    for ax in (ax_t, ax_e):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("GPUs, or wafer systems")
        ax.grid(True, which="both", alpha=0.3)
    ax_t.set_yscale("log")
    ax_t.set_ylabel(("time to train" if metric == "time_to_train_s" else "step time") + f" ({unit})")
    ax_e.set_ylabel("scaling efficiency (%)")
    ax_e.set_ylim(0, 110)
    ax_t.legend(fontsize=7)
    fig.suptitle(f"{title_of(res)}: scaling", fontsize=9)
    return save(fig, base, "scaling", formats)


# ----------------------------------------------------------------------------------------------
# Wafer fabric


def fabric_heatmap(res, base, formats, opts):
    """PE utilisation (/fabric_heatmap), one panel per case (at most four): the fraction of cycles
    each PE, or bin of PEs on large fabrics, spent busy, on the fabric's own layout (row 0, the
    north edge, on top)."""
    hm = res.table("fabric_heatmap")
    if not len(hm.get("case", [])):
        raise NoData("no /fabric_heatmap rows (a fabric study writes them)")
    fab = res.table("fabric")
    rows = list(fab.get("case", []))
    cases = list(dict.fromkeys(hm["case"]))[:4]
    fig, axes = plt.subplots(1, len(cases), figsize=(4.2 * len(cases) + 1, 4), squeeze=False)
    image = None
    for ax, case in zip(axes[0], cases):
        m = hm["case"] == case
        x, y, v = hm["x"][m].astype(int), hm["y"][m].astype(int), hm["busy_fraction"][m]
        bw = int(hm["bin_width"][m][0]) if "bin_width" in hm else 1
        bh = int(hm["bin_height"][m][0]) if "bin_height" in hm else 1
        grid = np.full((y.max() // bh + 1, x.max() // bw + 1), np.nan)
        grid[y // bh, x // bw] = v
        image = ax.imshow(grid, origin="upper", vmin=0.0, vmax=1.0, cmap="viridis", interpolation="nearest",
                          extent=(0, grid.shape[1] * bw, grid.shape[0] * bh, 0), aspect="auto")
        title = f"{case}: mean {np.nanmean(grid):.0%} busy"
        if case in rows:
            i = rows.index(case)
            shape = "x".join(str(fab[k][i]) for k in ("m", "n", "batch") if k in fab)
            title += f"\n{fab['mapping'][i]} {shape}, {fab['cycles'][i]:.0f} cycles"
            if "sampled_outputs" in fab and fab["sampled_outputs"][i] > 0:
                title += f"\n(map of the simulated run of {2 * fab['sampled_outputs'][i]} outputs)"
        ax.set_title(title, fontsize=8)
        ax.set_xlabel("PE column (x)")
        ax.set_ylabel("PE row (y)")
    fig.colorbar(image, ax=list(axes[0]), label="busy fraction of cycles")
    # Above the panels' titles (up to three lines each); the saved figure is cropped to fit.
    fig.suptitle(f"{title_of(res)}: PE utilisation", fontsize=9, y=1.08)
    return save(fig, base, "fabric_heatmap", formats)


# ----------------------------------------------------------------------------------------------
# Validation


def validation(results, base, formats, opts):
    """Every reference row of the files: left, predicted against published (log-log, +-10 %
    band) for the quantities; right, the relative error of every row, and for the yes/no facts
    (fits / out of memory) their verdict. Misses in red."""
    if not isinstance(results, (list, tuple)):
        results = [results]
    rows = []
    for res in results:
        ref = res.table("reference")
        for k in range(len(ref.get("published", []))):
            rows.append(dict(study=res.attrs.get("study_name", ""), scenario=ref["scenario_id"][k],
                             metric=ref["metric"][k], units=ref["units"][k], published=float(ref["published"][k]),
                             predicted=float(ref["predicted"][k]), error=float(ref["relative_error"][k]),
                             ok=int(ref["pass"][k]) == 1, compare=ref["compare"][k] if "compare" in ref else "within"))
    if not rows:
        raise NoData("no /reference rows")
    fig, (ax_s, ax_e) = plt.subplots(1, 2, figsize=(12, max(4.5, 0.16 * len(rows) + 1.5)),
                                     gridspec_kw={"width_ratios": [1, 1.3]})
    scat = [r for r in rows if r["metric"] not in FLAGS and r["published"] > 0 and np.isfinite(r["predicted"])
            and r["predicted"] > 0]
    if scat:
        for units in sorted(set(r["units"] for r in scat)):
            sel = [r for r in scat if r["units"] == units]
            ax_s.scatter([r["published"] for r in sel], [r["predicted"] for r in sel], label=units or "1", zorder=3,
                         edgecolors=["red" if not r["ok"] else "none" for r in sel], linewidths=1.5)
        vals = [r["published"] for r in scat] + [r["predicted"] for r in scat]
        xs = np.geomspace(min(vals) / 1.5, max(vals) * 1.5, 50)
        ax_s.plot(xs, xs, "k-", linewidth=1)
        ax_s.fill_between(xs, xs * (1 - BAND), xs * (1 + BAND), color="grey", alpha=0.3, label="+-10 %")
        ax_s.set_xscale("log")
        ax_s.set_yscale("log")
        ax_s.legend(fontsize=7, loc="upper left")
    ax_s.set_xlabel("published")
    ax_s.set_ylabel("predicted")
    ax_s.set_title("predicted vs published quantities", fontsize=8)
    ax_s.grid(True, which="both", alpha=0.3)

    y = np.arange(len(rows))
    ax_e.axvspan(-100 * BAND, 100 * BAND, color="grey", alpha=0.3)
    ax_e.axvline(0, color="k", linewidth=0.8)
    for j, r in enumerate(rows):
        color = "tab:blue" if r["ok"] else "red"
        if np.isfinite(r["error"]) and r["metric"] not in FLAGS:
            # A bound (the published value is a lower or upper limit) points the way it allows.
            marker = {"at_least": ">", "at_most": "<"}.get(r["compare"], "o")
            ax_e.plot(100 * r["error"], j, marker, color=color)
        else:  # compared with 0 (a flag): the verdict only
            ax_e.plot(0, j, "s" if r["ok"] else "X", color=color, markersize=6, fillstyle="none" if r["ok"] else "full")
    ax_e.yaxis.tick_right()
    ax_e.set_yticks(y)
    ax_e.set_yticklabels([f"{r['scenario']}  {r['metric']}" + (f"  [{r['study']}]" if len(results) > 1 else "")
                          for r in rows], fontsize=5)
    ax_e.invert_yaxis()
    lim = max([15.0] + [abs(100 * r["error"]) * 1.15 for r in rows if np.isfinite(r["error"]) and r["metric"] not in FLAGS])
    ax_e.set_xlim(-lim, lim)
    ax_e.set_xlabel("relative error (%)   [> < published value is a bound; squares: fit facts, verdict only]")
    ok = sum(r["ok"] for r in rows)
    ax_e.set_title(f"{ok} of {len(rows)} within their tolerance (misses in red)", fontsize=8)
    ax_e.grid(True, axis="x", alpha=0.3)
    names = sorted(set(r["study"] for r in rows))
    fig.suptitle("Predicted vs published: " + ", ".join(names), fontsize=9)
    return save(fig, base, "validation", formats)


FIGURES = [memory, memory_breakdown, time_to_train, step_breakdown, timeline, scaling, fabric_heatmap, validation]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", help="result files (.h5)")
    parser.add_argument("--formats", default="png,pdf", help="comma-separated image formats (default png,pdf)")
    parser.add_argument("--outdir", help="write the figures here instead of beside each file")
    parser.add_argument("--only", help="comma-separated figure names (default: all)")
    parser.add_argument("--scenario", help="scenario id for the timeline (default: the first in /timeline)")
    parser.add_argument("--max-devices", type=int, default=8, help="devices shown in the timeline (default 8)")
    parser.add_argument("-v", "--verbose", action="store_true", help="say why each skipped figure was skipped")
    parser.add_argument("--combined", metavar="NAME",
                        help="also draw the validation figure of all files together as NAME_validation.*")
    args = parser.parse_args(argv)
    formats = [f for f in args.formats.split(",") if f]
    names = {f.__name__ for f in FIGURES}
    only = set(args.only.split(",")) if args.only else names
    unknown = only - names
    if unknown:
        parser.error(f"unknown figure(s) {', '.join(sorted(unknown))}; choose from {', '.join(sorted(names))}")
    if args.outdir:
        os.makedirs(args.outdir, exist_ok=True)
    loaded = []
    for path in args.files:
        try:
            res = wbresults.load(path)
        except wbresults.SchemaError as e:
            print(f"figures.py: {e}", file=sys.stderr)
            return 2
        loaded.append(res)
        stem = os.path.splitext(path)[0]
        base = os.path.join(args.outdir, os.path.basename(stem)) if args.outdir else stem
        skipped = []
        for figure in FIGURES:
            if figure.__name__ not in only:
                continue
            try:
                for written in figure(res, base, formats, args):
                    print(written)
            except NoData as why:
                skipped.append(figure.__name__)
                if args.verbose or args.only:
                    print(f"figures.py: {os.path.basename(path)}: {figure.__name__} skipped: {why}", file=sys.stderr)
        if skipped and not (args.verbose or args.only):
            print(f"figures.py: {os.path.basename(path)}: no data for {', '.join(skipped)} (--verbose says why)",
                  file=sys.stderr)
    if args.combined:
        base = os.path.join(args.outdir, args.combined) if args.outdir else args.combined
        try:
            for written in validation(loaded, base, formats, args):
                print(written)
        except NoData as why:
            print(f"figures.py: combined validation skipped: {why}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
