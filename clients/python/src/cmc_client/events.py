"""What cmcd publishes, as typed objects (docs/protocol.md §5)."""
from dataclasses import dataclass, field
from typing import List, Optional

from . import protocol

IDLE_INDEX = -2
UNKNOWN_INDEX = -1


@dataclass(frozen=True)
class Candidate:
    label: str
    p: float


@dataclass(frozen=True)
class _Decision:
    """What label and action events share: who, what, how sure, from which inputs, how fast."""
    subject: int
    clock: str
    label: str
    label_index: int
    confidence: float
    top_k: List[Candidate]
    modalities: List[str]
    fallback: bool
    inference_ms: float
    end_to_end_ms: float
    published_unix_ns: int

    @property
    def is_idle(self):
        return self.label_index == IDLE_INDEX

    @property
    def is_unknown(self):
        return self.label_index == UNKNOWN_INDEX


@dataclass(frozen=True)
class LabelEvent(_Decision):
    """One window label: what the subject did at the window's centre (a class, "idle" or "unknown")."""
    seq: int
    window_start_ns: int
    window_end_ns: int
    raw: Candidate
    window_end_sensor_ns: Optional[int] = None
    action: Optional[int] = None
    model: Optional[str] = None

    @property
    def label_time_ns(self):
        """The instant the label describes, on the daemon timeline: the window's centre."""
        return self.window_start_ns + (self.window_end_ns - self.window_start_ns) // 2

    @property
    def label_time_sensor_ns(self):
        """The same instant on the sender's clock (None from daemons before protocol revision 2)."""
        if self.window_end_sensor_ns is None:
            return None
        return self.window_end_sensor_ns - (self.window_end_ns - self.label_time_ns)


@dataclass(frozen=True)
class ActionEvent(_Decision):
    """One whole action, classified whole, published once the subject was still after it."""
    action: int
    start_ns: int
    end_ns: int
    start_sensor_ns: int
    end_sensor_ns: int
    truncated: bool
    model: Optional[str] = None

    @property
    def seconds(self):
        return (self.end_ns - self.start_ns) / 1e9


def decode(topic, payload):
    """A LabelEvent or ActionEvent from a [topic, payload] message; ProtocolError if it breaks the protocol.
    Keys this version does not know are ignored (later revisions only add keys)."""
    event = protocol.decode_event(topic, payload)
    kind = event.pop("kind")
    cls = ActionEvent if kind == "action" else LabelEvent
    names = set(cls.__dataclass_fields__)
    values = {k: v for k, v in event.items() if k in names}
    values["top_k"] = [Candidate(c["label"], c["p"]) for c in values["top_k"]]
    if cls is LabelEvent:
        values["seq"] = event["seq"]
        values["raw"] = Candidate(event["raw"]["label"], event["raw"]["p"])
    return cls(**values)
