"""Integration test of results/plot/figures.py and wbresults.py.

Every figure is drawn from real result files (`waferbench run` of small studies: a memory study,
and two training studies whose reference rows include a ratio and a sum of times) and from a
synthetic TEST FIXTURE (plot_fixture.py) with the groups other parts of waferbench add
(/timeline, /fabric_heatmap, step-time columns), so every figure function runs. Each PNG must not
be blank and each PDF must be a PDF; beyond that, each figure is checked as a reader would:

  - published markers are all values of the plotted metric, in its unit, of one scenario each
    (never a ratio drawn as a time or a sum drawn at one model's size), and none is left out;
  - no text below 8 pt; every panel has a title;
  - legends lie outside every panel's data area;
  - a panel holds at most ten data series, each in a colour of its own;
  - stacked bars are on linear axes (their shares are the point);
  - one count axis never mixes GPUs and wafer systems;
  - a fabric heat map's colour scale spans the case's own busy range, so a fabric 0.2 % busy is
    not one flat colour, and idle PEs are told apart.

Also: files without a figure's data skip it cleanly; a wrong schema_version is refused (exit 2);
--outdir and --combined write where they say; `python3 -m results.plot.wbresults` describes a
file and writes a table as CSV; `to_dataframe` returns pandas with missing integers as NA.

    /usr/bin/python3 check_plots.py --exe build/drivers/waferbench --source . --out build/test-output/plots
"""
import argparse
import csv
import io
import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.container  # noqa: E402
import matplotlib.image  # noqa: E402
import matplotlib.lines  # noqa: E402
import matplotlib.patches  # noqa: E402
import matplotlib.text  # noqa: E402
import numpy as np  # noqa: E402

FAILURES = []
MIN_FONT_PT = 8.0
MAX_SERIES = 10


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        FAILURES.append(what)


def not_blank(png):
    """True when the image has real content: many distinct colours and visible contrast."""
    img = matplotlib.image.imread(png)
    h, w = img.shape[:2]
    rgb = (img[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    colours = len(np.unique(rgb, axis=0))
    return h >= 200 and w >= 300 and colours > 16 and float(rgb.std()) > 10.0, f"{w}x{h}, {colours} colours"


def run(cmd, cwd=None):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def plot(figures_py, args):
    rc, out, err = run([sys.executable, figures_py] + args)
    return rc, [line for line in out.splitlines() if line], err


# ----------------------------------------------------------------------------------------------
# What a reader checks in a drawn figure


def expected_published(res, metric):
    """SI values of the reference rows that are one scenario's `metric` in the column's unit."""
    ref, sc = res.table("reference"), res.table("scenarios")
    unit = res.unit("scenarios", metric)
    out = []
    for k in range(len(ref.get("metric", []))):
        i = int(ref["scenario_index"][k])
        if (ref["metric"][k] == metric and ref["units"][k] == unit and 0 <= i < len(sc["id"])
                and ref["scenario_id"][k] == sc["id"][i]):
            out.append(float(ref["published"][k]))
    return sorted(out)


def published_artists(fig):
    return [a for ax in fig.axes for a in ax.get_lines() if a.get_gid() == "published"]


def check_published(name, fig, res, where):
    """Every published marker is a value of the plotted metric in its unit; none is missing."""
    artists = published_artists(fig)
    bad = []
    drawn = {}
    for a in artists:
        info = getattr(a, "wb_published", None)
        if info is None:
            bad.append("a published marker without its record")
            continue
        unit = res.unit("scenarios", info["metric"])
        if any(u != unit for u in info["units"]):
            bad.append(f"{info['metric']} marker in {sorted(set(info['units']))}, the column is in {unit}")
        data = a.get_xdata() if info["horizontal"] else a.get_ydata()
        if not np.allclose(np.asarray(data, dtype=float) * info["div"], info["values_si"], rtol=1e-9):
            bad.append(f"{info['metric']} markers drawn at other values than they record")
        drawn.setdefault(info["metric"], []).extend(info["values_si"])
    for metric, values in drawn.items():
        want = expected_published(res, metric)
        # Panels split a study's scenarios; together they show each eligible row once.
        if sorted(values) != want:
            bad.append(f"{metric}: drew {sorted(values)}, the one-scenario rows in its unit are {want}")
    check(not bad, f"{where}: {name}: published markers are values of the plotted metric in its unit"
                   + (f" ({'; '.join(bad)})" if bad else f" ({sum(len(v) for v in drawn.values())} drawn)"))


def check_text(name, fig, where):
    small = sorted({(round(t.get_fontsize(), 1), t.get_text()[:30]) for t in fig.findobj(matplotlib.text.Text)
                    if t.get_visible() and t.get_text().strip() and t.get_fontsize() < MIN_FONT_PT})
    check(not small, f"{where}: {name}: no text below {MIN_FONT_PT:g} pt" + (f" (found {small[:3]})" if small else ""))
    untitled = [ax for ax in fig.axes if ax.get_label() != "<colorbar>" and not ax.get_title()]
    check(not untitled, f"{where}: {name}: every panel has a title")


def overlaps(a, b, tol=1.0):
    return a.x0 < b.x1 - tol and b.x0 < a.x1 - tol and a.y0 < b.y1 - tol and b.y0 < a.y1 - tol


def check_legends(name, fig, where):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    bad = []
    for ax in fig.axes:
        leg = ax.get_legend()
        if leg is None:
            continue
        box = leg.get_window_extent(renderer)
        for other in fig.axes:
            if other.get_label() != "<colorbar>" and overlaps(box, other.get_window_extent(renderer)):
                bad.append(other.get_title()[:40] or "a panel")
    check(not bad, f"{where}: {name}: legends lie outside the panels" + (f" (over {bad})" if bad else ""))


def check_series(name, fig, where):
    bad = []
    for ax in fig.axes:
        series = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_") and ln.get_gid() != "published"
                  and len(ln.get_xdata()) > 0]
        colours = [matplotlib.colors.to_hex(ln.get_color()) for ln in series]
        if len(series) > MAX_SERIES:
            bad.append(f"{len(series)} series in '{ax.get_title()[:40]}'")
        if len(set(colours)) != len(colours):
            bad.append(f"repeated colours in '{ax.get_title()[:40]}'")
        kinds = {ln.get_gid() for ln in ax.get_lines() if (ln.get_gid() or "").startswith("series:")}
        if len(kinds) > 1:
            bad.append(f"GPUs and wafer systems on one count axis in '{ax.get_title()[:40]}'")
    check(not bad, f"{where}: {name}: at most {MAX_SERIES} series a panel, each its own colour, one kind of "
                   f"count an axis" + (f" ({'; '.join(bad)})" if bad else ""))


def check_stacked_linear(name, fig, where):
    bad = []
    for ax in fig.axes:
        for c in ax.containers:
            if not isinstance(c, matplotlib.container.BarContainer) or not len(c.patches):
                continue
            horizontal = c.orientation == "horizontal"
            starts = [p.get_x() if horizontal else p.get_y() for p in c.patches]
            scale = ax.get_xscale() if horizontal else ax.get_yscale()
            if any(s > 0 for s in starts) and scale != "linear":
                bad.append(ax.get_title()[:40])
    check(not bad, f"{where}: {name}: stacked bars on linear axes" + (f" (log in {bad})" if bad else ""))


def check_heatmap(fig, where):
    """Each case's colour scale spans its own busy range; idle PEs are masked (their own colour)."""
    images = [im for ax in fig.axes for im in ax.get_images()]
    bad = []
    for im in images:
        data = im.get_array()
        busy = np.ma.compressed(data)
        if len(busy) and busy.max() > busy.min():
            span = float(im.norm(busy.max()) - im.norm(busy.min()))
            if span < 0.9:
                bad.append(f"{im.get_gid()}: busy {busy.min():.3g}..{busy.max():.3g} spans {span:.2f} of the colours")
        if np.ma.is_masked(data) and np.ma.count_masked(data) and (np.ma.getdata(data)[np.ma.getmaskarray(data)] > 0).any():
            bad.append(f"{im.get_gid()}: busy PEs drawn as idle")
    check(images and not bad, f"{where}: fabric_heatmap: {len(images)} case(s), each on a colour scale over its "
                              f"own busy range" + (f" ({'; '.join(bad)})" if bad else ""))
    return images


def check_figures(figures, res, where):
    """Draws every figure of `res` in memory and applies the reader's checks; returns the names drawn."""
    opts = argparse.Namespace(scenario=None, max_devices=8)
    drawn = []
    for figure in figures.FIGURES:
        try:
            fig = figure(res, opts)
        except figures.NoData:
            continue
        name = figure.__name__
        drawn.append(name)
        check_published(name, fig, res, where)
        check_text(name, fig, where)
        check_legends(name, fig, where)
        check_series(name, fig, where)
        check_stacked_linear(name, fig, where)
        if name == "fabric_heatmap":
            check_heatmap(fig, where)
        matplotlib.pyplot.close(fig)
    return drawn


# ----------------------------------------------------------------------------------------------


def check_loader(source, real, fixture):
    """wbresults as a module: `python3 -m` describes a file and writes a table; to_dataframe."""
    import wbresults
    rc, out, err = run([sys.executable, "-m", "results.plot.wbresults", real], cwd=source)
    check(rc == 0 and "/scenarios:" in out and "device_memory_bytes [bytes]" in out,
          f"python3 -m results.plot.wbresults FILE describes the tables (exit {rc}) {err.strip()[-200:]}")
    rc, out, err = run([sys.executable, "-m", "results.plot.wbresults", real, "--table", "reference"], cwd=source)
    rows = list(csv.reader(io.StringIO(out)))
    res = wbresults.load(real)
    check(rc == 0 and rows and rows[0][0] == "scenario_id" and len(rows) == res.rows("reference") + 1,
          f"python3 -m results.plot.wbresults FILE --table reference writes {res.rows('reference')} CSV rows")
    rc, out, err = run([sys.executable, "-m", "results.plot.wbresults", real, "--table", "nonsense"], cwd=source)
    check(rc == 2 and "no table /nonsense" in err, "an unknown table is refused (exit 2)")
    try:
        import pandas  # noqa: F401
    except ImportError:
        print("note: pandas is not installed (Debian python3-pandas); to_dataframe not checked")
        return
    df = wbresults.to_dataframe(fixture, "scenarios")
    sc = wbresults.load(fixture).table("scenarios")
    check(list(df.columns) == list(sc) and len(df) == len(sc["id"]), "to_dataframe: every column and row")
    systems = df["systems"]
    check(str(systems.dtype) == "Int64" and int(systems.isna().sum()) == int((sc["systems"] == -1).sum()) > 0,
          "to_dataframe: missing integers are pandas NA in a nullable Int64 column")
    check(df.attrs["units"]["step_time_s"] == "s", "to_dataframe: units in df.attrs")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exe", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    plot_dir = os.path.join(args.source, "results", "plot")
    figures_py = os.path.join(plot_dir, "figures.py")
    sys.path.insert(0, plot_dir)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import figures
    import plot_fixture
    import wbresults

    os.makedirs(args.out, exist_ok=True)
    for name in os.listdir(args.out):
        if name.endswith((".png", ".pdf", ".h5")):
            os.remove(os.path.join(args.out, name))

    real = {}
    for study in ("seed_memory", "seed_jais", "cerebras_gpt_andromeda"):
        real[study] = os.path.join(args.out, f"{study}.h5")
        rc, out, err = run([args.exe, "run", os.path.join(args.source, "inputs", "studies", f"{study}.yaml"), "-o",
                            real[study], "--force", "--quiet"])
        check(rc == 0, f"waferbench run {study} (exit {rc}) {err.strip()}")
    fixture = plot_fixture.write_fixture(os.path.join(args.out, "plot_fixture.h5"))

    # The reader's checks, on figures drawn in memory.
    drawn = set()
    for path in list(real.values()) + [fixture]:
        drawn |= set(check_figures(figures, wbresults.load(path), os.path.basename(path)))
    check(drawn == {f.__name__ for f in figures.FIGURES},
          f"every figure function was checked at least once (missing: {sorted({f.__name__ for f in figures.FIGURES} - drawn)})")
    jais = published_artists(figures.time_to_train(wbresults.load(real["seed_jais"]), None))
    values = sorted(v for a in jais for v in a.wb_published["values_si"])
    check(len(values) == 2 and min(values) > 86400,
          f"seed_jais: the 68-day and 2-day claims are drawn as times, the 35x ratio is not ({values})")

    # The same figures through the command line, as files.
    for path, expect in ((real["seed_memory"], {"memory", "memory_breakdown", "validation"}),
                         (fixture, {f.__name__ for f in figures.FIGURES})):
        rc, written, err = plot(figures_py, ["--verbose", path])
        check(rc == 0, f"figures.py {os.path.basename(path)} (exit {rc}) {err.strip()[-300:]}")
        stem = os.path.splitext(path)[0]
        for name in sorted(expect):
            png, pdf = f"{stem}_{name}.png", f"{stem}_{name}.pdf"
            ok = png in written and pdf in written and os.path.exists(png) and os.path.exists(pdf)
            check(ok, f"{os.path.basename(path)}: {name} written as PNG and PDF")
            if not ok:
                continue
            good, how = not_blank(png)
            check(good, f"{os.path.basename(png)} is not blank ({how})")
            with open(pdf, "rb") as f:
                head = f.read(5)
            check(head == b"%PDF-" and os.path.getsize(pdf) > 2000, f"{os.path.basename(pdf)} is a PDF")
        if path == real["seed_memory"]:
            skipped = {f.__name__ for f in figures.FIGURES} - expect
            check(all(f"{name} skipped" in err for name in skipped) and
                  not any(os.path.exists(f"{stem}_{name}.png") for name in skipped),
                  "a memory study skips the time, timeline and fabric figures, saying why")

    # --outdir, --only, --combined
    outdir = os.path.join(args.out, "elsewhere")
    rc, written, err = plot(figures_py, ["--outdir", outdir, "--formats", "png", "--only", "validation,timeline",
                                         "--combined", "all", real["seed_memory"], fixture])
    expect = {os.path.join(outdir, n) for n in ("seed_memory_validation.png", "plot_fixture_validation.png",
                                                "plot_fixture_timeline.png", "all_validation.png")}
    check(rc == 0 and set(written) == expect, f"--outdir/--only/--combined wrote {sorted(written)}")
    if os.path.exists(os.path.join(outdir, "all_validation.png")):
        good, how = not_blank(os.path.join(outdir, "all_validation.png"))
        check(good, f"combined validation is not blank ({how})")
    rc, written, err = plot(figures_py, ["--only", "timeline", "--scenario", "no-such-scenario", "--formats", "png",
                                         fixture])
    check(rc == 0 and not written and "no /timeline rows for scenario no-such-scenario" in err,
          "timeline of an unknown scenario is skipped with the reason")

    # The loader refuses a file of another schema version.
    other = plot_fixture.write_fixture(os.path.join(args.out, "schema3.h5"), schema_version=3)
    rc, written, err = plot(figures_py, [other])
    check(rc == 2 and "schema_version 3" in err and not written, "a file with schema_version 3 is refused")
    rc, written, err = plot(figures_py, ["--only", "nonsense", real["seed_memory"]])
    check(rc == 2 and "unknown figure" in err, "an unknown figure name is refused")

    check_loader(args.source, real["seed_memory"], fixture)

    print(f"{len(FAILURES)} failure(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
