"""Python client for cmcd, the cmc activity-recognition daemon: publish IMU and skeleton frames, receive
window labels and action events, replay recordings. The wire protocol is docs/protocol.md.

The protocol, event and recording parts need only the standard library; `Publisher` and `Subscriber`
need pyzmq and are imported on first use."""
from .events import ActionEvent, Candidate, LabelEvent, decode
from .protocol import ProtocolError, decode_frame, encode_frame
from .recording import read as read_recording
from .recording import replay

__all__ = ["Publisher", "Subscriber", "LabelEvent", "ActionEvent", "Candidate", "decode", "ProtocolError",
           "encode_frame", "decode_frame", "read_recording", "replay"]
__version__ = "0.1.0"


def __getattr__(name):
    if name in ("Publisher", "Subscriber"):
        from . import client
        return getattr(client, name)
    raise AttributeError(name)
