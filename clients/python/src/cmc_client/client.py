"""Publishing sensor frames to cmcd and subscribing to its events."""
import time

import zmq

from . import curve, events, protocol


class Publisher:
    """Sends IMU and skeleton frames for any number of subjects (docs/protocol.md §3).

    Sequence numbers are kept per (subject, stream); timestamps are the sensor's own nanoseconds (any
    epoch: cmcd aligns each stream's clock). `units` are protocol unit codes per channel (IMU) or per
    coordinate (skeleton), e.g. ``[2, 2, 2, 4, 4, 4]`` for g and °/s — see `cmc-train model-info`.

        pub = Publisher(imu="tcp://127.0.0.1:5555", skeleton="tcp://127.0.0.1:5556")
        pub.send_imu(subject=7, samples=[[0.0, 0.0, 1.0, 0.0, 0.0, 0.0]] * 5, t0_ns=t0, period_ns=20_000_000,
                     units=[2, 2, 2, 4, 4, 4])
    """

    def __init__(self, imu=None, skeleton=None, bind=False, curve_server_key=None, curve_secret_key=None, context=None):
        self._context = context or zmq.Context.instance()
        self._sockets = {}
        self._sequence = {}
        for kind, endpoint in ((protocol.TYPE_IMU, imu), (protocol.TYPE_SKELETON, skeleton)):
            if endpoint is None:
                continue
            s = self._context.socket(zmq.PUB)
            s.setsockopt(zmq.LINGER, 1000)
            s.setsockopt(zmq.SNDHWM, 100_000)
            if curve_server_key or curve_secret_key:
                curve.configure(s, curve_server_key, curve_secret_key)
            (s.bind if bind else s.connect)(endpoint)
            self._sockets[kind] = s

    def _send(self, kind, subject, channels, joints, samples, units, t0_ns, period_ns, timestamps_ns):
        if kind not in self._sockets:
            raise ValueError("no endpoint for %s frames" % ("IMU" if kind == protocol.TYPE_IMU else "skeleton"))
        key = (subject, kind)
        sequence = self._sequence.get(key, 0)
        self._sequence[key] = sequence + 1
        payload = protocol.encode_frame(kind, subject, sequence, channels, joints, samples, units, t0_ns,
                                        period_ns=period_ns, timestamps_ns=timestamps_ns)
        self._sockets[kind].send_multipart([protocol.frame_topic(kind, subject).encode(), payload])

    def send_imu(self, subject, samples, units, t0_ns=None, period_ns=None, timestamps_ns=None):
        """One IMU frame: `samples` is a list of per-sample channel lists, taken at t0 + k·period or at
        `timestamps_ns`."""
        channels = len(samples[0])
        self._send(protocol.TYPE_IMU, subject, channels, 0, samples, units, t0_ns, period_ns, timestamps_ns)

    def send_skeleton(self, subject, frames, units, t0_ns=None, period_ns=None, timestamps_ns=None, coordinates=3):
        """One skeleton frame message: `frames` is a list of joint-major coordinate lists
        (x, y, z of joint 0, then joint 1, …)."""
        joints = len(frames[0]) // coordinates
        self._send(protocol.TYPE_SKELETON, subject, coordinates, joints, frames, units, t0_ns, period_ns, timestamps_ns)

    def close(self):
        for s in self._sockets.values():
            s.close()
        self._sockets = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Subscriber:
    """Receives cmcd's window labels and action events as `LabelEvent` / `ActionEvent` objects.

        with Subscriber("tcp://127.0.0.1:5557", subjects=[7]) as sub:
            for event in sub.events(timeout=10):
                print(event.subject, event.label)
    """

    def __init__(self, endpoint, subjects=None, labels=True, actions=True, bind=False,
                 curve_server_key=None, curve_secret_key=None, context=None):
        self._context = context or zmq.Context.instance()
        s = self._context.socket(zmq.SUB)
        s.setsockopt(zmq.LINGER, 0)
        if curve_server_key or curve_secret_key:
            curve.configure(s, curve_server_key, curve_secret_key)
        for subject in (subjects if subjects is not None else [None]):
            if labels:
                s.setsockopt(zmq.SUBSCRIBE, protocol.label_topic(subject).encode())
            if actions:
                s.setsockopt(zmq.SUBSCRIBE, protocol.action_topic(subject).encode())
        (s.bind if bind else s.connect)(endpoint)
        self._socket = s
        self.rejected = 0

    def receive(self, timeout=None):
        """The next event, or None after `timeout` seconds. Messages that break the protocol are counted
        in `rejected` and skipped."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = None if deadline is None else max(0, int((deadline - time.monotonic()) * 1000))
            if not self._socket.poll(wait):
                return None
            parts = self._socket.recv_multipart()
            if len(parts) == 2:
                try:
                    return events.decode(parts[0], parts[1])
                except (ValueError, KeyError, TypeError):
                    pass
            self.rejected += 1

    def events(self, timeout=None, count=None):
        """Yields events until `timeout` seconds pass without one, or `count` were yielded."""
        n = 0
        while count is None or n < count:
            event = self.receive(timeout)
            if event is None:
                return
            n += 1
            yield event

    def close(self):
        self._socket.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
