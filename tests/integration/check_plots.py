"""Integration test of results/plot/figures.py: every figure is drawn from a small result file and
its PNG is not blank (many colours, real contrast) and its PDF is a PDF.

Two inputs: a real result file (`waferbench run` of a small study) for the figures today's
studies feed, and a synthetic TEST FIXTURE (plot_fixture.py) with the groups other parts of
waferbench add (/timeline, /fabric_heatmap, step-time columns) so every figure function runs.
Also: files without a figure's data skip it cleanly; a wrong schema_version is refused (exit 2);
--outdir and --combined write where they say.

    /usr/bin/python3 check_plots.py --exe build/drivers/waferbench --source . --out build/test-output/plots
"""
import argparse
import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
import numpy as np  # noqa: E402

FAILURES = []


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


def plot(figures_py, args):
    p = subprocess.run([sys.executable, figures_py] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p.returncode, [line for line in p.stdout.splitlines() if line], p.stderr


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

    os.makedirs(args.out, exist_ok=True)
    for name in os.listdir(args.out):
        if name.endswith((".png", ".pdf", ".h5")):
            os.remove(os.path.join(args.out, name))

    real = os.path.join(args.out, "seed_memory.h5")
    p = subprocess.run([args.exe, "run", os.path.join(args.source, "inputs", "studies", "seed_memory.yaml"), "-o", real,
                        "--force", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    check(p.returncode == 0, f"waferbench run seed_memory (exit {p.returncode}) {p.stderr.strip()}")
    fixture = plot_fixture.write_fixture(os.path.join(args.out, "plot_fixture.h5"))

    drawn = {}
    for path, expect in ((real, {"memory", "memory_breakdown", "validation"}),
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
            drawn.setdefault(name, []).append(path)
        if path == real:
            skipped = {f.__name__ for f in figures.FIGURES} - expect
            check(all(f"{name} skipped" in err for name in skipped) and
                  not any(os.path.exists(f"{stem}_{name}.png") for name in skipped),
                  "a memory study skips the time, timeline and fabric figures, saying why")
    missing = {f.__name__ for f in figures.FIGURES} - set(drawn)
    check(not missing, f"every figure function was drawn at least once (missing: {sorted(missing)})")

    # --outdir, --only, --combined
    outdir = os.path.join(args.out, "elsewhere")
    rc, written, err = plot(figures_py, ["--outdir", outdir, "--formats", "png", "--only", "validation,timeline",
                                         "--combined", "all", real, fixture])
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
    other = plot_fixture.write_fixture(os.path.join(args.out, "schema2.h5"), schema_version=2)
    rc, written, err = plot(figures_py, [other])
    check(rc == 2 and "schema_version 2" in err and not written, "a file with schema_version 2 is refused")
    rc, written, err = plot(figures_py, ["--only", "nonsense", real])
    check(rc == 2 and "unknown figure" in err, "an unknown figure name is refused")

    print(f"{len(FAILURES)} failure(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
