#!/usr/bin/env python3
"""Writes Tests/CMCDataTests/Fixtures/mat_scipy.json: small MAT v5 files written by scipy.io.savemat.

Each entry holds the file (base64), the variable to read and its expected dimensions and values in
MATLAB column-major order, or the reason it must be rejected. It complements the hand-built byte
tests with files from an independent writer (real zlib compression, scipy's own tag choices).

Run with any Python 3 that has numpy + scipy:  python3 tools/make_mat_fixtures.py
"""
import base64
import io
import json
import os

import numpy as np
import scipy
import scipy.io


def mat_bytes(variables, compress):
    buf = io.BytesIO()
    scipy.io.savemat(buf, variables, do_compression=compress, format="5")
    return buf.getvalue()


def colmajor(a):
    return [float(v) for v in np.asarray(a).flatten(order="F")]


def main():
    rng = np.random.default_rng(7)
    d = rng.normal(size=(5, 3))
    s = rng.normal(size=(2, 3, 4))
    entries = []
    for compress in (True, False):
        tag = "compressed" if compress else "uncompressed"
        entries += [
            {"name": f"double_{tag}", "file": mat_bytes({"d_iner": d}, compress), "variable": "d_iner",
             "dims": list(d.shape), "values": colmajor(d), "class": "double"},
            {"name": f"int16_3d_{tag}", "variable": "x",
             "file": mat_bytes({"x": np.arange(-6, 6, dtype=np.int16).reshape(2, 3, 2)}, compress),
             "dims": [2, 3, 2], "values": colmajor(np.arange(-6, 6).reshape(2, 3, 2)), "class": "int16"},
            {"name": f"single_{tag}", "variable": "s", "file": mat_bytes({"s": s.astype(np.float32)}, compress),
             "dims": [2, 3, 4], "values": colmajor(s.astype(np.float32)), "class": "single"},
            {"name": f"uint64_{tag}", "variable": "u",
             "file": mat_bytes({"u": np.array([[1, 2, 2**40]], dtype=np.uint64)}, compress),
             "dims": [1, 3], "values": [1.0, 2.0, float(2**40)], "class": "uint64"},
            {"name": f"struct_then_numeric_{tag}", "variable": "b",
             "file": mat_bytes({"a": {"f": np.ones(2)}, "b": np.array([[4.0, 5.0]])}, compress),
             "dims": [1, 2], "values": [4.0, 5.0], "class": "double", "unsupported": {"a": "struct"}},
            {"name": f"complex_{tag}", "variable": "c", "file": mat_bytes({"c": np.array([[1 + 2j]])}, compress),
             "reject": "complex"},
            {"name": f"char_{tag}", "variable": "t", "file": mat_bytes({"t": "hello"}, compress), "reject": "char"},
        ]
    for e in entries:
        e["file"] = base64.b64encode(e["file"]).decode()
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "CMCDataTests", "Fixtures",
                       "mat_scipy.json")
    with open(out, "w") as f:
        json.dump({"generator": "tools/make_mat_fixtures.py", "scipy": scipy.__version__, "entries": entries}, f,
                  indent=1)
    print(f"wrote {len(entries)} MAT files to {os.path.normpath(out)}")


if __name__ == "__main__":
    main()
