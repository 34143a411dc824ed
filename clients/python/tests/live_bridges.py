#!/usr/bin/env python3
"""Run by cmc's Swift tests against a live pipeline (6 IMU channels, shared clock): drives it through a
bridge and prints the labels that come back as JSON lines; exits 0 once it has 2 labels of SUBJECT
(1 on timeout, 77 when the bridge's dependency is missing).
  udp: UDP CSV lines (a phone app) → cmc_client.udp_imu → cmcd → Subscriber
  lsl: an LSL outlet → cmc_client.lsl.SensorBridge → cmcd → MarkerOutlet → an LSL inlet (the labels as markers)
live_bridges.py MODE IMU_ENDPOINT LABEL_ENDPOINT SUBJECT"""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
mode, imu, labels, subject = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
try:
    from cmc_client import LabelEvent, Publisher, Subscriber
    if mode == "lsl":
        import pylsl
        from cmc_client.lsl import MarkerOutlet, SensorBridge, resolve
except ImportError as e:
    print("missing: %s" % e, file=sys.stderr)
    sys.exit(77)
from cmc_client.udp_imu import LineParser, UDPBridge  # noqa: E402

got = []
publisher = Publisher(imu=imu)
subscriber = Subscriber(labels, subjects=[subject])
time.sleep(0.3)  # subscriptions and connections settle before the data makes labels
sample = [float(subject), 0.0, 9.8, 0.0, 0.0, 0.0]  # channel 0 names the class for the test classifier

if mode == "udp":
    bridge = UDPBridge(publisher, subject, LineParser("t,ax,ay,az,gx,gy,gz", "ns"), [1, 1, 1, 3, 3, 3], listen=("127.0.0.1", 0))
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    start = time.monotonic_ns() - 4_000_000_000  # the phone's clock: the recent past (shared-clock daemon)
    for k in range(150):  # 3 s at 50 Hz, a line per datagram as such apps send
        sender.sendto(("%d,%s\n" % (start + k * 20_000_000, ",".join("%g" % v for v in sample))).encode(), bridge.address)
        if k % 5 == 4:
            bridge.pump(timeout=0.01)
            time.sleep(0.01)
    bridge.pump(timeout=0.1)
    deadline = time.monotonic() + 8
    while len(got) < 2 and time.monotonic() < deadline:
        event = subscriber.receive(0.2)
        if isinstance(event, LabelEvent):
            got.append(event.label)
            print(json.dumps({"via": "udp", "subject": event.subject, "label": event.label}), flush=True)
else:
    name = "cmc-live-imu-%d" % os.getpid()
    outlet = pylsl.StreamOutlet(pylsl.StreamInfo(name, "IMU", 6, 50, pylsl.cf_float32, name))
    bridge = SensorBridge(publisher, subject, imu=resolve("name", name), imu_units=[1, 1, 1, 3, 3, 3])
    bridge.open()
    markers = MarkerOutlet(subscriber, source_id=name)
    inlet = pylsl.StreamInlet(resolve("source_id", name + "-cmc-labels"))
    inlet.open_stream(timeout=5)
    time.sleep(0.3)
    start = pylsl.local_clock() - 4.0
    for k in range(150):
        outlet.push_sample(sample, start + k * 0.02)
        if k % 5 == 4:
            bridge.pump(timeout=0.01)
            markers.pump(timeout=0)
            time.sleep(0.01)
    deadline = time.monotonic() + 8
    while len(got) < 2 and time.monotonic() < deadline:
        bridge.pump(timeout=0.05)
        markers.pump(timeout=0.05)
        marker, stamp = inlet.pull_sample(timeout=0.1)
        if marker:
            got.append(marker[0])
            print(json.dumps({"via": "lsl", "subject": subject, "label": marker[0], "lsl_time": stamp}), flush=True)
subscriber.close()
publisher.close()
sys.exit(0 if len(got) >= 2 else 1)
