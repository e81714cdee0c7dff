"""Figures from waferbench result files, written as PNG and PDF beside each file (or in --outdir).

    /usr/bin/python3 results/plot/figures.py results/seed_memory.h5 [more.h5 ...]
    /usr/bin/python3 results/plot/figures.py --only timeline --scenario 'ID' results/x.h5

Draws every figure the file has data for and prints the paths written; a figure whose data the
file lacks (a memory study has no step times, only fabric studies have a heat map) is skipped, and
named on stderr (with the reason under --verbose or --only). Figures (the file name ends in _<figure>.png):

  memory            peak memory per device vs model size, per strategy, device capacity as lines;
                    GPU memory and wafer SRAM in separate panels
  memory_breakdown  what fills the most loaded GPU, or one wafer's SRAM, stacked per scenario
  time_to_train     time to train vs model size (one panel per kind of machine), or per scenario
                    when the study has one model size; published times as black stars
  step_breakdown    the share of one training step each part takes (compute, exposed
                    communication, offload, CPU optimizer, pipeline bubble, straggler wait)
  timeline          Gantt chart of one simulated step per device: compute, comm, PCIe, CPU
  scaling           time to train and scaling efficiency vs the number of GPUs, and separately
                    vs the number of wafer systems
  fabric_heatmap    busy share of every PE of the wafer fabric, per simulated case (--case picks
                    them), on a colour scale spanning the case's own range
  fabric_kernels    on-chip cycles against the grid side P for each kernel (GEMV: chain,
                    allreduce, meshgemv; GEMM: cannon, meshgemm, summa), one panel per size
  serving           tokens/s per user against aggregate tokens/s as the batch grows (inference
                    studies), a line per model instance at each study's shortest prompt, one panel
                    per model; published per-user figures as black stars
  validation        relative error of every prediction against its published value

Published markers are drawn only for reference rows that compare one scenario's value in the
plotted column's own unit; comparisons that combine scenarios (ratios, sums) are in the report.
With --combined NAME, the validation figure of all files together is also drawn (NAME.png).
"""
import argparse
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.colors  # noqa: E402
import matplotlib.lines  # noqa: E402
import matplotlib.patches  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wbresults  # noqa: E402

GIB = 1024.0 ** 3
DAY_S = 86400.0
BAND = 0.10  # the +-10 % band of the validation figure
# tab10 has ten colours a reader tells apart; a panel never holds more series than that.
MAX_SERIES = 10
MARKERS = "osD^vP*Xph"
# Readable at the printed width of a journal column (no text below 8 pt).
plt.rcParams.update({"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "xtick.labelsize": 8,
                     "ytick.labelsize": 8, "legend.fontsize": 8, "figure.titlesize": 10})

KINDS = ("gpu", "wafer")
KIND_TITLE = {"gpu": "GPU clusters", "wafer": "wafer-scale systems"}
# The per-step breakdown columns (docs/results.md); they sum to step_time_s. The wafer model
# fills the same columns with its own mechanisms, named as such.
STEP_PARTS = {
    "gpu": [("step_compute_s", "compute"), ("step_exposed_comm_s", "exposed communication"),
            ("step_offload_transfer_s", "offload transfer (PCIe)"), ("step_cpu_optimizer_s", "CPU optimizer"),
            ("step_pipeline_bubble_s", "pipeline bubble"), ("step_straggler_wait_s", "straggler wait")],
    "wafer": [("step_compute_s", "compute"), ("step_exposed_comm_s", "weight / gradient streaming, SwarmX"),
              ("step_offload_transfer_s", "host transfer"), ("step_cpu_optimizer_s", "MemoryX weight update"),
              ("step_pipeline_bubble_s", "layer-pipeline fill and drain"),
              ("step_straggler_wait_s", "straggler wait")],
}
# What fills a device (docs/results.md: the six mem_* columns, read per kind of machine).
MEMORY_PARTS = {
    "gpu": [("mem_params_bytes", "weights"), ("mem_grads_bytes", "gradients"),
            ("mem_optimizer_bytes", "optimizer states"), ("mem_activations_bytes", "activations / KV cache"),
            ("mem_buffers_bytes", "buffers"), ("mem_framework_bytes", "CUDA context and workspaces")],
    "wafer": [("mem_params_bytes", "weights held in SRAM"), ("mem_grads_bytes", "gradients"),
              ("mem_optimizer_bytes", "optimizer states"), ("mem_activations_bytes", "activations"),
              ("mem_buffers_bytes", "working set"), ("mem_framework_bytes", "code and routing")],
}
MEMORY_OF = {"gpu": "GPU memory", "wafer": "wafer SRAM"}
DEVICE_OF = {"gpu": "GPU", "wafer": "wafer"}
# Reference rows that compare a yes/no fact (1/0), shown by their verdict only.
FLAGS = ("fits", "fits_device", "fits_host")
STREAMS = [("compute", "tab:blue"), ("comm", "tab:orange"), ("pcie", "tab:green"), ("cpu", "tab:red")]
KIND_COLOR = {"gpu": "tab:blue", "wafer": "tab:orange"}


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


def suptitle(fig, text):
    """The figure's title above the panels' own titles, never over them."""
    fig.canvas.draw()
    titled = [ax.title.get_window_extent().y1 for ax in fig.axes if ax.get_title()]
    top = max(titled or [ax.get_window_extent().y1 for ax in fig.axes])
    fig.suptitle(text, y=(top + 6) / fig.bbox.height, va="bottom")


def legend_outside(ax, **kwargs):
    """The legend to the right of the axes, where it hides no data."""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kwargs)


def kind_of(sc, i):
    """"wafer" for a wafer-scale scenario (it has a placement, docs/results.md), else "gpu"."""
    placement = sc.get("placement")
    return "wafer" if placement is not None and bool(placement[i]) else "gpu"


def kinds_in(sc, idx):
    return [k for k in KINDS if any(kind_of(sc, i) == k for i in idx)]


def scale_count(sc, i):
    """The number of GPUs, or of systems for a wafer scenario."""
    if kind_of(sc, i) == "wafer" and "systems" in sc and sc["systems"][i] > 0:
        return int(sc["systems"][i])
    return int(sc["devices"][i]) if "devices" in sc else int(sc["system_count"][i])


def count_text(sc, i):
    """How many of what: "64 GPUs (8 dgx-a100-80gb)", "16 cs-2"."""
    n = scale_count(sc, i)
    if kind_of(sc, i) == "wafer":
        return f"{n} {sc['system'][i]}"
    nodes = int(sc["system_count"][i])
    return f"{n} GPUs" + (f" ({nodes} {sc['system'][i]})" if nodes != n else f" ({sc['system'][i]})")


def count_axis_label(sc, idx):
    """The x label of a count axis: GPUs, or the wafer systems by name; never both."""
    systems = sorted(set(sc["system"][i] for i in idx))
    if kinds_in(sc, idx) == ["wafer"]:
        return f"{' / '.join(s.upper() for s in systems)} systems"
    return f"GPUs ({', '.join(systems)})"


def params_axis(ax):
    """A log axis of parameter counts labelled as people write them: 100M, 1B, 10B."""
    ax.set_xscale("log")

    def text(v, _):
        for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
            if v >= div:
                return f"{v / div:g}{suffix}"
        return f"{v:g}"
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(text))


def count_axis(ax, label):
    """A log2 axis of device counts with the counts written out (8, 64, 4096)."""
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlabel(label)


def strategy_of(sc, i):
    """What a line follows across models or counts: the strategy part of the scenario id. It is the
    strategy itself, except for a strategy search's `best` scenarios, whose layout (the strategy
    column) changes from count to count."""
    return sc["id"][i].rsplit("/", 1)[-1]


def time_axis(seconds):
    """Unit and divisor for durations up to `seconds`."""
    for unit, div in (("days", DAY_S), ("h", 3600.0), ("min", 60.0), ("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= 2 * div or div == 1e-6:
            return unit, div
    return "s", 1.0


# The suffix /b<batch>-p<prompt> of an inference point (docs/results.md).
POINT_SUFFIX = re.compile(r"/b\d+-p\d+$")


def id_parts(scenario_id):
    """(model, "system x count", strategy) of a scenario id <model>@<system>x<count>/<strategy>
    (an inference point's /b<batch>-p<prompt> stays with the strategy)."""
    point = POINT_SUFFIX.search(scenario_id)
    base = scenario_id[:point.start()] if point else scenario_id
    rest, strategy = base.rsplit("/", 1) if "/" in base else (base, "")
    if point:
        strategy += point.group(0)
    model, machine = rest.split("@", 1) if "@" in rest else (rest, "")
    return model, machine, strategy


def short_labels(ids):
    """Row labels without the parts every row shares, and those parts as a phrase for the title:
    (["cerebras-gpt-2.7b", ...], " (all on dgx-a100-40gbx1, zero2+offload+mb1)")."""
    parts = [id_parts(x) for x in ids]
    shared = [k for k in range(3) if len(ids) > 1 and len(set(p[k] for p in parts)) == 1]
    kept = [k for k in range(3) if k not in shared]
    sep = ("@", "/")
    labels = []
    for p in parts:
        text = ""
        for k in kept:
            text += (sep[k - 1] if text and k > 0 else "") + p[k]
        labels.append(text or ids[0])
    common = ", ".join(parts[0][k] for k in shared)
    return labels, (f" (all {common})" if common else "")


def stacked_bars(sc, idx, parts, divisor, suffix=lambda i: ""):
    """Horizontal stacked bars, one per scenario, on linear axes, in one panel per kind of
    machine: `parts[kind]` lists (column, label); each row's values are divided by divisor(rows).
    Returns the figure and [(axes, kind, rows, phrase naming what all rows share)]."""
    kinds = kinds_in(sc, idx)
    rows = {k: [i for i in idx if kind_of(sc, i) == k] for k in kinds}
    labels = {k: short_labels([sc["id"][i] for i in rows[k]]) for k in kinds}
    chars = max(len(t) + len(suffix(i)) for k in kinds for t, i in zip(labels[k][0], rows[k]))
    fig, axes = plt.subplots(len(kinds), 1, squeeze=False, constrained_layout=True,
                             figsize=(4.5 + 0.062 * chars + 2.6, sum(0.24 * len(r) + 1.3 for r in rows.values())),
                             gridspec_kw={"height_ratios": [len(rows[k]) + 4 for k in kinds]})
    out = []
    colors = plt.get_cmap("tab10")
    for ax, kind in zip(axes[:, 0], kinds):
        sel = rows[kind]
        y = np.arange(len(sel))
        div = divisor(sel)
        left = np.zeros(len(sel))
        for n, (col, label) in enumerate(parts[kind]):
            if col in sc and np.nansum(sc[col][sel]) > 0:
                v = np.nan_to_num(sc[col][sel]) / div
                ax.barh(y, v, left=left, label=label, color=colors(n))
                left += v
        ax.set_yticks(y)
        ax.set_yticklabels([t + suffix(i) for t, i in zip(labels[kind][0], sel)])
        ax.set_ylim(len(sel) - 0.5, -0.5)
        ax.grid(True, axis="x", alpha=0.3)
        out.append((ax, kind, sel, labels[kind][1]))
    return fig, out


def seconds_text(seconds):
    """A duration in the largest unit that keeps it at or above 1: "1.11 s", "4.2 min"."""
    for unit, div in (("days", DAY_S), ("h", 3600.0), ("min", 60.0), ("s", 1.0), ("ms", 1e-3)):
        if seconds >= div:
            return f"{seconds / div:.3g} {unit}"
    return f"{seconds / 1e-6:.3g} us"


def panels(series, levels):
    """Splits {series key: rows} into panels of at most MAX_SERIES series: the first of `levels`
    (functions from a series key to a panel key, coarse to fine) that achieves it, else chunks of
    the finest. Returns [(panel key, {series key: rows})] in key order."""
    for level in levels:
        grouped = {}
        for key in sorted(series):
            grouped.setdefault(level(key), {})[key] = series[key]
        if all(len(g) <= MAX_SERIES for g in grouped.values()):
            return sorted(grouped.items())
    out = []
    for pkey, group in sorted(grouped.items()):
        keys = sorted(group)
        for start in range(0, len(keys), MAX_SERIES):
            out.append((pkey + (start // MAX_SERIES,), {k: group[k] for k in keys[start:start + MAX_SERIES]}))
    return out


def distinct_styles(n, ordered=False):
    """n (colour, marker) pairs, all different: tab10 for unordered series, a sequential colour
    map (light to dark) for series that follow an order such as a count."""
    if ordered:
        cmap = plt.get_cmap("viridis")
        colors = [cmap(0.9 * (1 - k / max(1, n - 1))) for k in range(n)]
    else:
        colors = [plt.get_cmap("tab10")(k % 10) for k in range(n)]
    return [(colors[k], MARKERS[k % len(MARKERS)]) for k in range(n)]


# ----------------------------------------------------------------------------------------------
# Published markers


def published_rows(res, metric):
    """Reference rows to draw as published markers on a figure of `metric`: those comparing one
    scenario's value in the column's own unit. Rows that combine scenarios (a ratio or a sum carries
    a label as scenario_id) or use another unit are not values of this metric."""
    ref = res.table("reference")
    sc = res.table("scenarios")
    unit = res.unit("scenarios", metric)
    rows = []
    for k in range(len(ref.get("metric", []))):
        i = int(ref["scenario_index"][k])
        if ref["metric"][k] != metric or ref["units"][k] != unit or not 0 <= i < len(sc["id"]):
            continue
        if ref["scenario_id"][k] != sc["id"][i] or not np.isfinite(ref["published"][k]):
            continue
        rows.append(dict(index=i, value=float(ref["published"][k]), units=ref["units"][k],
                         compare=ref["compare"][k] if "compare" in ref else "within"))
    return rows


def mark_published(ax, rows, position, div, metric, horizontal=False):
    """Draws published values as black markers (a bound points the way it allows) at
    position(scenario index); records on each artist what it shows (metric, units, SI values,
    divisor), which the plot test reads back."""
    marker = {"within": "*", "at_least": "^" if not horizontal else ">", "at_most": "v" if not horizontal else "<"}
    label = {"within": "published", "at_least": "published lower bound", "at_most": "published upper bound"}
    for compare in ("within", "at_least", "at_most"):
        sel = [r for r in rows if r["compare"] == compare]
        if not sel:
            continue
        pos = [position(r["index"]) for r in sel]
        val = [r["value"] / div for r in sel]
        xy = (val, pos) if horizontal else (pos, val)
        line, = ax.plot(*xy, marker[compare], color="black", markersize=11 if compare == "within" else 8,
                        linestyle="none", label=label[compare], zorder=5)
        line.set_gid("published")
        line.wb_published = dict(metric=metric, units=[r["units"] for r in sel], values_si=[r["value"] for r in sel],
                                 div=div, horizontal=horizontal)


# ----------------------------------------------------------------------------------------------
# Memory


def memory(res, opts):
    """Peak memory per device against parameter count, one line per sweep, strategy and system,
    with each device's capacity as a horizontal line: the out-of-memory story at a glance. GPU
    memory and wafer SRAM are different quantities and get their own panels."""
    sc = res.table("scenarios")
    if not res.has_values("scenarios", "device_memory_bytes"):
        raise NoData("no device_memory_bytes in /scenarios")
    series = {}
    for i in range(len(sc["id"])):
        if np.isfinite(sc["device_memory_bytes"][i]):
            key = (kind_of(sc, i), sc["system"][i], sc["sweep"][i], strategy_of(sc, i), int(sc["system_count"][i]))
            series.setdefault(key, []).append(i)
    groups = panels(series, [lambda k: (k[0],), lambda k: k[:2], lambda k: k[:3]])
    pub = published_rows(res, "device_memory_bytes")
    # No tight_layout: the legends sit outside, and the saved figure grows to hold them.
    fig, axes = plt.subplots(len(groups), 1, figsize=(6.0, 4.0 * len(groups)), squeeze=False, sharex=True,
                             gridspec_kw={"hspace": 0.25})
    for ax, (pkey, group) in zip(axes[:, 0], groups):
        rows = [i for idx in group.values() for i in idx]
        for (key, idx), (color, mk) in zip(sorted(group.items()), distinct_styles(len(group))):
            idx = sorted(idx, key=lambda i: sc["params"][i])
            x, y = sc["params"][idx], sc["device_memory_bytes"][idx] / GIB
            fits = sc["fits"][idx] == 1
            _, system, sweep, strategy, count = key
            ax.plot(x, y, "-", color=color, marker=mk, markevery=list(np.flatnonzero(fits)),
                    label=f"{sweep}: {strategy} on {count}x {system}")
            ax.plot(x[~fits], y[~fits], "x", color=color, markersize=9, markeredgewidth=2)
        capacities = {}
        for i in rows:
            if np.isfinite(sc["device_capacity_bytes"][i]):
                capacities.setdefault(sc["device_capacity_bytes"][i], set()).add(sc["system"][i])
        for cap, systems in sorted(capacities.items()):
            ax.axhline(cap / GIB, color="k", linestyle="--", linewidth=1)
            ax.annotate(f"capacity {cap / GIB:.0f} GiB ({', '.join(sorted(systems))})", (0.01, cap / GIB),
                        xycoords=("axes fraction", "data"), ha="left", va="bottom", fontsize=8)
        mark_published(ax, [r for r in pub if r["index"] in rows], lambda i: sc["params"][i], GIB,
                       "device_memory_bytes")
        ax.plot([], [], "kx", markeredgewidth=2, label="out of memory (no marker: fits)")
        params_axis(ax)
        ax.set_yscale("log")  # from 1 to hundreds of GiB: a log axis keeps the small models readable
        ax.set_ylabel(f"peak {MEMORY_OF[pkey[0]]} of the most loaded {DEVICE_OF[pkey[0]]} (GiB)")
        ax.set_title(f"{KIND_TITLE[pkey[0]]}" + (f": {pkey[1]}" if len(pkey) > 1 else ""))
        legend_outside(ax)
        ax.grid(True, which="both", alpha=0.3)
    axes[-1, 0].set_xlabel("parameters")
    suptitle(fig, f"{title_of(res)}\npeak memory per device against model size")
    return fig


def memory_breakdown(res, opts):
    """What fills the most loaded device of each scenario, stacked on a linear axis (the shares are
    the point): GPU memory and wafer SRAM in their own panels, each part named for its machine."""
    sc = res.table("scenarios")
    if not res.has_values("scenarios", "device_memory_bytes"):
        raise NoData("no device_memory_bytes in /scenarios")
    idx = [i for i in range(len(sc["id"])) if np.isfinite(sc["device_memory_bytes"][i])]
    fig, panels_ = stacked_bars(sc, idx, MEMORY_PARTS, lambda sel: np.full(len(sel), GIB))
    for ax, kind, sel, common in panels_:
        cap = sc["device_capacity_bytes"][sel] / GIB
        ax.plot(cap, np.arange(len(sel)), "k|", markersize=12, markeredgewidth=2, label="capacity")
        ax.set_xlim(0, 1.05 * float(np.nanmax(np.concatenate([cap, sc["device_memory_bytes"][sel] / GIB]))))
        ax.set_xlabel(f"{MEMORY_OF[kind]} of the most loaded {DEVICE_OF[kind]} (GiB)")
        ax.set_title(f"{KIND_TITLE[kind]}: what fills the {MEMORY_OF[kind]}{common}")
        legend_outside(ax)
    suptitle(fig, title_of(res))
    return fig


# ----------------------------------------------------------------------------------------------
# Time


def time_to_train(res, opts):
    """Time to train: against model size with a line per system, count and strategy (GPU clusters
    and wafer systems in separate panels, same axes), or, when the study has one model size, a bar
    per scenario. Published times of single scenarios are black stars."""
    sc = res.table("scenarios")
    if not res.has_values("scenarios", "time_to_train_s"):
        raise NoData("no time_to_train_s in /scenarios (a memory study; run a training study)")
    idx = [i for i in range(len(sc["id"])) if np.isfinite(sc["time_to_train_s"][i])]
    if len(set(int(sc["params"][i]) for i in idx)) < 2:
        return _time_to_train_bars(res, sc, idx)
    series = {}
    for i in idx:
        key = (KINDS.index(kind_of(sc, i)), sc["system"][i], strategy_of(sc, i), scale_count(sc, i))
        series.setdefault(key, []).append(i)
    groups = panels(series, [lambda k: k[:1], lambda k: k[:2], lambda k: k[:3]])
    pub = published_rows(res, "time_to_train_s")
    unit, div = time_axis(float(np.nanmax(sc["time_to_train_s"][idx])))
    fig, axes = plt.subplots(len(groups), 1, figsize=(6.0, 4.0 * len(groups)), squeeze=False, sharex=True,
                             sharey=True, gridspec_kw={"hspace": 0.25})
    for ax, (pkey, group) in zip(axes[:, 0], groups):
        keys = sorted(group)
        # Lines that differ only in the count follow an order: a sequential colour map shows it.
        by_count = len(set(k[:3] for k in keys)) == 1
        for key, (color, mk) in zip(keys, distinct_styles(len(keys), ordered=by_count)):
            rows = sorted(group[key], key=lambda i: sc["params"][i])
            what = count_text(sc, rows[0]) + ("" if by_count else f", {key[2]}")
            ax.plot(sc["params"][rows], sc["time_to_train_s"][rows] / div, "-" if key[0] == 0 else "--",
                    marker=mk, color=color, label=what)
        inside = {i for rows in group.values() for i in rows}
        mark_published(ax, [r for r in pub if r["index"] in inside], lambda i: sc["params"][i], div, "time_to_train_s")
        kind = KINDS[pkey[0]]
        detail = f": {keys[0][1]}, {keys[0][2]}" if by_count else ""
        ax.set_title(f"{KIND_TITLE[kind]}{detail}")
        params_axis(ax)
        ax.set_yscale("log")  # minutes for 111M, months for 13B on few devices
        ax.set_ylabel(f"time to train ({unit})")
        ax.grid(True, which="both", alpha=0.3)
        legend_outside(ax)
    axes[-1, 0].set_xlabel("parameters")
    suptitle(fig, f"{title_of(res)}\ntime to train against model size")
    return fig


def _time_to_train_bars(res, sc, idx):
    """One model size: a bar per scenario (GPU clusters first), its time written beside it."""
    idx = sorted(idx, key=lambda i: (KINDS.index(kind_of(sc, i)), scale_count(sc, i), sc["id"][i]))
    t = sc["time_to_train_s"]
    pub = published_rows(res, "time_to_train_s")
    pub = [r for r in pub if r["index"] in idx]
    values = [t[i] for i in idx] + [r["value"] for r in pub]
    unit, div = time_axis(max(values))
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(idx) + 1.6))
    y = np.arange(len(idx))
    ax.barh(y, t[idx] / div, color=[KIND_COLOR[kind_of(sc, i)] for i in idx], height=0.6)
    for row, i in zip(y, idx):
        # Inside a long bar (where a published star may sit just beyond its end), else after it.
        inside = t[i] > 0.25 * max(values)
        ax.annotate(f"{t[i] / div:.3g} {unit}", (t[i] / div, row), va="center", fontsize=8,
                    ha="right" if inside else "left", color="white" if inside else "black",
                    xytext=(-4 if inside else 4, 0), textcoords="offset points")
    row_of = {i: row for row, i in enumerate(idx)}
    mark_published(ax, pub, lambda i: row_of[i], div, "time_to_train_s", horizontal=True)
    handles, _ = ax.get_legend_handles_labels()
    handles += [matplotlib.patches.Patch(color=KIND_COLOR[k], label=f"predicted, {KIND_TITLE[k]}")
                for k in kinds_in(sc, idx)]
    ax.set_yticks(y)
    ax.set_yticklabels([f"{sc['id'][i]}\n{count_text(sc, i)}" for i in idx])
    ax.invert_yaxis()
    if max(values) / max(min(values), 1e-30) > 100:
        ax.set_xscale("log")  # only where the times span orders of magnitude
    else:
        ax.set_xlim(0, 1.15 * max(values) / div)
    ax.set_xlabel(f"time to train ({unit})")
    ax.grid(True, axis="x", alpha=0.3)
    legend_outside(ax, handles=handles)
    ax.set_title(f"{title_of(res)}\ntime to train per scenario, predicted and published")
    return fig


def step_breakdown(res, opts):
    """The share of one training step each part takes, per scenario (the parts sum to
    step_time_s, written beside each scenario); GPU and wafer scenarios in their own panels, each
    part named for its machine's mechanism."""
    sc = res.table("scenarios")
    if not res.has_values("scenarios", "step_time_s"):
        raise NoData("no step_time_s in /scenarios")
    if not any(c in sc for c, _ in STEP_PARTS["gpu"]):
        raise NoData("no step_*_s breakdown columns in /scenarios")
    idx = [i for i in range(len(sc["id"])) if np.isfinite(sc["step_time_s"][i]) and sc["step_time_s"][i] > 0]
    fig, panels_ = stacked_bars(sc, idx, STEP_PARTS, lambda sel: sc["step_time_s"][sel] / 100.0,
                                suffix=lambda i: f"  ({seconds_text(sc['step_time_s'][i])})")
    for ax, kind, sel, common in panels_:
        ax.set_xlim(0, 100)
        ax.set_xlabel("share of the training step (%); the step time in brackets")
        ax.set_title(f"{KIND_TITLE[kind]}: where one training step goes{common}")
        legend_outside(ax)
    suptitle(fig, title_of(res))
    return fig


def timeline(res, opts):
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
    ax.set_yticklabels([f"device {d} {s}" for d, s in lanes])
    ax.invert_yaxis()
    ax.set_xlim(0, end / div)
    ax.set_xlabel(f"time in the step ({unit})")
    more = f" (first {len(shown)} of {len(devices)} devices)" if len(shown) < len(devices) else ""
    ax.set_title(f"{wanted}: one simulated step per device and stream{more}")
    handles = [matplotlib.patches.Patch(color=colors.get(s, "tab:gray"), label=s) for s in streams]
    legend_outside(ax, handles=handles)
    ax.grid(True, axis="x", alpha=0.3)
    return fig


def _efficiency(sc, idx, metric, n):
    """Throughput per GPU (or system) relative to the smallest count; the model's own
    scaling_efficiency where it reports one."""
    own, tps, t = sc.get("scaling_efficiency"), sc.get("tokens_per_s"), sc[metric][idx]
    if own is not None and np.isfinite(own[idx]).all():
        return own[idx]
    if tps is not None and np.isfinite(tps[idx]).all() and tps[idx[0]] > 0:
        return (tps[idx] / n) / (tps[idx[0]] / n[0])
    return (t[0] * n[0]) / (t * n)


def scaling(res, opts):
    """Strong scaling: for each model, system and strategy run at two or more counts, time to
    train (or step time) and scaling efficiency against the count, one row of panels for GPUs and
    one for wafer systems (their counts are not the same unit). A model keeps its colour."""
    sc = res.table("scenarios")
    metric = "time_to_train_s" if res.has_values("scenarios", "time_to_train_s") else "step_time_s"
    if not res.has_values("scenarios", metric):
        raise NoData("no time_to_train_s or step_time_s in /scenarios")
    series = {}
    for i in range(len(sc["id"])):
        if np.isfinite(sc[metric][i]):
            series.setdefault((KINDS.index(kind_of(sc, i)), sc["system"][i], strategy_of(sc, i),
                               int(sc["params"][i]), sc["model"][i]), []).append(i)
    series = {k: sorted(v, key=lambda i: scale_count(sc, i)) for k, v in series.items()
              if len(set(scale_count(sc, i) for i in v)) >= 2}
    if not series:
        raise NoData("no model/system/strategy run at two or more counts")
    groups = panels(series, [lambda k: k[:1], lambda k: k[:2], lambda k: k[:3]])
    models = sorted(set((k[3], k[4]) for k in series))
    color = dict(zip(models, (c for c, _ in distinct_styles(len(models)))))
    unit, div = time_axis(float(np.nanmax(sc[metric])))
    fig, axes = plt.subplots(len(groups), 2, figsize=(10, 4.0 * len(groups)), squeeze=False,
                             gridspec_kw={"hspace": 0.4, "wspace": 0.25})
    for (ax_t, ax_e), (pkey, group) in zip(axes, groups):
        keys = sorted(group)
        one_layout = len(set(k[:3] for k in keys)) == 1
        for key in keys:
            idx = group[key]
            n = np.array([scale_count(sc, i) for i in idx], dtype=float)
            t = sc[metric][idx]
            label = key[4] if one_layout else f"{key[4]} on {key[1]}, {key[2]}"
            c = color[(key[3], key[4])]
            ax_t.plot(n, t / div, "o-", color=c, label=label, gid=f"series:{kind_of(sc, idx[0])}")
            ax_t.plot(n, t[0] / div * n[0] / n, ":", color=c, linewidth=1)
            ax_e.plot(n, 100.0 * _efficiency(sc, idx, metric, n), "o-", color=c, label=label,
                      gid=f"series:{kind_of(sc, idx[0])}")
        ax_t.plot([], [], "k:", linewidth=1, label="ideal (from the smallest count)")
        rows = [i for idx in group.values() for i in idx]
        for ax in (ax_t, ax_e):
            count_axis(ax, count_axis_label(sc, rows))
            ax.grid(True, which="both", alpha=0.3)
        ax_t.set_yscale("log")  # strong scaling: ideal is a straight line
        ax_t.set_ylabel(("time to train" if metric == "time_to_train_s" else "step time") + f" ({unit})")
        ax_e.set_ylabel("scaling efficiency (%)")
        ax_e.set_ylim(0, 110)
        where = f"{KIND_TITLE[KINDS[pkey[0]]]}" + (f": {keys[0][1]}, {keys[0][2]}" if one_layout else "")
        ax_t.set_title(where)
        ax_e.set_title(where)
        handles, labels = ax_t.get_legend_handles_labels()
        legend_outside(ax_e, handles=handles, labels=labels)
    suptitle(fig, f"{title_of(res)}\ntime to train and scaling efficiency against the number of devices")
    return fig


# ----------------------------------------------------------------------------------------------
# Wafer fabric


def busy_norm(values):
    """A colour scale over the busy shares a case actually has, so that a fabric 0.2 % busy is not
    one flat colour: linear between its smallest and largest non-zero share, logarithmic when
    those span more than a factor of 20."""
    nz = values[np.isfinite(values) & (values > 0)]
    if not len(nz):
        return matplotlib.colors.Normalize(0.0, 1.0)
    lo, hi = float(nz.min()), float(nz.max())
    if hi > 20 * lo:
        return matplotlib.colors.LogNorm(max(lo, hi / 1e4), hi)
    if hi - lo <= 1e-6 * hi:
        return matplotlib.colors.Normalize(0.9 * lo, 1.1 * hi)
    return matplotlib.colors.Normalize(lo, hi)


def fabric_heatmap(res, opts):
    """PE utilisation (/fabric_heatmap), one panel per case (at most four): the share of cycles
    each PE, or bin of PEs on large fabrics, spent busy, on the fabric's own layout (row 0, the
    north edge, on top). Each panel has its own colour scale over its own range; idle PEs are grey."""
    hm = res.table("fabric_heatmap")
    if not len(hm.get("case", [])):
        raise NoData("no /fabric_heatmap rows (a fabric study writes them)")
    fab = res.table("fabric")
    rows = list(fab.get("case", []))
    cases = list(dict.fromkeys(hm["case"]))
    if getattr(opts, "case", None):
        wanted = opts.case.split(",")
        cases = [c for c in wanted if c in cases]
        if not cases:
            raise NoData(f"no /fabric_heatmap rows for case {opts.case}")
    cases = cases[:4]
    fig, axes = plt.subplots(1, len(cases), figsize=(5.0 * len(cases), 4.6), squeeze=False)
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("lightgrey")
    for ax, case in zip(axes[0], cases):
        m = hm["case"] == case
        x, y, v = hm["x"][m].astype(int), hm["y"][m].astype(int), hm["busy_fraction"][m]
        bw = int(hm["bin_width"][m][0]) if "bin_width" in hm else 1
        bh = int(hm["bin_height"][m][0]) if "bin_height" in hm else 1
        grid = np.full((y.max() // bh + 1, x.max() // bw + 1), np.nan)
        grid[y // bh, x // bw] = v
        busy = np.ma.masked_where(~(grid > 0), grid)
        image = ax.imshow(busy, origin="upper", norm=busy_norm(v), cmap=cmap, interpolation="nearest",
                          extent=(0, grid.shape[1] * bw, grid.shape[0] * bh, 0), aspect="auto")
        image.set_gid(f"heatmap:{case}")
        bar = fig.colorbar(image, ax=ax, label="busy share of cycles (grey: idle)")
        bar.formatter = matplotlib.ticker.FuncFormatter(lambda f, _: f"{100 * f:.3g} %")
        bar.update_ticks()
        nz = v[v > 0]
        title = f"{case}: {100 * np.nanmean(grid):.3g} % busy on average"
        if len(nz):
            title += f"\nbusy PEs: {100 * nz.min():.3g} % to {100 * nz.max():.3g} % of cycles"
        if case in rows:
            i = rows.index(case)
            shape = "x".join(str(fab[k][i]) for k in ("m", "n", "batch") if k in fab)
            title += f"\n{fab['mapping'][i]} {shape}, {fab['cycles'][i]:.0f} cycles"
            if "sampled_outputs" in fab and fab["sampled_outputs"][i] > 0:
                title += f" (map of {2 * fab['sampled_outputs'][i]} simulated outputs)"
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("PE column (x)")
        ax.set_ylabel("PE row (y)")
    fig.tight_layout()
    suptitle(fig, f"{title_of(res)}\nshare of cycles each PE is busy")
    return fig


KERNEL_ORDER = ["chain", "allreduce", "meshgemv", "cannon", "meshgemm", "summa", "weight-streaming"]


def fabric_kernels(res, opts):
    """On-chip cycles (/fabric `cycles`, the case's statistic) against the side P of a square PE
    grid, one line per kernel, one panel per operation and size (GEMV y[1, N] = x W[N, N]; GEMM
    with M = K = N): how each kernel's cost grows with the grid it is spread over. Only kernels
    with at least two grid sizes of one shape are drawn; both axes are logarithmic."""
    fab = res.table("fabric")
    if not len(fab.get("case", [])):
        raise NoData("no /fabric rows (a fabric study writes them)")
    n = len(fab["case"])
    batch = fab["batch"] if "batch" in fab else np.ones(n, dtype=int)
    series = {}
    for i in range(n):
        if int(fab["p_rows"][i]) != int(fab["p_cols"][i]):
            continue
        op = "GEMV" if int(batch[i]) == 1 else "GEMM"
        key = (op, int(fab["m"][i]), int(fab["n"][i]), int(batch[i]))
        series.setdefault(key, {}).setdefault(str(fab["mapping"][i]), []).append((int(fab["p_rows"][i]), float(fab["cycles"][i])))
    panels_ = {k: {m: sorted(v) for m, v in lines.items() if len({p for p, _ in v}) >= 2} for k, lines in series.items()}
    panels_ = {k: v for k, v in panels_.items() if v}
    if not panels_:
        raise NoData("no kernel has cases on two or more square grids of one shape")
    keys = sorted(panels_, key=lambda k: (k[0] != "GEMV", k[1], k[2], k[3]))
    cols = min(len(keys), 4)
    rows = (len(keys) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.6 * rows), squeeze=False)
    kernels = [k for k in KERNEL_ORDER if any(k in panels_[key] for key in keys)]
    kernels += sorted({m for key in keys for m in panels_[key]} - set(kernels))
    styles = dict(zip(kernels, distinct_styles(len(kernels))))
    for ax, key in zip(axes.flat, keys):
        op, m, nn, b = key
        for kernel in kernels:
            pts = panels_[key].get(kernel)
            if not pts:
                continue
            colour, marker = styles[kernel]
            ax.plot([p for p, _ in pts], [c for _, c in pts], marker=marker, color=colour, label=kernel)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(sorted({p for pts in panels_[key].values() for p, _ in pts}))
        ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_title(f"{op} {m}x{nn}" + (f", batch {b}" if op == "GEMM" and b != m else ""), fontsize=9)
        ax.set_xlabel("grid side P (P x P PEs)")
        ax.set_ylabel("on-chip cycles")
        ax.grid(True, which="both", alpha=0.3)
    for ax in list(axes.flat)[len(keys):]:
        ax.set_visible(False)
    handles = [matplotlib.lines.Line2D([], [], color=styles[k][0], marker=styles[k][1], label=k) for k in kernels]
    fig.tight_layout(rect=(0, 0, 0.86, 0.93))
    fig.legend(handles=handles, loc="center right", fontsize=8, title="kernel", title_fontsize=8)
    suptitle(fig, f"{title_of(res)}\non-chip cycles against the PE grid, per kernel")
    return fig


# ----------------------------------------------------------------------------------------------
# Validation


def _reference_rows(results):
    rows = []
    for res in results:
        ref = res.table("reference")
        for k in range(len(ref.get("published", []))):
            rows.append(dict(study=res.attrs.get("study_name", ""), scenario=ref["scenario_id"][k],
                             metric=ref["metric"][k], error=float(ref["relative_error"][k]),
                             source=ref["source"][k] if "source" in ref else "",
                             ok=int(ref["pass"][k]) == 1, compare=ref["compare"][k] if "compare" in ref else "within"))
    return rows


def _distinguished(labels, sources):
    """Labels made unique: a label shared by several rows gets the part of each row's source that
    the others do not share ("corrected 2023-03-28" against "before the 2023-03-28 correction")."""
    out = list(labels)
    for label in set(labels):
        same = [j for j, x in enumerate(labels) if x == label]
        if len(same) < 2:
            continue
        words = [sources[j].split() for j in same]
        common = 0
        while all(len(w) > common and w[common] == words[0][common] for w in words):
            common += 1
        for j, w in zip(same, words):
            out[j] = f"{label} [{' '.join(w[common:]).strip('()') or sources[j]}]"
    return out


def _validation_lines(rows):
    """The figure's lines, study by study: a heading, each compared quantity, and the yes/no fit
    facts of the study folded into one line."""
    lines = []
    for study in dict.fromkeys(r["study"] for r in rows):
        mine = [r for r in rows if r["study"] == study]
        lines.append(dict(kind="heading", label=study))
        values = [r for r in mine if r["metric"] not in FLAGS and np.isfinite(r["error"])]
        labels = _distinguished([f"{r['metric']}: {r['scenario']}" for r in values], [r["source"] for r in values])
        lines += [dict(kind="value", label=label, **r) for label, r in zip(labels, values)]
        facts = [r for r in mine if r["metric"] in FLAGS or not np.isfinite(r["error"])]
        if facts:
            ok = sum(r["ok"] for r in facts)
            lines.append(dict(kind="facts", label=f"fits / out of memory: {ok} of {len(facts)} facts agree",
                              ok=ok == len(facts)))
    return lines


def validation(results, opts):
    """The relative error of every prediction against its published value, study by study, with
    the +-10 % band; a bound points the way it allows; yes/no facts are counted. Misses in red."""
    if not isinstance(results, (list, tuple)):
        results = [results]
    rows = _reference_rows(results)
    if not rows:
        raise NoData("no /reference rows")
    lines = _validation_lines(rows)
    fig, ax = plt.subplots(figsize=(8, 0.2 * len(lines) + 1.6))
    ax.axvspan(-100 * BAND, 100 * BAND, color="grey", alpha=0.3, label="+-10 %")
    ax.axvline(0, color="k", linewidth=0.8)
    marker = {"at_least": ">", "at_most": "<"}
    for j, line in enumerate(lines):
        if line["kind"] == "value":
            ax.plot(100 * line["error"], j, marker.get(line["compare"], "o"),
                    color="tab:blue" if line["ok"] else "red", linestyle="none")
        elif line["kind"] == "facts":
            ax.plot(0, j, "s", color="tab:blue" if line["ok"] else "red", fillstyle="none", markersize=7)
    ax.set_yticks(range(len(lines)))
    ax.set_yticklabels([line["label"] for line in lines])
    for tick, line in zip(ax.get_yticklabels(), lines):
        if line["kind"] == "heading":
            tick.set_fontweight("bold")
    ax.set_ylim(len(lines) - 0.5, -0.5)
    errors = [abs(100 * line["error"]) for line in lines if line["kind"] == "value"]
    lim = max([15.0] + [1.15 * e for e in errors])
    ax.set_xlim(-lim, lim)
    ax.set_xlabel("relative error of the prediction (%)")
    for style, label in (("o", "within its tolerance"), (">", "published is a lower bound"),
                         ("<", "published is an upper bound"), ("s", "yes/no facts, all agree")):
        ax.plot([], [], style, color="tab:blue", fillstyle="none" if style == "s" else "full", label=label)
    ax.plot([], [], "o", color="red", label="outside its tolerance")
    legend_outside(ax)
    ax.grid(True, axis="x", alpha=0.3)
    ok = sum(r["ok"] for r in rows)
    ax.set_title(f"Predicted vs published: {ok} of {len(rows)} comparisons within their tolerance")
    return fig


# ----------------------------------------------------------------------------------------------
# Serving


def serving(res, opts):
    """The serving curve: tokens/s per user against aggregate tokens/s, one line per model
    instance (scenario id without its /b<batch>-p<prompt>) in order of the batch at the shortest
    prompt the study has for it, the batch written at the ends, wafer points streamed from
    MemoryX hollow; one panel per model. Published per-user figures are black stars at their
    scenario's aggregate rate."""
    sc = res.table("scenarios")
    if "tokens_per_s_per_user" not in sc or not res.has_values("scenarios", "tokens_per_s_per_user"):
        raise NoData("no tokens_per_s_per_user in /scenarios (not an inference study)")
    idx = [i for i in range(len(sc["id"])) if np.isfinite(sc["tokens_per_s_per_user"][i])
           and np.isfinite(sc["tokens_per_s"][i])]
    prompt = sc["prompt_tokens"] if "prompt_tokens" in sc else np.zeros(len(sc["id"]))
    models = list(dict.fromkeys(sc["model"][i] for i in idx))
    fig, axes = plt.subplots(1, len(models), figsize=(5.2 * len(models), 4.2), squeeze=False)
    published = published_rows(res, "tokens_per_s_per_user")
    for ax, model in zip(axes[0], models):
        series = {}
        for i in idx:
            if sc["model"][i] == model:
                series.setdefault(POINT_SUFFIX.sub("", sc["id"][i]), []).append(i)
        names = list(series)[:MAX_SERIES]
        colours = distinct_styles(len(names))
        for (colour, marker), name in zip(colours, names):
            shortest = min(prompt[i] for i in series[name])
            order = sc["batch"] if "batch" in sc else sc["tokens_per_s"]
            pts = sorted((i for i in series[name] if prompt[i] == shortest), key=lambda i: order[i])
            x = [sc["tokens_per_s"][i] for i in pts]
            y = [sc["tokens_per_s_per_user"][i] for i in pts]
            _, machine, strategy = id_parts(name)
            ax.plot(x, y, marker=marker, color=colour, label=f"{machine} {strategy}".strip())
            # Wafer points whose weights stream from MemoryX (auto, when they do not fit) hollow.
            streamed = [i for i in pts if "placement" in sc and sc["placement"][i] == "weight-streaming"]
            if streamed:
                ax.plot([sc["tokens_per_s"][i] for i in streamed], [sc["tokens_per_s_per_user"][i] for i in streamed],
                        marker=marker, color="white", markeredgecolor=colour, linestyle="none", label="_streamed")
            if "batch" in sc:
                for i in (pts[0], pts[-1]) if len(pts) > 1 else (pts[0],):
                    ax.annotate(f"b{int(sc['batch'][i])}", (sc["tokens_per_s"][i], sc["tokens_per_s_per_user"][i]),
                                textcoords="offset points", xytext=(4, 4), fontsize=8, color=colour)
        rows = [r for r in published if sc["model"][r["index"]] == model]
        if rows:
            mark_published(ax, rows, lambda i: sc["tokens_per_s"][i], 1.0, "tokens_per_s_per_user")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("aggregate tokens/s (all sequences and replicas)")
        ax.set_ylabel("tokens/s per user")
        ax.set_title(f"{model}: per user against aggregate")
        ax.grid(True, which="both", alpha=0.3)
        legend_outside(ax)
    fig.tight_layout()
    suptitle(fig, title_of(res))
    return fig


FIGURES = [memory, memory_breakdown, time_to_train, step_breakdown, timeline, scaling, fabric_heatmap, fabric_kernels,
           serving, validation]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", help="result files (.h5)")
    parser.add_argument("--formats", default="png,pdf", help="comma-separated image formats (default png,pdf)")
    parser.add_argument("--outdir", help="write the figures here instead of beside each file")
    parser.add_argument("--only", help="comma-separated figure names (default: all)")
    parser.add_argument("--scenario", help="scenario id for the timeline (default: the first in /timeline)")
    parser.add_argument("--case", help="comma-separated fabric cases for the heat map (default: the first four)")
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
                for written in save(figure(res, args), base, figure.__name__, formats):
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
            for written in save(validation(loaded, args), base, "validation", formats):
                print(written)
        except NoData as why:
            print(f"figures.py: combined validation skipped: {why}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
