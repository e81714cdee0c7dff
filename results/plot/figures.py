"""Figures from a waferbench result file, written as PNG and PDF beside it.

    /usr/bin/python3 results/plot/figures.py results/seed_memory.h5

Makes every figure the file has data for; prints the paths written.
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wbresults  # noqa: E402

GIB = 1024.0 ** 3


def save(fig, base, formats):
    paths = []
    for ext in formats:
        path = f"{base}.{ext}"
        fig.savefig(path, dpi=150, bbox_inches="tight")
        paths.append(path)
    plt.close(fig)
    return paths


def memory_vs_model_size(res, base, formats):
    """Peak memory per GPU against parameter count, one line per sweep and strategy, with each
    GPU's capacity as a horizontal line: the out-of-memory story at a glance."""
    sc = res.table("scenarios")
    if not len(sc.get("id", [])):
        return []
    fig, ax = plt.subplots(figsize=(8, 5))
    groups = {}
    for i in range(len(sc["id"])):
        key = (sc["sweep"][i], sc["strategy"][i], sc["system"][i], int(sc["system_count"][i]))
        groups.setdefault(key, []).append(i)
    for (sweep, strategy, system, count), idx in groups.items():
        if len(idx) < 2:
            continue
        idx = sorted(idx, key=lambda i: sc["params"][i])
        x = sc["params"][idx]
        y = sc["device_memory_bytes"][idx] / GIB
        fits = sc["fits"][idx] == 1
        line, = ax.plot(x, y, "-", label=f"{sweep}: {strategy} on {count}x {system}")
        ax.plot(x[fits], y[fits], "o", color=line.get_color())
        ax.plot(x[~fits], y[~fits], "x", color=line.get_color(), markersize=9)
    ax.set_xscale("log")
    ax.set_yscale("log")
    for cap in sorted(set(sc["device_capacity_bytes"])):
        ax.axhline(cap / GIB, color="k", linestyle="--", linewidth=1)
        ax.annotate(f"GPU memory {cap / GIB:.0f} GiB", (0.99, cap / GIB), xycoords=("axes fraction", "data"),
                    ha="right", va="bottom", fontsize=8)
    ax.set_xlabel("parameters")
    ax.set_ylabel("peak memory per GPU (GiB)")
    ax.set_title(res.attrs.get("study_title", ""), fontsize=9)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="upper left")
    ax.grid(True, which="both", alpha=0.3)
    return save(fig, base + "_memory", formats)


def memory_breakdown(res, base, formats):
    """Stacked bars of what fills the most loaded GPU in each scenario."""
    sc = res.table("scenarios")
    if not len(sc.get("id", [])):
        return []
    parts = [("mem_params_bytes", "weights"), ("mem_grads_bytes", "gradients"), ("mem_optimizer_bytes", "optimizer"),
             ("mem_activations_bytes", "activations / KV"), ("mem_buffers_bytes", "buffers"),
             ("mem_framework_bytes", "CUDA context")]
    n = len(sc["id"])
    fig, ax = plt.subplots(figsize=(max(6, 0.35 * n + 2), 5))
    bottom = np.zeros(n)
    for col, label in parts:
        v = np.nan_to_num(sc[col] / GIB)
        ax.bar(range(n), v, bottom=bottom, label=label)
        bottom += v
    ax.plot(range(n), sc["device_capacity_bytes"] / GIB, "k_", markersize=14, label="GPU capacity")
    ax.set_xticks(range(n))
    ax.set_xticklabels(sc["id"], rotation=90, fontsize=6)
    ax.set_ylabel("GiB per GPU")
    ax.set_yscale("log")
    ax.legend(fontsize=7)
    ax.set_title("Memory of the most loaded GPU", fontsize=9)
    return save(fig, base + "_memory_breakdown", formats)


def predicted_vs_published(res, base, formats):
    """Every reference row with a non-zero published value: predicted against published, with
    the +-10 % band."""
    ref = res.table("reference")
    if not len(ref.get("published", [])):
        return []
    keep = (ref["published"] != 0) & np.isfinite(ref["predicted"])
    if not keep.any():
        return []
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for units in sorted(set(ref["units"][keep])):
        sel = keep & (ref["units"] == units)
        ax.scatter(ref["published"][sel], ref["predicted"][sel], label=units or "dimensionless", zorder=3)
    lo = min(ref["published"][keep].min(), ref["predicted"][keep].min()) / 1.5
    hi = max(ref["published"][keep].max(), ref["predicted"][keep].max()) * 1.5
    xs = np.geomspace(lo, hi, 50)
    ax.plot(xs, xs, "k-", linewidth=1)
    ax.fill_between(xs, xs * 0.9, xs * 1.1, color="grey", alpha=0.3, label="+-10 %")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("published")
    ax.set_ylabel("predicted")
    ax.legend(fontsize=7)
    ax.set_title(f"{res.attrs.get('study_name', '')}: predicted vs published", fontsize=9)
    return save(fig, base + "_validation", formats)


def _wafer_rows(sc):
    """Indices of rows on wafer-scale systems that have a step time."""
    if "placement" not in sc:
        return []
    return [i for i in range(len(sc["id"])) if sc["placement"][i] and np.isfinite(sc["step_time_s"][i])]


def wafer_scaling(res, base, formats):
    """Days to train and scaling efficiency against the number of wafer-scale systems, one line
    per model; filled markers where the step is compute-bound, open where the weight stream (or
    the step boundary) bounds it."""
    sc = res.table("scenarios")
    rows = _wafer_rows(sc)
    models = {}
    for i in rows:
        models.setdefault((sc["model"][i], sc["system"][i]), []).append(i)
    models = {k: v for k, v in models.items() if len(set(sc["systems"][v])) > 1}
    if not models:
        return []
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    for (model, system), idx in models.items():
        idx = sorted(idx, key=lambda i: sc["systems"][i])
        n = sc["systems"][idx]
        line, = ax1.plot(n, sc["time_to_train_s"][idx] / 86400.0, "-", label=f"{model} on {system}")
        ax2.plot(n, sc["scaling_efficiency"][idx], "-", color=line.get_color())
        for i in idx:
            face = line.get_color() if sc["bound"][i] == "compute" else "none"
            ax1.plot(sc["systems"][i], sc["time_to_train_s"][i] / 86400.0, "o", color=line.get_color(), mfc=face)
            ax2.plot(sc["systems"][i], sc["scaling_efficiency"][i], "o", color=line.get_color(), mfc=face)
    for ax in (ax1, ax2):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("systems")
        ax.grid(True, which="both", alpha=0.3)
    ax1.set_yscale("log")
    ax1.set_ylabel("days to train (with failures and restarts)")
    ax2.set_ylabel("scaling efficiency (same global batch)")
    ax2.set_ylim(0, 1.1)
    ax1.legend(fontsize=7)
    fig.suptitle(res.attrs.get("study_title", "") + "\nfilled: compute-bound, open: streaming- or io-bound", fontsize=9)
    return save(fig, base + "_wafer_scaling", formats)


def wafer_step_breakdown(res, base, formats):
    """What each wafer scenario's step is made of, as fractions of the step: compute, streaming
    and SwarmX not hidden by compute, MemoryX optimizer not hidden, pipeline fill and drain."""
    sc = res.table("scenarios")
    rows = _wafer_rows(sc)
    if not rows:
        return []
    parts = [("step_compute_s", "wafer compute"), ("step_exposed_comm_s", "streaming / SwarmX exposed"),
             ("step_cpu_optimizer_s", "MemoryX optimizer exposed"), ("step_pipeline_bubble_s", "pipeline fill/drain")]
    n = len(rows)
    fig, ax = plt.subplots(figsize=(max(6, 0.3 * n + 2), 5))
    bottom = np.zeros(n)
    step = sc["step_time_s"][rows]
    for col, label in parts:
        v = np.nan_to_num(sc[col][rows] / step)
        ax.bar(range(n), v, bottom=bottom, label=label)
        bottom += v
    for x, t in enumerate(step):
        ax.annotate(f"{t:.3g} s", (x, 1.0), ha="center", va="bottom", fontsize=5, rotation=90)
    ax.set_xticks(range(n))
    ax.set_xticklabels(sc["id"][rows], rotation=90, fontsize=6)
    ax.set_ylabel("fraction of the step")
    ax.set_ylim(0, 1.25)
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title("Wafer step: what it is made of (step time above each bar)", fontsize=9)
    return save(fig, base + "_wafer_step", formats)


FIGURES = [memory_vs_model_size, memory_breakdown, predicted_vs_published, wafer_scaling, wafer_step_breakdown]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", help="result files (.h5)")
    parser.add_argument("--formats", default="png,pdf", help="comma-separated image formats (default png,pdf)")
    args = parser.parse_args(argv)
    formats = [f for f in args.formats.split(",") if f]
    for path in args.files:
        res = wbresults.load(path)
        base = os.path.splitext(path)[0]
        for figure in FIGURES:
            for written in figure(res, base, formats):
                print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main())
