"""TEST FIXTURE for the plotting code only: writes a small synthetic result file with every group
and column the figures read (docs/results.md conventions: fixed-length UTF-8 strings, a `units`
attribute on every dataset, root schema_version 2), including the groups other parts of
waferbench add (/timeline, /fabric, /fabric_heatmap, the step-time and wafer columns).

Every number here is made up to exercise the figures (several model sizes, a GPU and a wafer
series, counts to scale over, a step timeline, a PE grid). None is a prediction of waferbench
and none may be used as one; the figures of real runs come from `waferbench run`.
"""
import h5py
import numpy as np

DAY_S = 86400.0
GIB = 1024.0 ** 3


def _strings(values):
    width = max([1] + [len(v.encode("utf-8")) for v in values])
    return np.array([v.encode("utf-8") for v in values], dtype=h5py.string_dtype("utf-8", width))


def _write_table(f, group, columns):
    """columns: list of (name, values, units); str values become fixed-length strings."""
    g = f.create_group(group)
    for name, values, units in columns:
        if len(values) and isinstance(values[0], str):
            data = _strings(values)
        elif len(values) and isinstance(values[0], (int, np.integer)) and not isinstance(values[0], bool):
            data = np.array(values, dtype="<i8")
        else:
            data = np.array(values, dtype="<f8")
        ds = g.create_dataset(name, data=data)
        ds.attrs["units"] = np.bytes_(units)


def write_fixture(path, schema_version=2):
    # Scenarios: a GPU series and a wafer series over three model sizes, and each scaled over counts.
    rows = []
    for params, name in ((1.3e9, "m1"), (6.7e9, "m7"), (13e9, "m13")):
        rows.append(dict(model=name, params=int(params), system="gpu-node", count=1, devices=8, systems=-1,
                         placement="", strategy="zero2+offload+mb1"))
        rows.append(dict(model=name, params=int(params), system="wafer", count=16, devices=16, systems=16,
                         placement="weight-streaming", strategy="weight-streaming+mb32"))
    for count in (2, 4, 8):
        rows.append(dict(model="m13", params=int(13e9), system="gpu-node", count=count, devices=8 * count,
                         systems=-1, placement="", strategy="zero2+offload+mb1"))
    for count in (1, 4):
        rows.append(dict(model="m13", params=int(13e9), system="wafer", count=count, devices=count, systems=count,
                         placement="weight-streaming", strategy="weight-streaming+mb32"))
    n = len(rows)
    ids = [f"{r['model']}@{r['system']}x{r['count']}/{r['strategy']}" for r in rows]
    wafer = np.array([bool(r["placement"]) for r in rows])
    params = np.array([r["params"] for r in rows], dtype=float)
    units = np.array([r["systems"] if r["systems"] > 0 else r["devices"] for r in rows], dtype=float)
    # Arbitrary step-time parts; their sum is the step time, as in real files.
    compute = 1e-10 * params / np.sqrt(units) * np.where(wafer, 0.2, 1.0)
    parts = {
        "step_compute_s": compute,
        "step_exposed_comm_s": np.where(wafer, 0.05, 0.3) * compute * np.log2(units + 1),
        "step_offload_transfer_s": np.where(wafer, 0.0, 0.4) * compute,
        "step_cpu_optimizer_s": np.where(wafer, 0.0, 0.5) * compute,
        "step_pipeline_bubble_s": np.zeros(n),
        "step_straggler_wait_s": 0.02 * compute,
    }
    step = sum(parts.values())
    tokens_per_step = 2048.0 * 32
    tokens_per_s = tokens_per_step / step
    time_to_train = 2.6e11 * params / 13e9 / tokens_per_s
    mem = np.where(wafer, 30e9, 1e-9 * params * 4 * GIB)
    scenarios = [
        ("id", ids, ""), ("sweep", ["fixture"] * n, ""), ("model", [r["model"] for r in rows], ""),
        ("system", [r["system"] for r in rows], ""), ("system_count", [r["count"] for r in rows], "1"),
        ("strategy", [r["strategy"] for r in rows], ""), ("params", [r["params"] for r in rows], "1"),
        ("devices", [r["devices"] for r in rows], "1"), ("systems", [r["systems"] for r in rows], "1"),
        ("placement", [r["placement"] for r in rows], ""),
        ("fits", [int(m < 40 * GIB) for m in mem], "1"),
        ("device_memory_bytes", list(mem), "bytes"),
        ("device_capacity_bytes", list(np.where(wafer, 40e9, 40 * GIB)), "bytes"),
        ("mem_params_bytes", list(0.2 * mem), "bytes"), ("mem_grads_bytes", list(0.1 * mem), "bytes"),
        ("mem_optimizer_bytes", list(0.4 * mem), "bytes"), ("mem_activations_bytes", list(0.2 * mem), "bytes"),
        ("mem_buffers_bytes", list(0.05 * mem), "bytes"), ("mem_framework_bytes", list(0.05 * mem), "bytes"),
        ("step_time_s", list(step), "s"), ("tokens_per_s", list(tokens_per_s), "tokens/s"),
        ("time_to_train_s", list(time_to_train), "s"),
        ("scaling_efficiency", list(np.where(wafer, 1.0 / (1 + 0.01 * np.log2(units)), np.nan)), "1"),
        # Serving columns (the serving figure): each row a point of its own series.
        ("batch", [r["count"] for r in rows], "1"), ("prompt_tokens", [1024] * n, "tokens"),
        ("tokens_per_s_per_user", list(tokens_per_s / units), "tokens/s"),
    ] + [(k, list(v), "s") for k, v in parts.items()]
    # Reference rows: two time-to-train values (one a miss), a lower bound on one scenario's memory,
    # a fit fact, a speed-up of one scenario (compared on time_to_train_s, but in unit 1), and two
    # comparisons that combine scenarios and so are no scenario's value: a ratio of times (unit 1)
    # and a sum of times (labelled, not a scenario id). Only the first three may appear as published
    # markers.
    refs = [
        (ids[4], 4, "time_to_train_s", "s", time_to_train[4] * 1.05, time_to_train[4], "within", 1),
        (ids[5], 5, "time_to_train_s", "s", time_to_train[5] * 0.8, time_to_train[5], "within", 0),
        (ids[0], 0, "device_memory_bytes", "bytes", mem[0] * 0.9, mem[0], "at_least", 1),
        (ids[0], 0, "fits", "1", 1.0, 1.0, "within", 1),
        (ids[4], 4, "time_to_train_s", "1", 2.0, 1.5, "within", 0),
        ("fixture: GPU time / wafer time", 5, "time_to_train_s", "1", 35.0, time_to_train[4] / time_to_train[5],
         "within", 0),
        ("fixture: sum of the GPU runs", 4, "time_to_train_s", "s", 3 * time_to_train[4],
         time_to_train[0] + time_to_train[2] + time_to_train[4], "within", 1),
    ]
    reference = [
        ("scenario_id", [r[0] for r in refs], ""), ("scenario_index", [r[1] for r in refs], "1"),
        ("metric", [r[2] for r in refs], ""), ("units", [r[3] for r in refs], ""),
        ("published", [r[4] for r in refs], "see units"), ("predicted", [r[5] for r in refs], "see units"),
        ("relative_error", [(r[5] - r[4]) / r[4] for r in refs], "1"),
        ("compare", [r[6] for r in refs], ""), ("tolerance", [0.1] * len(refs), "1"), ("pass", [r[7] for r in refs], "1"),
        ("source", ["fixture"] * len(refs), ""), ("note", [""] * len(refs), ""),
    ]
    # One step of scenario 0 on two devices, four streams.
    tl = []
    for d in range(2):
        t = 0.0
        for layer in range(4):
            tl.append((d, "compute", "fwd", t, t + 0.010))
            t += 0.010
        for layer in range(4):
            tl.append((d, "compute", "bwd", t, t + 0.020))
            tl.append((d, "comm", "reduce-scatter", t + 0.015, t + 0.030))
            tl.append((d, "pcie", "grad-offload", t + 0.030, t + 0.036))
            t += 0.020
        tl.append((d, "cpu", "adam", t + 0.02, t + 0.06))
    timeline = [
        ("scenario_index", [0] * len(tl), "1"), ("scenario_id", [ids[0]] * len(tl), ""),
        ("device", [r[0] for r in tl], "1"), ("stream", [r[1] for r in tl], ""), ("kind", [r[2] for r in tl], ""),
        ("start_s", [r[3] for r in tl], "s"), ("end_s", [r[4] for r in tl], "s"),
    ]
    # Three fabric cases on a 12 x 10 PE grid: busy in the mapped rectangle, idle around it; the
    # third as sparse as a latency-bound GEMV (0.1 to 0.2 % busy), which must not come out blank.
    cases, xs, ys, busy = [], [], [], []
    shapes = (("gemm-dense", (10, 8), 0.9, 0.02), ("gemm-sparse", (6, 8), 0.9, 0.02), ("gemv-sparse", (12, 4), 0.002, 0.0001))
    for case, (w, h), top, slope in shapes:
        for y in range(10):
            for x in range(12):
                cases.append(case)
                xs.append(x)
                ys.append(y)
                busy.append(top - slope * x if (x < w and y < h) else (0.05 if top > 0.5 else 0.0))
    # Then kernel sweeps over square grids (the fabric_kernels figure): two GEMV and two GEMM
    # kernels at three grid sides each.
    sweep = [(k, p, 720, 1, c) for k, c in (("chain", 30.0), ("meshgemv", 4.0)) for p in (120, 240, 480)]
    sweep += [(k, p, 2048, 2048, c) for k, c in (("cannon", 900.0), ("meshgemm", 500.0)) for p in (64, 128, 256)]
    kcases = [f"{k}-p{p}-n{n}" for k, p, n, _, _ in sweep]
    fabric = [
        ("case", ["gemm-dense", "gemm-sparse", "gemv-sparse"] + kcases, ""), ("chip", ["fixture"] * (3 + len(sweep)), ""),
        ("mapping", ["rows", "rows", "chain"] + [k for k, *_ in sweep], ""),
        ("p_rows", [8, 8, 4] + [p for _, p, *_ in sweep], "1"), ("p_cols", [10, 6, 12] + [p for _, p, *_ in sweep], "1"),
        ("m", [64, 64, 48] + [n for _, _, n, _, _ in sweep], "1"), ("n", [80, 48, 96] + [n for _, _, n, _, _ in sweep], "1"),
        ("batch", [1, 1, 1] + [b for *_, b, _ in sweep], "1"), ("sparsity", [0.0, 0.5, 0.0] + [0.0] * len(sweep), "1"),
        ("cycles", [1000.0, 600.0, 90000.0] + [c * p * (1 if b == 1 else 64) for _, p, _, b, c in sweep], "cycles"),
        ("published_cycles", [np.nan] * (3 + len(sweep)), "cycles"), ("relative_error", [np.nan] * (3 + len(sweep)), "1"),
    ]
    heatmap = [("case", cases, ""), ("x", xs, "1"), ("y", ys, "1"), ("bin_width", [1] * len(xs), "1"),
               ("bin_height", [1] * len(xs), "1"), ("busy_fraction", busy, "1")]

    with h5py.File(path, "w") as f:
        f.attrs["schema_version"] = np.int64(schema_version)
        f.attrs["study_name"] = np.bytes_("plot_fixture")
        f.attrs["study_kind"] = np.bytes_("training")
        f.attrs["study_title"] = np.bytes_("TEST FIXTURE for the plot scripts (synthetic numbers)")
        _write_table(f, "scenarios", scenarios)
        _write_table(f, "reference", reference)
        _write_table(f, "timeline", timeline)
        _write_table(f, "fabric", fabric)
        _write_table(f, "fabric_heatmap", heatmap)
    return path
