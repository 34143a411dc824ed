#!/usr/bin/env python3
"""Writes tools/fuzz/seeds/mat/*.mat: small MAT v5 seeds from an independent writer (scipy.io.savemat).

They cover what the hand-built Swift seeds do not: real zlib streams, scipy's tag choices (small
elements, narrowed storage types), UTD-MHAD-shaped d_iner/d_skel variables, and every class the
reader must refuse politely (struct, cell, char, complex, sparse, logical). Real dataset files are
never used as seeds. Run with any Python 3 that has numpy + scipy:  python3 tools/fuzz/make_mat_seeds.py
"""
import os

import numpy as np
import scipy.io
import scipy.sparse


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "mat")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(11)
    seeds = {
        "utd_inertial": {"d_iner": rng.normal(size=(6, 6))},
        "utd_skeleton": {"d_skel": rng.normal(size=(20, 3, 2))},
        "narrow_types": {"i": np.arange(-3, 3, dtype=np.int8).reshape(2, 3), "u": np.array([[1, 2**40]], dtype=np.uint64),
                         "f": np.ones((1, 2), dtype=np.float32), "w": np.array([[7, 300]], dtype=np.uint16)},
        "logical_and_empty": {"b": np.array([[True, False]]), "e": np.zeros((0, 3))},
        "refused": {"s": {"f": np.ones(2)}, "c": np.array([[1 + 2j]]), "t": "hi",
                    "k": np.array([[np.ones(1), "x"]], dtype=object), "p": scipy.sparse.csc_matrix(np.eye(2))},
    }
    for name, variables in seeds.items():
        for compress in (True, False):
            path = os.path.join(out, f"{name}_{'z' if compress else 'raw'}.mat")
            scipy.io.savemat(path, variables, do_compression=compress, format="5")
    total = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print(f"wrote {len(os.listdir(out))} seeds ({total} bytes) to {os.path.normpath(out)}")


if __name__ == "__main__":
    main()
