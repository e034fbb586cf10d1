"""What crosses between the controller and its evaluation children, typed in one place.

The controller writes a :class:`ChildSpec` to a file named by ``PYTEST_TRACE_OPT_CHILD``;
the child streams :data:`Event` records back as JSON lines, one per line, through a pipe
the controller owns, each line signed with a key only the plugin's side of the child
holds (:func:`sign_line`). Both sides encode and decode here and nowhere else:
:func:`decode_event` is the only reader of the stream and rejects what it does not know,
as pytest-xdist's worker manager does.

This module imports nothing of the package, so either side (and a test) can use it alone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, Literal, TypeAlias

# Set only in the environment of evaluation children; holds the path of the spec file.
CHILD_ENV = "PYTEST_TRACE_OPT_CHILD"
# Names a file holding this evaluation's signing key; the child reads it, deletes it and
# drops the variable before any test code runs, so candidate code never sees the key.
KEY_ENV = "PYTEST_TRACE_OPT_KEY"
PROTOCOL_VERSION = 2

# Outcomes of one test as the child reports them.
Outcome: TypeAlias = Literal[
    "passed", "failed", "error", "skipped", "xfailed", "crashed", "timeout"
]
OUTCOMES: tuple[str, ...] = (
    "passed", "failed", "error", "skipped", "xfailed", "crashed", "timeout",
)  # fmt: skip


class ProtocolError(ValueError):
    """A record that is not what this version of the protocol sends."""


def _build(cls: type[Any], data: Any, what: str) -> Any:
    """``cls(**data)`` for a dataclass, refusing unknown or missing fields by name."""
    if not isinstance(data, dict):
        raise ProtocolError(f"{what}: expected an object, got {type(data).__name__}")
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ProtocolError(f"{what}: unknown field(s) {', '.join(unknown)}")
    try:
        return cls(**data)
    except TypeError as exc:
        raise ProtocolError(f"{what}: {exc}") from None


# ----------------------------------------------------------------------- controller -> child


@dataclass(frozen=True)
class ChildLimits:
    """Limits a child applies to itself; their defaults live in ``settings``."""

    test_timeout: float
    memory_limit_mb: int
    cpu_limit_s: int
    max_repr: int
    max_calls_per_test: int


@dataclass
class ChildSpec:
    rootdir: str  # where the tests run (the sandbox copy, or the project itself)
    candidate: dict[str, Any]  # target key -> candidate value (code text or literal)
    results_fd: int  # the pipe the child writes its signed event lines to (the controller's)
    limits: ChildLimits
    serialize_reports: bool = False  # final check: send pytest's reports for replay
    version: int = PROTOCOL_VERSION

    def to_json(self) -> str:
        return json.dumps(_plain(self), default=str)

    @classmethod
    def from_json(cls, text: str) -> ChildSpec:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProtocolError(f"child spec: not JSON ({exc})") from None
        version = data.get("version") if isinstance(data, dict) else None
        if version != PROTOCOL_VERSION:
            raise ProtocolError(
                f"child spec: protocol version {version!r}, expected {PROTOCOL_VERSION}"
            )
        data = dict(data)
        data["limits"] = _build(ChildLimits, data.get("limits"), "child spec limits")
        spec: ChildSpec = _build(cls, data, "child spec")
        return spec


# ------------------------------------------------------------------------ child -> controller


@dataclass
class TargetInfo:
    """A trainable as a child found it: what the controller optimizes and patches."""

    key: str
    kind: str  # "code" | "value"
    name: str  # qualname of a function, or the name of a value
    file: str  # path relative to the rootdir (absolute when outside it)
    line: int  # 1-based line of the def, or of the node(...) call
    original: Any  # source text of the function, or the literal value
    function_name: str | None = None
    is_method: bool = False
    description: str = ""
    origin: str = "trainable"  # trainable | bundle | node
    notes: list[str] = field(default_factory=list)

    @property
    def in_class(self) -> bool:
        """Defined in a class body: a method, static or not. Its patch can hold nothing but
        the method, so a suggestion's imports go into its body as for any method."""
        parts = self.name.split(".")
        return self.is_method or (
            self.kind == "code" and len(parts) > 1 and parts[-2] != "<locals>"
        )

    @classmethod
    def from_dict(cls, data: Any) -> TargetInfo:
        info: TargetInfo = _build(cls, data, "target")
        return info


MAX_CALL_STEPS = 24  # lines of one call traced with their values (see CallRecord.steps)
# CallRecord.types["return"] of a generator trainable: its output lists the values it yielded
YIELDED = "generator"


@dataclass
class CallRecord:
    """One call a test made to a trainable: bounded reprs, never the objects."""

    key: str
    function: str
    args: dict[str, str]
    types: dict[str, str] = field(default_factory=dict)  # type names of args and "return"
    output: str | None = None
    exception: str | None = None
    values: dict[str, str] = field(default_factory=dict)  # trainable values read by the call
    depth: int = 1  # how deep it recursed into itself
    recursion: list[dict[str, str]] = field(default_factory=list)  # args of the first inner calls
    # the lines the call ran, each with the values it set (child.steps: at most
    # MAX_CALL_STEPS), and how many more ran (counted on 3.11; 0 where not counted)
    steps: list[str] = field(default_factory=list)
    more_steps: int = 0

    @classmethod
    def from_dict(cls, data: Any) -> CallRecord:
        record: CallRecord = _build(cls, data, "call")
        return record


@dataclass
class TestRecord:
    """What one test exercised: its calls to trainables and the trainables it reached."""

    calls: list[CallRecord] = field(default_factory=list)
    used: list[str] = field(default_factory=list)
    dropped_calls: int = 0  # calls past the per-test limit, not recorded
    targets: list[TargetInfo] = field(default_factory=list)
    explicit: list[str] = field(default_factory=list)  # targets named in the marker
    target_errors: list[str] = field(default_factory=list)
    # file lines of each target's code that the test ran (the localization spectrum)
    lines: dict[str, list[int]] = field(default_factory=dict)
    # evidence of a failing test: its arguments (parametrize values, plain fixtures) and source
    arguments: dict[str, str] = field(default_factory=dict)
    test_source: str = ""
    test_line: int = 0  # file line of the test's first source line

    __test__ = False  # not a pytest test class

    @classmethod
    def from_dict(cls, data: Any) -> TestRecord:
        record: TestRecord = _build(cls, data, "test record")
        record.calls = [CallRecord.from_dict(c) for c in record.calls]
        record.targets = [TargetInfo.from_dict(t) for t in record.targets]
        return record


@dataclass
class StartEvent:
    nodeid: str
    event: Literal["start"] = "start"


@dataclass
class ResultEvent:
    nodeid: str
    outcome: str
    duration: float = 0.0
    feedback: list[str] = field(default_factory=list)
    critiques: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    record: TestRecord | None = None
    reports: list[dict[str, Any]] = field(default_factory=list)  # serialized TestReports
    event: Literal["result"] = "result"


@dataclass
class CollectErrorEvent:
    nodeid: str
    text: str
    event: Literal["collect_error"] = "collect_error"


@dataclass
class FinishEvent:
    exitstatus: int
    event: Literal["finish"] = "finish"


Event: TypeAlias = StartEvent | ResultEvent | CollectErrorEvent | FinishEvent

_EVENTS: dict[str, type[Any]] = {
    "start": StartEvent,
    "result": ResultEvent,
    "collect_error": CollectErrorEvent,
    "finish": FinishEvent,
}


def _plain(value: Any) -> Any:
    """Dataclasses as dicts, containers walked; unlike ``asdict`` nothing is deep-copied
    (a serialized pytest report may hold objects that cannot be copied)."""
    if hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def to_plain(value: Any) -> Any:
    """A protocol record as JSON-ready dicts and lists."""
    return _plain(value)


def encode_event(event: Event) -> str:
    """One JSON line (no newline). Values that JSON cannot hold are sent as ``str()``."""
    return json.dumps(_plain(event), default=str)


def decode_event(line: str) -> Event:
    """The one reader of the child's stream; raises ProtocolError on anything unknown."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"event: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ProtocolError("event: expected an object")
    name = data.get("event")
    cls = _EVENTS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ProtocolError(f"unknown event: {name!r}")
    event: Event = _build(cls, data, f"{name} event")
    if isinstance(event, ResultEvent):
        if event.outcome not in OUTCOMES:
            raise ProtocolError(f"result event: unknown outcome {event.outcome!r}")
        if event.record is not None:
            event.record = TestRecord.from_dict(event.record)
        event.scores = [float(s) for s in event.scores]
        event.duration = float(event.duration)
    return event


__all__ = [
    "CHILD_ENV",
    "KEY_ENV",
    "line_signer",
    "sign_line",
    "verify_line",
    "OUTCOMES",
    "PROTOCOL_VERSION",
    "CallRecord",
    "ChildLimits",
    "ChildSpec",
    "CollectErrorEvent",
    "Event",
    "FinishEvent",
    "Outcome",
    "ProtocolError",
    "ResultEvent",
    "StartEvent",
    "TargetInfo",
    "TestRecord",
    "decode_event",
    "encode_event",
    "to_plain",
]


# -- the signed channel -------------------------------------------------------------------------
# Each event line is "<mac> <json>", the mac over the line's sequence number and its text,
# keyed per evaluation: a line written by anyone without the key, or replayed, or out of
# order, does not verify.
_MAC_CHARS = 32


def _mac(
    key: bytes, seq: int, text: str, _new: Any = hmac.new, _sha256: Any = hashlib.sha256
) -> str:
    # hmac.new and sha256 are bound at import, as defaults: see line_signer
    return str(_new(key, f"{seq}\n{text}".encode(), _sha256).hexdigest()[:_MAC_CHARS])


def sign_line(key: bytes, seq: int, text: str) -> str:
    return f"{_mac(key, seq, text)} {text}"


def line_signer(key: bytes) -> Callable[[int, str], str]:
    """``sign_line`` for one key, its parts bound now: code that later replaces a module
    attribute (``hmac.new``, ``_mac``, ``sign_line``) changes nothing it does."""
    mac = _mac

    def sign(seq: int, text: str) -> str:
        return f"{mac(key, seq, text)} {text}"

    return sign


def verify_line(key: bytes, seq: int, line: str) -> str | None:
    """The event text of a line signed as number ``seq``, or None when it does not verify."""
    mac, _, text = line.partition(" ")
    if len(mac) != _MAC_CHARS or not hmac.compare_digest(mac, _mac(key, seq, text)):
        return None
    return text
