"""Loader for waferbench result files (docs/results.md). The only module that touches HDF5.

Run with the system Python (/usr/bin/python3) that has Debian's h5py.

    import wbresults
    res = wbresults.load("results/seed_memory.h5")
    sc = res.table("scenarios")            # {column: numpy array}; strings decoded
    res.column("scenarios", "step_time_s")  # None when this file has no such column
"""
import h5py
import numpy as np

SCHEMA_VERSION = 1


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
            self.tables = {}
            self.units = {}
            for name, group in f.items():
                if not isinstance(group, h5py.Group):
                    continue
                self.tables[name] = {c: _column(ds) for c, ds in group.items() if isinstance(ds, h5py.Dataset)}
                self.units[name] = {c: _plain(ds.attrs.get("units", "")) for c, ds in group.items()
                                    if isinstance(ds, h5py.Dataset)}

    def table(self, name):
        """Columns of /name as numpy arrays (strings decoded); empty dict if absent."""
        return self.tables.get(name, {})

    def rows(self, name):
        t = self.table(name)
        return len(next(iter(t.values()))) if t else 0

    def column(self, table, name):
        """One column, or None when the file has no such table or column (older or other studies)."""
        return self.table(table).get(name)

    def has_values(self, table, name):
        """True when the column exists and holds a value in some row (not NaN, -1 or "")."""
        c = self.column(table, name)
        if c is None or len(c) == 0:
            return False
        if c.dtype.kind == "f":
            return bool(np.isfinite(c).any())
        if c.dtype.kind in "iu":
            return bool((c >= 0).any())
        return any(str(x) for x in c)


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


def load(path):
    return ResultFile(path)
