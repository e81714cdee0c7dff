"""Loader for waferbench result files (docs/results.md): the only module that touches HDF5.

Run with the system Python (/usr/bin/python3, which has Debian's h5py; pandas is optional):

    import wbresults                        # with results/plot on sys.path or PYTHONPATH
    res = wbresults.load("results/seed_memory.h5")
    sc = res.table("scenarios")             # {column: numpy array}; strings decoded
    res.column("scenarios", "step_time_s")  # None when this file has no such column
    res.unit("scenarios", "step_time_s")    # "s"
    df = wbresults.to_dataframe("results/seed_memory.h5", "scenarios")   # pandas, missing as NA

From the command line (from the checkout, or anywhere with PYTHONPATH=results/plot):

    /usr/bin/python3 -m results.plot.wbresults FILE.h5                    # tables, rows, columns, units
    /usr/bin/python3 -m results.plot.wbresults FILE.h5 --table reference  # one table as CSV
"""
import argparse
import sys

import h5py
import numpy as np

SCHEMA_VERSION = 2
# Integers that do not apply to a row: files written before the fill value was declared hold -1
# (no count, flag or index is negative); newer files declare the HDF5 fill value of the dataset.
LEGACY_MISSING_INT = -1


class SchemaError(ValueError):
    """The file is not a waferbench result this loader can read."""


class ResultFile:
    """A result file: root attributes and the tables (groups of equal-length columns)."""

    def __init__(self, path):
        self.path = path
        try:
            f = h5py.File(path, "r")
        except OSError as e:
            raise SchemaError(f"{path}: cannot open as an HDF5 result file ({e})") from None
        with f:
            self.attrs = {k: _plain(v) for k, v in f.attrs.items()}
            version = self.attrs.get("schema_version")
            if version != SCHEMA_VERSION:
                raise SchemaError(f"{path}: schema_version {version}, this loader reads {SCHEMA_VERSION}")
            self.tables, self.units, self.fill = {}, {}, {}
            for name, group in f.items():
                if not isinstance(group, h5py.Group):
                    continue
                columns = {c: ds for c, ds in group.items() if isinstance(ds, h5py.Dataset)}
                self.tables[name] = {c: _column(ds) for c, ds in columns.items()}
                self.units[name] = {c: _plain(ds.attrs.get("units", "")) for c, ds in columns.items()}
                self.fill[name] = {c: _missing_int(ds) for c, ds in columns.items() if ds.dtype.kind in "iu"}

    def table(self, name):
        """Columns of /name as numpy arrays (strings decoded); empty dict if absent."""
        return self.tables.get(name, {})

    def rows(self, name):
        t = self.table(name)
        return len(next(iter(t.values()))) if t else 0

    def column(self, table, name):
        """One column, or None when the file has no such table or column (older or other studies)."""
        return self.table(table).get(name)

    def unit(self, table, name):
        """The `units` attribute of a column ("" for text, None when the column is absent)."""
        return self.units.get(table, {}).get(name)

    def missing(self, table, name):
        """Boolean mask of the rows where the column holds no value: NaN, the integer fill value, ""."""
        c = self.column(table, name)
        if c is None:
            return None
        if c.dtype.kind == "f":
            return ~np.isfinite(c)
        if c.dtype.kind in "iu":
            return c == self.fill[table][name]
        return np.array([not str(x) for x in c], dtype=bool)

    def has_values(self, table, name):
        """True when the column exists and holds a value in some row."""
        m = self.missing(table, name)
        return m is not None and len(m) > 0 and not bool(m.all())


def _plain(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    return value


def _column(ds):
    data = ds[()]
    if data.dtype.kind == "S":
        return np.array([x.decode("utf-8") for x in data], dtype=object)
    if data.dtype.kind == "O":
        return np.array([x.decode("utf-8") if isinstance(x, bytes) else x for x in data], dtype=object)
    return data


def _missing_int(ds):
    """The value that marks a missing integer: the dataset's declared HDF5 fill value, else -1."""
    plist = ds.id.get_create_plist()
    if plist.fill_value_defined() == h5py.h5d.FILL_VALUE_USER_DEFINED:
        return ds.fillvalue
    return LEGACY_MISSING_INT


def load(path):
    return ResultFile(path)


def to_dataframe(path_or_result, table="scenarios"):
    """One table as a pandas DataFrame: one column per dataset, missing floats NaN, missing
    integers pandas.NA (nullable Int64), the units in `df.attrs["units"]`. Needs pandas (Debian
    python3-pandas)."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("wbresults.to_dataframe needs pandas (Debian: apt-get install python3-pandas)") from None
    res = path_or_result if isinstance(path_or_result, ResultFile) else load(path_or_result)
    if table not in res.tables:
        raise KeyError(f"{res.path}: no table /{table} (tables: {', '.join(sorted(res.tables))})")
    data = {}
    for name, values in res.table(table).items():
        if values.dtype.kind in "iu":
            data[name] = pd.arrays.IntegerArray(values.astype(np.int64), res.missing(table, name))
        else:
            data[name] = values
    df = pd.DataFrame(data)
    df.attrs["units"] = dict(res.units[table])
    return df


def _describe(res, out):
    out.write(f"{res.path}: study {res.attrs.get('study_name', '?')}, schema_version {SCHEMA_VERSION}\n")
    for name in sorted(res.tables):
        cols = res.table(name)
        out.write(f"/{name}: {res.rows(name)} rows, {len(cols)} columns\n")
        line = " "
        for c in cols:
            item = f" {c}" + (f" [{res.unit(name, c)}]" if res.unit(name, c) else "") + ","
            if len(line) + len(item) > 100:
                out.write(line + "\n")
                line = " "
            line += item
        out.write(line.rstrip(",") + "\n")


def _write_csv(res, table, out):
    import csv
    if table not in res.tables:
        raise KeyError(f"{res.path}: no table /{table} (tables: {', '.join(sorted(res.tables))})")
    cols = res.table(table)
    masks = {c: res.missing(table, c) for c in cols}
    w = csv.writer(out, lineterminator="\n")
    w.writerow(list(cols))
    for i in range(res.rows(table)):
        w.writerow(["" if masks[c][i] else (repr(float(v[i])) if v.dtype.kind == "f" else v[i])
                    for c, v in cols.items()])


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m results.plot.wbresults", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", help="a waferbench result file (.h5)")
    ap.add_argument("--table", help="write this table as CSV (SI units, empty fields where missing)")
    args = ap.parse_args(argv)
    try:
        res = load(args.file)
        if args.table:
            _write_csv(res, args.table, sys.stdout)
        else:
            _describe(res, sys.stdout)
    except (SchemaError, KeyError) as e:
        print(f"wbresults: {e.args[0] if isinstance(e, KeyError) else e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
