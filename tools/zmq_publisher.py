#!/usr/bin/python3
"""Publishes synthetic IMU and skeleton frames (cmc protocol v1) in real time, like wearables and a
depth camera would. For trying cmcd and for the integration test.

Example:
  tools/zmq_publisher.py --imu tcp://127.0.0.1:5555 --skeleton tcp://127.0.0.1:5556 --subjects 1,2 --seconds 10
  tools/zmq_publisher.py --imu tcp://127.0.0.1:5555 --curve-server-key cmcd.key --curve-secret-key wrist.key_secret

Each subject's channel 0 (IMU) and coordinate 0 of joint 0 (skeleton) hover around the subject id, so a
test classifier can tell subjects apart. Sensor clocks are CLOCK_MONOTONIC plus a per-subject offset
(or exactly CLOCK_MONOTONIC with --shared-clock).
"""
import argparse
import math
import sys
import time

import zmq

import cmc_curve
import cmc_protocol as p


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--imu", help="endpoint for IMU frames")
    ap.add_argument("--skeleton", help="endpoint for skeleton frames")
    ap.add_argument("--bind", action="store_true", help="bind the endpoints instead of connecting")
    ap.add_argument("--subjects", default="1", help="comma-separated subject ids")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--imu-rate", type=float, default=50)
    ap.add_argument("--imu-channels", type=int, default=6)
    ap.add_argument("--imu-chunk", type=int, default=5, help="samples per IMU frame")
    ap.add_argument("--skeleton-rate", type=float, default=30)
    ap.add_argument("--joints", type=int, default=20)
    ap.add_argument("--coords", type=int, default=3)
    ap.add_argument("--skeleton-chunk", type=int, default=3)
    ap.add_argument("--explicit-timestamps", action="store_true", help="send one timestamp per sample")
    ap.add_argument("--shared-clock", action="store_true", help="sensor time = this machine's CLOCK_MONOTONIC")
    cmc_curve.add_arguments(ap)
    args = ap.parse_args()

    ctx = zmq.Context()
    sockets = {}
    for kind, endpoint in (("imu", args.imu), ("skeleton", args.skeleton)):
        if endpoint:
            s = ctx.socket(zmq.PUB)
            s.setsockopt(zmq.LINGER, 1000)
            s.setsockopt(zmq.SNDHWM, 100000)
            cmc_curve.configure_client(s, args)
            (s.bind if args.bind else s.connect)(endpoint)
            sockets[kind] = s
    if not sockets:
        ap.error("give --imu and/or --skeleton")

    subjects = [int(x) for x in args.subjects.split(",") if x]
    start = time.monotonic_ns()
    streams = []  # (next_time_ns, kind, subject, sample_index, sequence)
    for s in subjects:
        for kind in sockets:
            rate, chunk = (args.imu_rate, args.imu_chunk) if kind == "imu" else (args.skeleton_rate, args.skeleton_chunk)
            # A frame leaves when its last sample has been taken.
            streams.append([start + (chunk - 1) * int(1e9 / rate), kind, s, 0, 0])
    sent = 0
    end = start + int(args.seconds * 1e9)
    while True:
        streams.sort(key=lambda x: x[0])
        due, kind, subject, k, seq = streams[0]
        if due > end:
            break
        delay = (due - time.monotonic_ns()) / 1e9
        if delay > 0:
            time.sleep(delay)
        rate = args.imu_rate if kind == "imu" else args.skeleton_rate
        chunk = args.imu_chunk if kind == "imu" else args.skeleton_chunk
        period = int(1e9 / rate)
        offset = 0 if args.shared_clock else (1000 + subject) * 1_000_000_000
        times = [start + (k + i) * period - offset for i in range(chunk)]
        samples = []
        for i in range(chunk):
            t = (k + i) / rate
            if kind == "imu":
                v = [math.sin(2 * math.pi * 1.5 * t + c) for c in range(args.imu_channels)]
                v[0] = subject + 0.2 * math.sin(2 * math.pi * t)
            else:
                v = [0.1 * math.sin(2 * math.pi * t + j) for j in range(args.joints * args.coords)]
                v[0] = subject + 0.2 * math.sin(2 * math.pi * t)
            samples.append(v)
        if kind == "imu":
            payload = p.encode_frame(p.TYPE_IMU, subject, seq, args.imu_channels, 0, samples, [1] * args.imu_channels,
                                     times[0], period_ns=None if args.explicit_timestamps else period,
                                     timestamps_ns=times if args.explicit_timestamps else None)
            topic = p.frame_topic(p.TYPE_IMU, subject)
        else:
            payload = p.encode_frame(p.TYPE_SKELETON, subject, seq, args.coords, args.joints, samples, [6] * args.coords,
                                     times[0], period_ns=None if args.explicit_timestamps else period,
                                     timestamps_ns=times if args.explicit_timestamps else None)
            topic = p.frame_topic(p.TYPE_SKELETON, subject)
        sockets[kind].send_multipart([topic.encode(), payload])
        sent += 1
        streams[0] = [start + (k + 2 * chunk - 1) * period, kind, subject, k + chunk, seq + 1]
    print("sent %d frames" % sent, file=sys.stderr)
    for s in sockets.values():
        s.close()
    ctx.term()


if __name__ == "__main__":
    main()
