#!/usr/bin/env python3
"""Simulates continuous UTD-MHAD sessions and scores motion-segmentation settings (how cmcd's defaults
in Sources/CMCStream/Segmentation/SegmenterPolicy.swift were chosen).

Each subject's clips are concatenated in a seeded random order with idle gaps in which the signals glide
linearly from one clip's last sample to the next clip's first (as `cmc-replay --idle hold` sends them).
Every 0.1 s the gyroscope's RMS deviation from its mean over the last 0.2 s is compared with a threshold;
onset after 0.2 s of motion, offset after a hangover of stillness; segments padded by 0.3 s are matched to
clips at temporal IoU >= 0.5. Prints, per setting and gap length, the detection F1 and how long after the
clip's end the segment closed (median and 95th percentile): segmentation alone, no classifier.

  python3 tools/segmentation_sweep.py --root ../shared/data/utd-mhad [--subjects 1 3 5 7]
Needs numpy and scipy.
"""
import argparse
import glob
import itertools
import os

import numpy as np
import scipy.io as sio

TICK = 0.1


def load(root, subject):
    clips = []
    for f in sorted(glob.glob(os.path.join(root, "Inertial", "*_s%d_*.mat" % subject))):
        base = os.path.basename(f).replace("_inertial.mat", "")
        clips.append((base, sio.loadmat(f)["d_iner"]))
    return clips


def session(clips, gap, rng):
    """IMU samples (times, values) of one continuous session and the clips' [start, end) on its timeline."""
    times, values, intervals = [], [], []
    t, last = gap, None
    for k in rng.permutation(len(clips)):
        name, imu = clips[k]
        if last is not None:
            n = int(gap * 50)
            for m in range(n):
                times.append(t - gap + m / 50)
                values.append(last + (imu[0] - last) * m / n)
        for m in range(len(imu)):
            times.append(t + m / 50)
            values.append(imu[m])
        duration = len(imu) / 50
        intervals.append((t, t + duration))
        last, t = imu[-1], t + duration + gap
    return np.array(times), np.array(values), intervals


def motion(times, values, span=0.2):
    """Per tick: RMS deviation of the gyroscope (deg/s) from its mean over the span ending at the tick."""
    ticks = int(times[-1] / TICK)
    out = np.zeros(ticks)
    for k in range(ticks):
        end = (k + 1) * TICK
        gyro = values[(times > end - span) & (times <= end), 3:]
        if len(gyro) > 2:
            out[k] = np.sqrt(((gyro - gyro.mean(0)) ** 2).sum(1).mean())
    return out


def segment(score, threshold, release, hangover, onset=0.2, shortest=0.5, pad=0.3):
    segments, active, run, still, start = [], False, 0, 0, 0
    for k, v in enumerate(score):
        if not active:
            run = run + 1 if v > threshold else 0
            if run * TICK >= onset - 1e-9:
                active, start, still = True, k - run + 1, 0
        elif v > release:
            still = 0
        else:
            still += 1
            if still * TICK >= hangover - 1e-9:
                end = k - still + 1
                if (end - start) * TICK >= shortest:
                    segments.append((start * TICK - pad, end * TICK + pad, (k + 1) * TICK))
                active, run = False, 0
    return segments


def iou(a, b):
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default="../shared/data/utd-mhad")
    ap.add_argument("--subjects", type=int, nargs="+", default=[1, 3, 5, 7])
    ap.add_argument("--gaps", type=float, nargs="+", default=[1.0, 0.6])
    ap.add_argument("--thresholds", type=float, nargs="+", default=[6, 7, 8], help="deg/s")
    ap.add_argument("--release", type=float, nargs="+", default=[0.5, 0.75, 1.0], help="fraction of the threshold")
    ap.add_argument("--hangovers", type=float, nargs="+", default=[0.3, 0.4, 0.5], help="seconds")
    args = ap.parse_args()

    data = {}
    for gap in args.gaps:
        rng = np.random.default_rng(0)
        for s in args.subjects:
            times, values, intervals = session(load(args.root, s), gap, rng)
            data[gap, s] = (motion(times, values), intervals)
    print("threshold release hangover | " + " | ".join("gap %.1f s: F1, close after clip end p50/p95" % g for g in args.gaps))
    for threshold, release, hangover in itertools.product(args.thresholds, args.release, args.hangovers):
        cells = []
        for gap in args.gaps:
            found = segments = clips = 0
            delays = []
            for s in args.subjects:
                score, intervals = data[gap, s]
                found_here = segment(score, threshold, threshold * release, hangover)
                used = set()
                for clip in intervals:
                    for j, seg in enumerate(found_here):
                        if j not in used and iou(clip, seg[:2]) >= 0.5:
                            used.add(j)
                            found += 1
                            delays.append(seg[2] - clip[1])
                            break
                segments += len(found_here)
                clips += len(intervals)
            p, r = found / max(1, segments), found / max(1, clips)
            cells.append("F1 %.3f  %.2f/%.2f s" % (2 * p * r / max(1e-9, p + r), np.percentile(delays, 50), np.percentile(delays, 95)))
        print("%9.1f %7.2f %8.1f | %s" % (threshold, release, hangover, " | ".join(cells)))


if __name__ == "__main__":
    main()
