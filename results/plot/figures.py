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


def fabric_heatmap(res, base, formats):
    """PE utilisation of each fabric case that recorded a heat map (/fabric_heatmap): the fraction
    of cycles each PE (or bin of PEs) spent busy, on the fabric's own layout (north up)."""
    hm = res.table("fabric_heatmap")
    if not len(hm.get("case", [])):
        return []
    paths = []
    for case in dict.fromkeys(hm["case"]):
        sel = hm["case"] == case
        x, y = hm["x"][sel], hm["y"][sel]
        bw, bh = int(hm["bin_width"][sel][0]), int(hm["bin_height"][sel][0])
        grid = np.full((int(y.max()) // bh + 1, int(x.max()) // bw + 1), np.nan)
        grid[y // bh, x // bw] = hm["busy_fraction"][sel]
        fig, ax = plt.subplots(figsize=(6, 6 * grid.shape[0] / max(grid.shape[1], 1) + 0.8))
        im = ax.imshow(grid, origin="upper", cmap="viridis", vmin=0.0, vmax=max(1e-9, np.nanmax(grid)),
                       extent=(0, grid.shape[1] * bw, grid.shape[0] * bh, 0), interpolation="nearest")
        fig.colorbar(im, ax=ax, label="busy fraction of cycles")
        ax.set_xlabel("PE column")
        ax.set_ylabel("PE row")
        fab = res.table("fabric")
        title = case
        if len(fab.get("case", [])):
            i = list(fab["case"]).index(case) if case in list(fab["case"]) else None
            if i is not None:
                title += f"\n{fab['mapping'][i]} {fab['m'][i]}x{fab['n'][i]}x{fab['batch'][i]} on {fab['chip'][i]}, " \
                         f"{fab['cycles_max'][i]:.0f} cycles"
                if fab["sampled_outputs"][i] > 0:
                    title += f" (map: the simulated run of {2 * fab['sampled_outputs'][i]} outputs)"
        ax.set_title(title, fontsize=8)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in case)
        paths += save(fig, f"{base}_heatmap_{safe}", formats)
    return paths


FIGURES = [memory_vs_model_size, memory_breakdown, predicted_vs_published, fabric_heatmap]


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
