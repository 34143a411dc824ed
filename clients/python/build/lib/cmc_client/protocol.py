"""cmc wire protocol v1, revision 2, in plain Python (see docs/protocol.md): frame encoder/decoder,
topics, event decoding.

Written from docs/protocol.md alone, as an independent client would be; used by the client classes of
this package, by tools/zmq_publisher.py and tools/zmq_subscriber.py, and by the Swift interoperability
tests.
"""
import math
import struct

MAGIC = b"CMCF"
VERSION = 1
TYPE_IMU = 1
TYPE_SKELETON = 2
FLAG_EXPLICIT_TIMESTAMPS = 0x01
HEADER = struct.Struct("<4sBBBBIHHHHIQq")  # 40 bytes, little-endian
assert HEADER.size == 40

UNITS = {0: "unspecified", 1: "m/s^2", 2: "g", 3: "rad/s", 4: "deg/s", 5: "uT", 6: "m", 7: "mm", 8: "px"}


def frame_topic(msg_type, subject):
    return ("imu/%d/" if msg_type == TYPE_IMU else "skel/%d/") % subject


def label_topic(subject=None):
    return "label/" if subject is None else "label/%d/" % subject


def action_topic(subject=None):
    return "action/" if subject is None else "action/%d/" % subject


# Keys every event carries (docs/protocol.md §5); later protocol revisions only add keys.
LABEL_KEYS = {"v", "subject", "seq", "clock", "window_start_ns", "window_end_ns", "label", "label_index", "confidence",
              "top_k", "modalities", "fallback", "raw", "inference_ms", "end_to_end_ms", "published_unix_ns"}
ACTION_KEYS = {"v", "subject", "action", "clock", "start_ns", "end_ns", "start_sensor_ns", "end_sensor_ns", "label",
               "label_index", "confidence", "top_k", "modalities", "fallback", "truncated", "inference_ms",
               "end_to_end_ms", "published_unix_ns"}


def decode_event(topic, payload):
    """A label or action event from its [topic, payload]: the JSON object with "kind" ("label" or "action")
    added; ProtocolError if the topic, version or keys are not as docs/protocol.md says."""
    import json
    topic = topic.decode("utf-8") if isinstance(topic, bytes) else topic
    kind = "action" if topic.startswith(action_topic()) else "label"
    event = json.loads(payload)
    if event.get("v") != 1:
        raise ProtocolError("v", "unsupported %s event version %r" % (kind, event.get("v")))
    missing = (ACTION_KEYS if kind == "action" else LABEL_KEYS) - set(event)
    if missing:
        raise ProtocolError(sorted(missing)[0], "missing from the %s event" % kind)
    expected = (action_topic if kind == "action" else label_topic)(event["subject"])
    if topic != expected:
        raise ProtocolError("topic", "%s, payload says %s" % (topic, expected))
    if kind == "label" and event["label_index"] < -2:
        raise ProtocolError("label_index", "%r is below -2" % event["label_index"])
    event["kind"] = kind
    return event


def check_golden(path):
    """Decodes every message of a golden-event file ({"topic", "payload"} list): the Swift tests decode the same."""
    import json
    with open(path) as f:
        messages = json.load(f)
    for m in messages:
        event = decode_event(m["topic"], json.dumps(m["payload"]))
        if event["kind"] != m["kind"]:
            raise ProtocolError("kind", "%s decoded as %s" % (m["kind"], event["kind"]))
    return len(messages)



def encode_frame(msg_type, subject, sequence, channels, joints, samples, units, t0_ns,
                 period_ns=None, timestamps_ns=None, source=0):
    """samples: list of per-sample value lists (IMU: C floats; skeleton: J*C floats, joint-major)."""
    n = len(samples)
    explicit = timestamps_ns is not None
    header = HEADER.pack(MAGIC, VERSION, msg_type, FLAG_EXPLICIT_TIMESTAMPS if explicit else 0, 0,
                         subject, source, channels, joints, n, 0 if explicit else period_ns, sequence,
                         timestamps_ns[0] if explicit else t0_ns)
    body = bytes(units)
    if explicit:
        body += struct.pack("<%dq" % n, *timestamps_ns)
    flat = [v for s in samples for v in s]
    body += struct.pack("<%df" % len(flat), *flat)
    return header + body


class ProtocolError(ValueError):
    def __init__(self, field, why):
        super().__init__("%s: %s" % (field, why))
        self.field = field


def decode_frame(payload):
    """Decodes and validates one frame payload; raises ProtocolError naming the field."""
    if len(payload) < HEADER.size:
        raise ProtocolError("header", "truncated")
    (magic, version, msg_type, flags, reserved, subject, source, channels, joints, n, period,
     sequence, t0) = HEADER.unpack_from(payload, 0)
    if magic != MAGIC:
        raise ProtocolError("header.magic", "bad magic")
    if version != VERSION:
        raise ProtocolError("header.version", "unsupported version %d" % version)
    if msg_type not in (TYPE_IMU, TYPE_SKELETON):
        raise ProtocolError("header.type", "unknown type %d" % msg_type)
    if flags & ~FLAG_EXPLICIT_TIMESTAMPS or reserved:
        raise ProtocolError("header.flags", "reserved bits set")
    if not 1 <= channels <= 64:
        raise ProtocolError("header.channels", "out of range")
    if (msg_type == TYPE_IMU and joints != 0) or (msg_type == TYPE_SKELETON and not 1 <= joints <= 128):
        raise ProtocolError("header.joints", "out of range")
    if not 1 <= n <= 4096:
        raise ProtocolError("header.samples", "out of range")
    explicit = bool(flags & FLAG_EXPLICIT_TIMESTAMPS)
    if explicit != (period == 0):
        raise ProtocolError("header.period_ns", "must be 0 iff timestamps are explicit")
    offset = HEADER.size
    stride = channels if msg_type == TYPE_IMU else channels * joints
    expected = offset + channels + (8 * n if explicit else 0) + 4 * n * stride
    if len(payload) != expected:
        raise ProtocolError("payload", "length %d, expected %d" % (len(payload), expected))
    units = list(payload[offset:offset + channels])
    if any(u not in UNITS for u in units):
        raise ProtocolError("units", "unknown unit code")
    offset += channels
    if explicit:
        times = list(struct.unpack_from("<%dq" % n, payload, offset))
        offset += 8 * n
        if times[0] != t0 or any(b <= a for a, b in zip(times, times[1:])):
            raise ProtocolError("timestamps", "must start at t0 and strictly increase")
    else:
        times = [t0 + k * period for k in range(n)]
    values = struct.unpack_from("<%df" % (n * stride), payload, offset)
    if any(not math.isfinite(v) for v in values):
        raise ProtocolError("data", "NaN or infinite value")
    return {
        "type": "imu" if msg_type == TYPE_IMU else "skeleton", "subject": subject, "source": source,
        "sequence": sequence, "channels": channels, "joints": joints, "samples": n, "units": units,
        "timestamps_ns": times, "values": [list(values[k * stride:(k + 1) * stride]) for k in range(n)],
    }
