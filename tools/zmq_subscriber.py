#!/usr/bin/python3
"""Subscribes to cmcd's label and action events (or to frames, with --frames); prints one JSON object per line
(events get "kind": "label" or "action").

Examples:
  tools/zmq_subscriber.py --endpoint tcp://127.0.0.1:5557                  # every subject's labels
  tools/zmq_subscriber.py --endpoint tcp://127.0.0.1:5557 --subject 4 --count 10
  tools/zmq_subscriber.py --endpoint tcp://127.0.0.1:5555 --frames --count 1 # decode IMU/skeleton frames
  tools/zmq_subscriber.py --endpoint tcp://127.0.0.1:5557 --curve-server-key cmcd.key --curve-secret-key dashboard.key_secret

Exit status: 0 when --count messages were printed, 1 on --timeout, 2 on a protocol violation.
"""
import argparse
import json
import sys
import time

import zmq

import cmc_curve
import cmc_protocol as p


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--bind", action="store_true")
    ap.add_argument("--subject", type=int, help="only this subject (exact, thanks to the trailing '/')")
    ap.add_argument("--frames", action="store_true", help="subscribe to imu/ and skel/ frames instead of labels")
    ap.add_argument("--no-actions", action="store_true", help="window labels only, no action events")
    ap.add_argument("--count", type=int, default=0, help="stop after this many messages (0 = never)")
    ap.add_argument("--timeout", type=float, default=0, help="give up after this many seconds (0 = never)")
    cmc_curve.add_arguments(ap)
    args = ap.parse_args()

    ctx = zmq.Context()
    s = ctx.socket(zmq.SUB)
    s.setsockopt(zmq.LINGER, 0)
    cmc_curve.configure_client(s, args)
    if args.frames:
        prefixes = ["imu/", "skel/"] if args.subject is None else ["imu/%d/" % args.subject, "skel/%d/" % args.subject]
    else:
        prefixes = [p.label_topic(args.subject)] + ([] if args.no_actions else [p.action_topic(args.subject)])
    for prefix in prefixes:
        s.setsockopt(zmq.SUBSCRIBE, prefix.encode())
    (s.bind if args.bind else s.connect)(args.endpoint)

    deadline = time.monotonic() + args.timeout if args.timeout else None
    printed = 0
    while args.count == 0 or printed < args.count:
        wait = 1000 if deadline is None else max(0, int((deadline - time.monotonic()) * 1000))
        if deadline is not None and wait == 0:
            print("timeout after %d messages" % printed, file=sys.stderr)
            return 1
        if not s.poll(min(wait, 1000)):
            continue
        parts = s.recv_multipart()
        if len(parts) != 2:
            print("protocol violation: %d parts" % len(parts), file=sys.stderr)
            return 2
        topic = parts[0].decode("utf-8", "replace")
        try:
            if args.frames:
                frame = p.decode_frame(parts[1])
                expected = p.frame_topic(p.TYPE_IMU if frame["type"] == "imu" else p.TYPE_SKELETON, frame["subject"])
                out = frame
            else:
                out = p.decode_event(parts[0], parts[1])  # adds "kind": "label" or "action"
                expected = topic
        except (ValueError, KeyError) as e:
            print("protocol violation on %s: %s" % (topic, e), file=sys.stderr)
            return 2
        if topic != expected:
            print("protocol violation: topic %s, payload says %s" % (topic, expected), file=sys.stderr)
            return 2
        print(json.dumps(out, sort_keys=True), flush=True)
        printed += 1
    s.close()
    ctx.term()
    return 0


if __name__ == "__main__":
    sys.exit(main())
