#!/usr/bin/env python3
"""A fake wrist IMU for the default model: rest, then a 2 Hz swing, then rest, in real time.
synthetic_sensor.py [IMU_ENDPOINT] [SUBJECT] [SECONDS]"""
import math
import sys
import time

from cmc_client import Publisher

endpoint = sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5555"
subject = int(sys.argv[2]) if len(sys.argv) > 2 else 1
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 10
G, DPS = 2, 4  # unit codes: g and degrees per second (docs/protocol.md §4)
with Publisher(imu=endpoint) as pub:
    start = time.monotonic_ns()
    for k in range(int(seconds * 10)):  # 10 frames of 5 samples per second (50 Hz)
        t0 = start + k * 100_000_000
        samples = []
        for i in range(5):
            t = (k * 5 + i) / 50
            swing = 200 * math.sin(2 * math.pi * 2 * t) if seconds / 3 <= t < 2 * seconds / 3 else 0
            samples.append([0, 0, 1, swing, 0, swing / 2])
        pub.send_imu(subject, samples, units=[G, G, G, DPS, DPS, DPS], t0_ns=t0, period_ns=20_000_000)
        time.sleep(max(0, (t0 + 100_000_000 - time.monotonic_ns()) / 1e9))
