#!/usr/bin/env python3
"""Run by cmc's Swift tests against a live pipeline: publishes 3 s of a steady subject with
`Publisher`, receives its labels with `Subscriber`, prints them as JSON lines, exits 0 once it has
`--count` labels of that subject (1 on timeout).
live_roundtrip.py IMU_ENDPOINT SKELETON_ENDPOINT LABEL_ENDPOINT SUBJECT [COUNT]"""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
from cmc_client import LabelEvent, Publisher, Subscriber  # noqa: E402

imu, skeleton, labels, subject = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
count = int(sys.argv[5]) if len(sys.argv) > 5 else 2
got = []


def listen():
    with Subscriber(labels, subjects=[subject]) as sub:
        for event in sub.events(timeout=8):
            if isinstance(event, LabelEvent):
                got.append(event)
                print(json.dumps({"subject": event.subject, "label": event.label, "index": event.label_index}), flush=True)
            if len(got) >= count:
                return


listener = threading.Thread(target=listen)
listener.start()
time.sleep(0.3)  # the subscription reaches the daemon before the frames make labels
with Publisher(imu=imu, skeleton=skeleton) as pub:
    start = time.monotonic_ns() - 4_000_000_000  # sensor clock: the recent past (shared-clock daemon)
    for k in range(30):  # 3 s: IMU 50 Hz in frames of 5, skeleton 30 Hz in frames of 3
        t = start + k * 100_000_000
        pub.send_imu(subject, [[float(subject), 1.0, 2.0]] * 5, units=[0, 0, 0], t0_ns=t, period_ns=20_000_000)
        pub.send_skeleton(subject, [[float(subject)] + [0.5] * 11] * 3, units=[0, 0, 0], t0_ns=t, period_ns=33_333_333)
        time.sleep(0.02)
listener.join()
sys.exit(0 if len(got) >= count else 1)
