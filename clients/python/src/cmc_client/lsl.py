"""Lab Streaming Layer (LSL) bridge: sensor streams on LSL in, cmcd frames out; cmcd's decisions back
onto LSL as marker streams, where LabRecorder, OpenViBE or BCI2000 record them next to the signals.

Needs `pylsl` (``pip install pylsl``; its wheels carry liblsl). Timestamps: each inlet applies LSL's
clock synchronisation and de-jittering, so samples arrive stamped on this host's LSL clock
(CLOCK_MONOTONIC on Linux); they are sent to cmcd as explicit nanosecond timestamps, and cmcd aligns
each stream's clock as for any sensor. Marker samples are stamped with the sender-clock time of the
decision (a label's window centre, an action's end) when cmcd gives it, so they line up with the data
they describe in a recording.

    python3 -m cmc_client.lsl --subject 7 --imu-type IMU --skeleton-type Mocap \\
        --imu tcp://127.0.0.1:5555 --skeleton tcp://127.0.0.1:5556 --labels tcp://127.0.0.1:5557
"""
import argparse
import sys
import time

import pylsl

from .client import Publisher, Subscriber
from .events import ActionEvent

#: Unit codes of the default model's IMU (g, g, g, °/s, °/s, °/s) and of skeletons in metres.
DEFAULT_IMU_UNITS = [2, 2, 2, 4, 4, 4]
METRES = 6


def resolve(prop, value, timeout=5.0):
    """The first LSL stream whose `prop` ("type" or "name") is `value`; raises LookupError if none."""
    found = pylsl.resolve_byprop(prop, value, timeout=timeout)
    if not found:
        raise LookupError("no LSL stream with %s %r within %.0f s" % (prop, value, timeout))
    return found[0]


class SensorBridge:
    """Pulls chunks from LSL inlets and publishes them as cmcd frames for one subject.

    `imu` and `skeleton` are `pylsl.StreamInfo`s (from `resolve`). A skeleton stream's channels are
    joint-major coordinates (x, y, z of joint 0, then joint 1, …), as on cmcd's wire.
    """

    def __init__(self, publisher, subject, imu=None, skeleton=None, imu_units=None, skeleton_unit=METRES,
                 coordinates=3, max_chunk=64):
        self.publisher = publisher
        self.subject = subject
        self.coordinates = coordinates
        self.max_chunk = max_chunk
        self.sent = {"imu": 0, "skeleton": 0}
        self._inlets = []
        flags = pylsl.proc_clocksync | pylsl.proc_dejitter | pylsl.proc_monotonize
        if imu is not None:
            units = list(imu_units or DEFAULT_IMU_UNITS)
            if len(units) != imu.channel_count():
                raise ValueError("%d IMU unit codes for %d LSL channels" % (len(units), imu.channel_count()))
            self._inlets.append(("imu", pylsl.StreamInlet(imu, processing_flags=flags), units))
        if skeleton is not None:
            if skeleton.channel_count() % coordinates:
                raise ValueError("skeleton stream has %d channels, not a multiple of %d coordinates"
                                 % (skeleton.channel_count(), coordinates))
            self._inlets.append(("skeleton", pylsl.StreamInlet(skeleton, processing_flags=flags), [skeleton_unit] * coordinates))

    def open(self, timeout=5.0):
        for _, inlet, _ in self._inlets:
            inlet.open_stream(timeout=timeout)

    def pump(self, timeout=0.1):
        """Forwards what the inlets hold now (waiting up to `timeout` for the first); returns frames sent."""
        frames = 0
        for kind, inlet, units in self._inlets:
            samples, stamps = inlet.pull_chunk(timeout=timeout, max_samples=self.max_chunk)
            if not samples:
                continue
            times = [int(round(t * 1e9)) for t in stamps]
            # cmcd wants strictly increasing times within a frame: drop a repeated stamp (LSL can repeat
            # one after a reconnect) rather than the whole chunk.
            keep = [0] + [k for k in range(1, len(times)) if times[k] > times[k - 1]]
            samples = [list(samples[k]) for k in keep]
            times = [times[k] for k in keep]
            if kind == "imu":
                self.publisher.send_imu(self.subject, samples, units, timestamps_ns=times)
            else:
                self.publisher.send_skeleton(self.subject, samples, units, timestamps_ns=times, coordinates=self.coordinates)
            self.sent[kind] += len(samples)
            frames += 1
        return frames


class MarkerOutlet:
    """cmcd's events as LSL string markers: one outlet for window labels (`cmc-labels`) and one for
    action events (`cmc-actions`), type "Markers". Each sample is the label; actions are pushed when
    cmcd publishes them, stamped at their end."""

    def __init__(self, subscriber, source_id="cmcd"):
        self.subscriber = subscriber
        self.pushed = {"label": 0, "action": 0}

        def outlet(name):
            info = pylsl.StreamInfo(name, "Markers", 1, pylsl.IRREGULAR_RATE, pylsl.cf_string, "%s-%s" % (source_id, name))
            return pylsl.StreamOutlet(info)

        self.labels = outlet("cmc-labels")
        self.actions = outlet("cmc-actions")

    def pump(self, timeout=0.1):
        """Pushes every event received within `timeout` (then what else is queued); returns how many."""
        n = 0
        event = self.subscriber.receive(timeout)
        while event is not None:
            if isinstance(event, ActionEvent):
                self.actions.push_sample([event.label], event.end_sensor_ns * 1e-9)
                self.pushed["action"] += 1
            else:
                stamp = event.label_time_sensor_ns
                self.labels.push_sample([event.label], stamp * 1e-9 if stamp is not None else pylsl.local_clock())
                self.pushed["label"] += 1
            n += 1
            event = self.subscriber.receive(0)
        return n


def main(argv=None):
    ap = argparse.ArgumentParser(description="Bridge LSL sensor streams to cmcd and cmcd's labels back to LSL markers.")
    ap.add_argument("--subject", type=int, required=True, help="subject id the frames carry")
    ap.add_argument("--imu-type", help="LSL type of the IMU stream (e.g. IMU)")
    ap.add_argument("--imu-name", help="LSL name of the IMU stream (instead of --imu-type)")
    ap.add_argument("--skeleton-type", help="LSL type of the skeleton stream (e.g. Mocap)")
    ap.add_argument("--skeleton-name", help="LSL name of the skeleton stream")
    ap.add_argument("--imu-units", default="2,2,2,4,4,4", help="unit code per IMU channel (docs/protocol.md §4; default g and deg/s)")
    ap.add_argument("--skeleton-unit", type=int, default=METRES, help="unit code of the skeleton coordinates (default 6, metres)")
    ap.add_argument("--imu", default="tcp://127.0.0.1:5555", help="cmcd's IMU endpoint")
    ap.add_argument("--skeleton", default="tcp://127.0.0.1:5556", help="cmcd's skeleton endpoint")
    ap.add_argument("--labels", default="tcp://127.0.0.1:5557", help="cmcd's label endpoint ('' for no markers)")
    ap.add_argument("--seconds", type=float, default=0, help="stop after this long (0: until interrupted)")
    args = ap.parse_args(argv)

    imu = skeleton = None
    if args.imu_type or args.imu_name:
        imu = resolve("name" if args.imu_name else "type", args.imu_name or args.imu_type)
    if args.skeleton_type or args.skeleton_name:
        skeleton = resolve("name" if args.skeleton_name else "type", args.skeleton_name or args.skeleton_type)
    if imu is None and skeleton is None:
        ap.error("give --imu-type/--imu-name and/or --skeleton-type/--skeleton-name")
    publisher = Publisher(imu=args.imu if imu else None, skeleton=args.skeleton if skeleton else None)
    bridge = SensorBridge(publisher, args.subject, imu=imu, skeleton=skeleton,
                          imu_units=[int(u) for u in args.imu_units.split(",")], skeleton_unit=args.skeleton_unit)
    bridge.open()
    markers = MarkerOutlet(Subscriber(args.labels, subjects=[args.subject])) if args.labels else None
    deadline = time.monotonic() + args.seconds if args.seconds > 0 else None
    try:
        while deadline is None or time.monotonic() < deadline:
            bridge.pump(timeout=0.05)
            if markers:
                markers.pump(timeout=0)
    except KeyboardInterrupt:
        pass
    print("sent %d IMU samples, %d skeleton frames%s" % (
        bridge.sent["imu"], bridge.sent["skeleton"],
        ", pushed %d labels and %d actions as markers" % (markers.pushed["label"], markers.pushed["action"]) if markers else ""),
        file=sys.stderr)
    publisher.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
