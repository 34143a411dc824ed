#!/usr/bin/env python3
"""Writes Tests/CMCDataTests/Fixtures/resample.json: random inputs and scipy.signal.resample outputs.

The Swift FFT resampler must reproduce scipy.signal.resample(x, num) (method.md §1.3). The cases
cover down- and up-sampling, odd and even lengths on both sides (the unpaired-bin rules differ),
the identity, and the lengths met in UTD-MHAD (107…326 IMU samples, 41…125 skeleton frames).

Run with any Python 3 that has numpy + scipy:  python3 tools/make_resample_fixtures.py
"""
import json
import os

import numpy as np
import scipy
import scipy.signal

CASES = [(107, 50), (50, 50), (41, 50), (326, 50), (7, 4), (5, 8), (100, 50), (48, 50), (51, 50),
         (49, 50), (2, 50), (1, 5), (125, 50), (45, 50)]


def main():
    rng = np.random.default_rng(20240611)
    cases = []
    for nx, num in CASES:
        # A smooth signal plus noise and an offset, like a sensor trace.
        t = np.arange(nx)
        x = 3.0 * np.sin(2 * np.pi * t / max(nx, 2) * 2.3) + rng.normal(0, 1, nx) + 0.7
        y = scipy.signal.resample(x, num)
        cases.append({"input": [float(v) for v in x], "num": num, "output": [float(v) for v in y]})
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "CMCDataTests", "Fixtures",
                       "resample.json")
    with open(out, "w") as f:
        json.dump({"generator": "tools/make_resample_fixtures.py", "scipy": scipy.__version__,
                   "cases": cases}, f, indent=1)
    print(f"wrote {len(cases)} cases to {os.path.normpath(out)}")


if __name__ == "__main__":
    main()
