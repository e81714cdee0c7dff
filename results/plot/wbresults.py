"""Loader for waferbench result files (docs/results.md). The only module that touches HDF5.

Run with the system Python (/usr/bin/python3) that has Debian's h5py.
"""
import h5py
import numpy as np

SCHEMA_VERSION = 1


class ResultFile:
    """A result file: root attributes and the tables (groups of equal-length columns)."""

    def __init__(self, path):
        self.path = path
        with h5py.File(path, "r") as f:
            self.attrs = {k: _plain(v) for k, v in f.attrs.items()}
            version = self.attrs.get("schema_version")
            if version != SCHEMA_VERSION:
                raise ValueError(f"{path}: schema_version {version}, this loader reads {SCHEMA_VERSION}")
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
