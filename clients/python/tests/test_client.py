"""Offline tests of the cmc Python client: frames, events (the golden events the Swift tests use too),
recordings. `python3 -m unittest discover -s clients/python/tests`"""
import json
import os
import struct
import sys
import tempfile
import unittest
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))
GOLDEN = os.path.join(HERE, "..", "..", "..", "Tests", "Golden", "events.json")

from cmc_client import ActionEvent, LabelEvent, ProtocolError, decode, decode_frame, encode_frame, read_recording  # noqa: E402
from cmc_client import protocol  # noqa: E402


class FrameTests(unittest.TestCase):
    def test_round_trip_with_period_and_explicit_times(self):
        samples = [[0.5, -1.0, 9.75], [0.25, 2.0, -3.5]]
        payload = encode_frame(protocol.TYPE_IMU, 7, 3, 3, 0, samples, [1, 1, 1], 1000, period_ns=20)
        f = decode_frame(payload)
        self.assertEqual((f["subject"], f["sequence"], f["timestamps_ns"], f["values"]), (7, 3, [1000, 1020], samples))
        payload = encode_frame(protocol.TYPE_IMU, 7, 4, 3, 0, samples, [1, 1, 1], None, timestamps_ns=[5, 9])
        self.assertEqual(decode_frame(payload)["timestamps_ns"], [5, 9])

    def test_malformed_frames_name_the_field(self):
        payload = encode_frame(protocol.TYPE_IMU, 1, 0, 3, 0, [[1, 2, 3]], [1, 1, 1], 0, period_ns=20)
        with self.assertRaises(ProtocolError):
            decode_frame(payload[:-1])
        with self.assertRaises(ProtocolError):
            decode_frame(b"XXXX" + payload[4:])


class EventTests(unittest.TestCase):
    def test_golden_events_decode_to_typed_objects(self):
        with open(GOLDEN) as f:
            messages = json.load(f)
        decoded = [decode(m["topic"].encode(), json.dumps(m["payload"]).encode()) for m in messages]
        self.assertEqual([type(e).__name__ for e in decoded], ["LabelEvent", "LabelEvent", "LabelEvent", "ActionEvent"])
        wave, idle, unknown, action = decoded
        self.assertEqual((wave.label, wave.action, wave.top_k[0].label), ("wave", 12, "wave"))
        self.assertTrue(idle.is_idle)
        self.assertTrue(unknown.is_unknown)
        self.assertEqual(idle.label_time_ns, 125_750_000_000)
        self.assertIsInstance(action, ActionEvent)
        self.assertAlmostEqual(action.seconds, 3.1)
        self.assertTrue(action.model.startswith("utd-mhad-cmkm.safetensors@fnv1a64:"))

    def test_events_that_break_the_protocol_are_refused(self):
        with open(GOLDEN) as f:
            payload = json.load(f)[0]["payload"]
        with self.assertRaises(ProtocolError):
            decode(b"label/8/", json.dumps(payload).encode())  # topic of another subject
        with self.assertRaises(ProtocolError):
            decode(b"label/7/", json.dumps(dict(payload, v=2)).encode())
        extra = decode(b"label/7/", json.dumps(dict(payload, future_key=1)).encode())
        self.assertIsInstance(extra, LabelEvent)  # unknown keys are ignored


class RecordingTests(unittest.TestCase):
    def test_records_are_read_until_a_damaged_one(self):
        def record(channel, parts):
            body = struct.pack("<qqBBH", 10, 20, channel, 0, len(parts))
            for p in parts:
                body += struct.pack("<I", len(p)) + p
            length = struct.pack("<I", len(body))
            return length + struct.pack("<I", zlib.crc32(length + body) & 0xFFFFFFFF) + body

        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "r.cmcrec")
            with open(path, "wb") as f:
                f.write(b"CMCREC1\n" + struct.pack("<II", 1, 0))
                f.write(record(1, [b"imu/1/", b"frame"]) + record(3, [b"label/1/", b"{}"]))
                f.write(record(2, [b"skel/1/", b"x"])[:-1])  # torn tail
            got = list(read_recording(path))
        self.assertEqual([(c, p) for _, _, c, p in got], [("imu", [b"imu/1/", b"frame"]), ("labels", [b"label/1/", b"{}"])])


if __name__ == "__main__":
    unittest.main()


class SkeletonTests(unittest.TestCase):
    """The Python mirror of SkeletonLayout (the Swift tests check the same rules on the same pose)."""

    def test_retargeting_matches_the_documented_rules(self):
        from cmc_client.skeletons import LAYOUTS, layout_for_joint_count, retarget_to_kinect_v1
        self.assertEqual({n: LAYOUTS[n][0] for n in LAYOUTS}, {"kinect-v1": 20, "azure-kinect": 32, "mediapipe-pose": 33, "openni": 15})
        self.assertEqual(layout_for_joint_count(33), "mediapipe-pose")
        openni = [float(v) for j in range(15) for v in (j, 10 + j, 100 + 2 * j)]
        v1 = retarget_to_kinect_v1("openni", openni)
        self.assertEqual(len(v1), 60)
        self.assertEqual(v1[0:3], openni[0:3])                                   # head
        self.assertEqual(v1[9:12], [(openni[27 + c] + openni[30 + c]) / 2 for c in range(3)])  # hip centre
        self.assertAlmostEqual(v1[18], openni[12] + 0.85 * (openni[18] - openni[12]))      # l_wrist along the forearm
        azure = [float(v) for j in range(32) for v in (j, 1, 2)]
        self.assertEqual(retarget_to_kinect_v1("azure-kinect", azure)[0:3], [-26.0, -1.0, 2.0])  # head, x and y turned
        with self.assertRaises(ValueError):
            retarget_to_kinect_v1("openni", openni[:-3])


class UDPIMUTests(unittest.TestCase):
    """The phone bridge's parsing (the live part runs in the Swift suite against cmcd)."""

    def test_columns_units_and_flips(self):
        from cmc_client.udp_imu import LineParser
        p = LineParser("t,gx,gy,gz,ax,ay,az,mag", time_unit="ms", flip={"ax"})
        self.assertEqual(p.parse("1000.5,0.1,0.2,0.3,9.8,0,1,42"), (1_000_500_000, [-9.8, 0.0, 1.0, 0.1, 0.2, 0.3]))
        self.assertIsNone(p.parse("time,gx,gy,gz,ax,ay,az,mag"))
        self.assertIsNone(p.parse("1,2,3"))
        with self.assertRaises(ValueError):
            LineParser("t,ax,ay")


class GoldenFrameTests(unittest.TestCase):
    """Tests/Golden/frames.json: the frames the Swift tests decode and re-encode too (the first is
    docs/protocol.md §3.3)."""

    def test_golden_frames_decode_to_their_fields_and_reencode_to_the_same_bytes(self):
        with open(os.path.join(HERE, "..", "..", "..", "Tests", "Golden", "frames.json")) as f:
            golden = json.load(f)
        for g in golden:
            payload = bytes.fromhex(g["hex"])
            frame = decode_frame(payload)
            want = g["fields"]
            kind = protocol.TYPE_IMU if want["type"] == "imu" else protocol.TYPE_SKELETON
            self.assertEqual(protocol.frame_topic(kind, want["subject"]), g["topic"])
            for key in ("subject", "sequence", "channels", "joints", "units", "timestamps_ns", "values"):
                self.assertEqual(frame[key], want[key], "%s: %s" % (g["name"], key))
            explicit = bool(payload[6] & 1)  # header flags: explicit timestamps
            times = want["timestamps_ns"]
            again = encode_frame(kind, want["subject"], want["sequence"], want["channels"], want["joints"], want["values"], want["units"],
                                 times[0], period_ns=None if explicit else times[1] - times[0],
                                 timestamps_ns=times if explicit else None)
            self.assertEqual(again, payload, g["name"])
