"""A phone or watch as cmcd's wrist IMU: UDP lines of comma-separated values in, cmcd frames out.

Apps that stream a phone's sensors over UDP (HyperIMU on Android, SensorLog and similar on iOS) send one
line per sample: a timestamp and accelerometer and gyroscope values. Tell the bridge which column is
which and in which unit, and it publishes frames of `--chunk` samples with the phone's own timestamps
(cmcd aligns the phone's clock to its own):

    python3 -m cmc_client.udp_imu --listen 0.0.0.0:5005 --subject 7 \\
        --columns t,ax,ay,az,gx,gy,gz --time-unit ms --acc-unit m/s2 --gyro-unit rad/s

What to check before trusting the labels (the default model was trained on a right-wrist IMU, UTD-MHAD's
InvenSense MPU-9150): units (phones report m/s² and rad/s — codes 1 and 3, cmcd converts); rate
(50 Hz is what the model saw; set the app to 50 Hz or more, cmcd resamples); the axes — with the watch
on the right wrist, UTD-MHAD's accelerometer reads about +1 g on x when the arm hangs down at rest; if
yours reads it on another axis or negative, remap with `--columns` (e.g. `t,ay,ax,az,…` swaps x and y)
and `--flip ax,gx` (negates those channels).
"""
import argparse
import socket
import sys
import time

ACC_UNITS = {"m/s2": 1, "g": 2}
GYRO_UNITS = {"rad/s": 3, "deg/s": 4}
TIME_SCALE = {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0}
CHANNELS = ["ax", "ay", "az", "gx", "gy", "gz"]


class LineParser:
    """Turns one text line into (timestamp ns, [ax, ay, az, gx, gy, gz]) by a column map; None if the line
    does not parse (a header, a partial packet)."""

    def __init__(self, columns, time_unit="ms", flip=()):
        names = [c.strip() for c in columns.split(",")]
        missing = [c for c in ["t"] + CHANNELS if c not in names]
        if missing:
            raise ValueError("--columns lacks %s" % ", ".join(missing))
        self.index = {c: names.index(c) for c in ["t"] + CHANNELS}
        self.width = len(names)
        self.scale = TIME_SCALE[time_unit]
        self.signs = [(-1.0 if c in flip else 1.0) for c in CHANNELS]

    def parse(self, line):
        fields = line.strip().split(",")
        if len(fields) < self.width:
            return None
        try:
            t = int(round(float(fields[self.index["t"]]) * self.scale))
            values = [float(fields[self.index[c]]) * s for c, s in zip(CHANNELS, self.signs)]
        except ValueError:
            return None
        return t, values


class UDPBridge:
    """Receives lines on a UDP socket and publishes them as IMU frames of `chunk` samples."""

    def __init__(self, publisher, subject, parser, units, listen=("0.0.0.0", 5005), chunk=5):
        self.publisher, self.subject, self.parser, self.units, self.chunk = publisher, subject, parser, units, chunk
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(listen)
        self.address = self.socket.getsockname()
        self.pending = []
        self.sent = 0
        self.skipped = 0

    def pump(self, timeout=0.1):
        """Reads what arrives within `timeout`; publishes every full chunk; returns frames sent."""
        self.socket.settimeout(timeout)
        frames = 0
        try:
            while True:
                data, _ = self.socket.recvfrom(65536)
                for line in data.decode("utf-8", "replace").splitlines():
                    parsed = self.parser.parse(line)
                    if parsed is None or (self.pending and parsed[0] <= self.pending[-1][0]):
                        self.skipped += 1  # unparsable, repeated or out-of-order sample
                        continue
                    self.pending.append(parsed)
                    if len(self.pending) == self.chunk:
                        frames += self.flush()
                self.socket.settimeout(0)
        except (socket.timeout, BlockingIOError):
            pass
        return frames

    def flush(self):
        if not self.pending:
            return 0
        self.publisher.send_imu(self.subject, [v for _, v in self.pending], self.units, timestamps_ns=[t for t, _ in self.pending])
        self.sent += len(self.pending)
        self.pending = []
        return 1

    def close(self):
        self.socket.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description="Stream a phone's or watch's IMU (UDP CSV lines) to cmcd.")
    ap.add_argument("--listen", default="0.0.0.0:5005", help="UDP HOST:PORT the app sends to")
    ap.add_argument("--subject", type=int, required=True)
    ap.add_argument("--columns", default="t,ax,ay,az,gx,gy,gz", help="what each CSV column is (t, ax…gz; others: any name)")
    ap.add_argument("--time-unit", choices=sorted(TIME_SCALE), default="ms")
    ap.add_argument("--acc-unit", choices=sorted(ACC_UNITS), default="m/s2")
    ap.add_argument("--gyro-unit", choices=sorted(GYRO_UNITS), default="rad/s")
    ap.add_argument("--flip", default="", help="channels to negate, e.g. ax,gx")
    ap.add_argument("--chunk", type=int, default=5, help="samples per frame")
    ap.add_argument("--imu", default="tcp://127.0.0.1:5555", help="cmcd's IMU endpoint")
    ap.add_argument("--seconds", type=float, default=0, help="stop after this long (0: until interrupted)")
    args = ap.parse_args(argv)
    from .client import Publisher  # pyzmq; the parser and bridge above need only the standard library
    host, port = args.listen.rsplit(":", 1)
    parser = LineParser(args.columns, args.time_unit, flip=set(f for f in args.flip.split(",") if f))
    units = [ACC_UNITS[args.acc_unit]] * 3 + [GYRO_UNITS[args.gyro_unit]] * 3
    publisher = Publisher(imu=args.imu)
    bridge = UDPBridge(publisher, args.subject, parser, units, listen=(host, int(port)), chunk=args.chunk)
    print("listening on udp://%s:%d for subject %d" % (bridge.address[0], bridge.address[1], args.subject), file=sys.stderr)
    deadline = time.monotonic() + args.seconds if args.seconds > 0 else None
    try:
        while deadline is None or time.monotonic() < deadline:
            bridge.pump(timeout=0.1)
    except KeyboardInterrupt:
        pass
    bridge.flush()
    print("sent %d samples (%d lines skipped)" % (bridge.sent, bridge.skipped), file=sys.stderr)
    bridge.close()
    publisher.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
