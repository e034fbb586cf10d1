"""What a trainable call did, line by line: each line it ran, with the values that line set.

A small model reads ``number = int(ch)   # number=5`` after ``ch='5'`` far better than it
reasons about the code in its head: the trace shows where the state first goes wrong. Only
the outermost call of a trainable is traced, only its own frame, and only its first
:data:`MAX_STEPS` lines; values are short reprs. Fed by ``coverage.LineRecorder``.
"""

from __future__ import annotations

import ast
import contextlib
import linecache
import reprlib
from collections.abc import Iterator
from types import FrameType
from typing import Any

from pytest_trace_opt import statements
from pytest_trace_opt.protocol import MAX_CALL_STEPS as MAX_STEPS
from pytest_trace_opt.protocol import CallRecord
from pytest_trace_opt.text import mask_addresses

MAX_LINE_CHARS = 80
MAX_CHANGES_CHARS = 120

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 40
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxdict = 5
_REPR.maxlevel = 2


def short_repr(value: Any) -> str:
    try:
        return mask_addresses(_REPR.repr(value))
    except Exception:  # noqa: BLE001 - a user __repr__ may raise anything
        return f"<{type(value).__name__}>"


def _shown_names(frame: FrameType) -> dict[str, Any]:
    return {k: v for k, v in frame.f_locals.items() if not k.startswith("__")}


EXEC_FILENAME = "<string>"  # what exec() of a source string names its code


@contextlib.contextmanager
def exec_source(text: str) -> Iterator[None]:
    """Trace exec's a trainable bundle's source string on every call, so its code has no
    file to read lines from: meanwhile they are read from ``text`` (a nested bundle's call
    puts the outer one's back when it ends)."""
    previous = linecache.cache.get(EXEC_FILENAME)
    lines = text.splitlines(keepends=True)
    linecache.cache[EXEC_FILENAME] = (len(text), None, lines, EXEC_FILENAME)
    try:
        yield
    finally:
        if previous is None:
            linecache.cache.pop(EXEC_FILENAME, None)
        else:
            linecache.cache[EXEC_FILENAME] = previous


# filename -> (the source lines parsed, line -> first line of its statement)
_STATEMENT_STARTS: dict[str, tuple[list[str], dict[int, int]]] = {}


def statement_start(filename: str, line: int) -> int:
    """The first line of the statement (or compound statement's header) ``line`` belongs to:
    a call spread over several lines reports each of them, yet it is one step."""
    lines = linecache.getlines(filename)
    known = _STATEMENT_STARTS.get(filename)
    if known is not None and known[0] is lines:
        starts = known[1]
    else:  # new, or a candidate compiled under the same name since
        try:
            starts = statements.starts(ast.parse("".join(lines)))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            starts = {}
        _STATEMENT_STARTS[filename] = (lines, starts)
    return starts.get(line, line)


class Steps:
    """Collects the steps of one call into its :class:`CallRecord`."""

    def __init__(self) -> None:
        self.record: CallRecord | None = None
        self._line: tuple[str, int] | None = None  # the statement that is running
        self._raw_line = 0  # the physical line last reported
        self._before: dict[str, str] = {}

    def begin(self, record: CallRecord | None) -> None:
        self.record, self._line, self._before, self._raw_line = record, None, {}, 0

    @property
    def full(self) -> bool:
        return self.record is None or len(self.record.steps) >= MAX_STEPS

    def line(self, frame: FrameType) -> None:
        """``frame`` is about to run a new line: the one before it has finished."""
        if self.record is None:
            return
        filename, number = frame.f_code.co_filename, frame.f_lineno
        start = statement_start(filename, number)
        previous, self._raw_line = self._raw_line, number
        if self._line == (filename, start) and (number != start or previous != start):
            return  # still the same multi-line statement (a one-line loop repeats: a step)
        if self.full:
            self.record.more_steps += 1
            self._line = (filename, start)
            return
        now = {k: short_repr(v) for k, v in _shown_names(frame).items()}
        if self._line is None:
            self._before = now  # the arguments: the call record shows them already
        else:
            self._add(self._changes(now))
        self._line = (filename, start)
        self._before = now

    def returned(self, frame: FrameType, value: Any, raised: str | None) -> None:
        """The call ends on the running line: with ``value``, or by raising ``raised``."""
        if self.record is None or self._line is None or self.full:
            return
        now = {k: short_repr(v) for k, v in _shown_names(frame).items()}
        ending = f"raises {raised}" if raised else f"returns {short_repr(value)}"
        self._add(", ".join(filter(None, [self._changes(now), ending])))
        self._line = None

    def _changes(self, now: dict[str, str]) -> str:
        changed = [f"{k}={v}" for k, v in now.items() if self._before.get(k) != v]
        return ", ".join(changed)

    def _add(self, changes: str) -> None:
        assert self.record is not None and self._line is not None
        filename, number = self._line
        text = linecache.getline(filename, number).rstrip()
        if statement_start(filename, number + 1) == number:
            text += " ..."  # the statement goes on over the next lines
        if len(text) > MAX_LINE_CHARS:
            text = text[: MAX_LINE_CHARS - 3] + "..."
        if changes:
            if len(changes) > MAX_CHANGES_CHARS:
                changes = changes[: MAX_CHANGES_CHARS - 3] + "..."
            text += f"  # {changes}"
        self.record.steps.append(text)
