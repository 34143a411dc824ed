"""The LSL bridge against real LSL streams in this process (skipped without pylsl or pyzmq):
sensor samples on an LSL outlet reach a ZeroMQ subscriber as valid cmcd frames with their LSL times;
cmcd's golden events come out of the marker outlets. `python3 -m unittest discover -s clients/python/tests`"""
import json
import os
import socket
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))
GOLDEN = os.path.join(HERE, "..", "..", "..", "Tests", "Golden", "events.json")

try:
    import pylsl
    import zmq
except ImportError as e:  # pragma: no cover - depends on the machine
    pylsl = None
    MISSING = str(e)

from cmc_client import decode_frame  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@unittest.skipIf(pylsl is None, "pylsl or pyzmq not installed (pip install pylsl pyzmq)")
class LSLBridgeTests(unittest.TestCase):
    def test_lsl_samples_become_cmcd_frames_with_their_lsl_times(self):
        from cmc_client import Publisher
        from cmc_client.lsl import SensorBridge, resolve
        ctx = zmq.Context()
        port = free_port()
        name = "cmc-test-imu-%d" % os.getpid()
        outlet = pylsl.StreamOutlet(pylsl.StreamInfo(name, "IMU", 6, 50, pylsl.cf_float32, name))
        # The bridge's publisher binds here (as a sensor gateway may); the subscriber plays cmcd.
        bridge = SensorBridge(Publisher(imu="tcp://127.0.0.1:%d" % port, bind=True, context=ctx), subject=7,
                              imu=resolve("name", name))
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.SUBSCRIBE, b"imu/")
        sub.connect("tcp://127.0.0.1:%d" % port)
        bridge.open()
        time.sleep(0.3)  # the PUB/SUB connection and the inlet's first handshake
        t0 = pylsl.local_clock()
        for k in range(20):
            outlet.push_sample([0.0, 0.0, 1.0, float(k), 0.0, 0.0], t0 + k * 0.02)
        frames, deadline = [], time.monotonic() + 5
        while sum(len(f["values"]) for f in frames) < 20 and time.monotonic() < deadline:
            bridge.pump(timeout=0.1)
            while sub.poll(50):
                topic, payload = sub.recv_multipart()
                self.assertEqual(topic, b"imu/7/")
                frames.append(decode_frame(payload))
        values = [v for f in frames for v in f["values"]]
        times = [t for f in frames for t in f["timestamps_ns"]]
        self.assertEqual([v[3] for v in values], [float(k) for k in range(20)], "every sample, in order")
        self.assertEqual(frames[0]["units"], [2, 2, 2, 4, 4, 4])
        self.assertTrue(all(b > a for a, b in zip(times, times[1:])))
        # Stamped on this host's LSL clock, 20 ms apart (de-jittered), where the samples were pushed.
        self.assertAlmostEqual(times[0] * 1e-9, t0, delta=0.05)
        self.assertAlmostEqual((times[-1] - times[0]) * 1e-9, 19 * 0.02, delta=0.01)
        self.assertEqual([f["sequence"] for f in frames], list(range(len(frames))))
        bridge.publisher.close()
        sub.close()
        ctx.term()

    def test_cmcd_events_become_lsl_markers(self):
        from cmc_client import Subscriber
        from cmc_client.lsl import MarkerOutlet, resolve
        ctx = zmq.Context()
        pub = ctx.socket(zmq.PUB)
        port = pub.bind_to_random_port("tcp://127.0.0.1")
        markers = MarkerOutlet(Subscriber("tcp://127.0.0.1:%d" % port, context=ctx), source_id="test-%d" % os.getpid())
        labels = pylsl.StreamInlet(resolve("source_id", "test-%d-cmc-labels" % os.getpid()))
        actions = pylsl.StreamInlet(resolve("source_id", "test-%d-cmc-actions" % os.getpid()))
        labels.open_stream(timeout=5)
        actions.open_stream(timeout=5)
        time.sleep(0.3)
        with open(GOLDEN) as f:
            golden = json.load(f)
        for m in golden:
            pub.send_multipart([m["topic"].encode(), json.dumps(m["payload"]).encode()])
        deadline = time.monotonic() + 5
        while sum(markers.pushed.values()) < len(golden) and time.monotonic() < deadline:
            markers.pump(timeout=0.1)
        got = {"label": [], "action": []}
        for kind, inlet in (("label", labels), ("action", actions)):
            deadline = time.monotonic() + 3
            while len(got[kind]) < markers.pushed[kind] and time.monotonic() < deadline:
                sample, stamp = inlet.pull_sample(timeout=0.2)
                if sample:
                    got[kind].append((sample[0], stamp))
        expect = {"label": [m["payload"]["label"] for m in golden if m["topic"].startswith("label/")],
                  "action": [m["payload"]["label"] for m in golden if m["topic"].startswith("action/")]}
        self.assertEqual([g[0] for g in got["label"]], expect["label"])
        self.assertEqual([g[0] for g in got["action"]], expect["action"])
        # An action marker is stamped at the action's end on the sender's clock.
        end = [m["payload"]["end_sensor_ns"] for m in golden if m["topic"].startswith("action/")][0]
        self.assertAlmostEqual(got["action"][0][1], end * 1e-9, delta=1e-3)
        markers.subscriber.close()
        pub.close()
        ctx.term()


if __name__ == "__main__":
    unittest.main()
