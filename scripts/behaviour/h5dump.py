#!/usr/bin/env python3
"""Dumps an HDF5 file (every group, dataset and attribute) to JSON on stdout, so that
scripts/behaviour/compare.py can compare a study's result file field by field.

    python3 scripts/behaviour/h5dump.py FILE.h5 > FILE.json
"""
import json
import sys

import h5py
import numpy as np


def plain(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray):
        if v.dtype.kind == "c":
            return {"re": plain(v.real), "im": plain(v.imag)}
        if v.dtype.kind in "SO":
            return [plain(x) for x in v.tolist()]
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v


def main(path):
    tree = {}

    def visit(name, obj):
        node = {"attrs": {k: plain(obj.attrs[k]) for k in sorted(obj.attrs)}}
        if isinstance(obj, h5py.Dataset):
            data = obj[()]
            if obj.dtype.names:  # compound: one list per field
                node["data"] = {f: plain(data[f]) for f in obj.dtype.names}
            else:
                node["data"] = plain(data)
        tree[name] = node

    with h5py.File(path, "r") as f:
        tree["/"] = {"attrs": {k: plain(f.attrs[k]) for k in sorted(f.attrs)}}
        f.visititems(visit)
    json.dump(tree, sys.stdout, indent=0, sort_keys=True, allow_nan=True)


if __name__ == "__main__":
    main(sys.argv[1])
