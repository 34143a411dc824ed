#!/usr/bin/env python3
"""Interop check between cmc's safetensors code and the official `safetensors` package (PyPI).

  python3 tools/safetensors_interop.py write Tests/CMCTestSupport/Fixtures/interop_python.safetensors
      writes the reference file the Swift tests read (committed; regenerate with this command)
  python3 tools/safetensors_interop.py check FILE
      reads a file written by Swift (SafeTensorsTests writes them) and verifies every tensor it holds
      against the values below; exit 0 = ok

Contents (both directions): "a" F32 (2,3) = arange(6) * 0.5 - 1; "b" F16 (4,) = [0.5, -2, 65504, 0.0999755859375];
metadata {"producer": "<who>", "note": "interop"}.
"""
import sys

import numpy as np
from safetensors.numpy import load_file, save_file
from safetensors import safe_open

A = (np.arange(6, dtype=np.float32) * 0.5 - 1).reshape(2, 3)
B = np.array([0.5, -2, 65504, 0.0999755859375], dtype=np.float16)


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "write":
        save_file({"a": A, "b": B}, path, metadata={"producer": "python-safetensors", "note": "interop"})
        return 0
    tensors = load_file(path)
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata()
    expected = {"a": A, "b": B}
    ok = bool(tensors) and meta.get("note") == "interop" and all(
        k in expected and v.dtype == expected[k].dtype and np.array_equal(v, expected[k]) for k, v in tensors.items())
    print("interop ok" if ok else f"interop MISMATCH: {tensors} {meta}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
