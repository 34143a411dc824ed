"""Reading `.cmcrec` recordings (docs/protocol.md §7) and replaying their frames through a Publisher."""
import struct
import time
import zlib

from . import protocol

MAGIC = b"CMCREC1\n"
CHANNELS = {0: "other", 1: "imu", 2: "skeleton", 3: "labels"}


def read(path):
    """Yields (arrival_monotonic_ns, arrival_unix_ns, channel, parts) for every intact record, stopping at the
    first damaged one (as cmc's reader does)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != MAGIC or len(data) < 16:
        raise protocol.ProtocolError("magic", "%s is not a cmc recording" % path)
    (version,) = struct.unpack_from("<I", data, 8)
    if version != 1:
        raise protocol.ProtocolError("version", "recording version %d" % version)
    offset = 16
    while offset + 8 <= len(data):
        length, crc = struct.unpack_from("<II", data, offset)
        if length > 64 << 20 or offset + 8 + length > len(data):
            return
        payload = data[offset + 8:offset + 8 + length]
        if zlib.crc32(data[offset:offset + 4] + payload) & 0xFFFFFFFF != crc:
            return
        mono, unix, channel, _, count = struct.unpack_from("<qqBBH", payload, 0)
        pos, parts = 20, []
        for _ in range(count):
            (size,) = struct.unpack_from("<I", payload, pos)
            parts.append(payload[pos + 4:pos + 4 + size])
            pos += 4 + size
        yield mono, unix, CHANNELS.get(channel, "other"), parts
        offset += 8 + length


def replay(path, publisher, speed=1.0):
    """Republishes a recording's IMU and skeleton frames with their recorded spacing (÷ speed; 0 = as fast as
    possible). Returns how many frames were sent."""
    sent, origin = 0, None
    for mono, _, channel, parts in read(path):
        if channel not in ("imu", "skeleton") or len(parts) != 2:
            continue
        if speed > 0:
            if origin is None:
                origin = (mono, time.monotonic_ns())
            due = origin[1] + (mono - origin[0]) / speed
            delay = (due - time.monotonic_ns()) / 1e9
            if delay > 0:
                time.sleep(delay)
        kind = protocol.TYPE_IMU if channel == "imu" else protocol.TYPE_SKELETON
        publisher._sockets[kind].send_multipart(parts)
        sent += 1
    return sent
