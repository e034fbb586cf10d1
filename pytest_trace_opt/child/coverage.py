"""Which lines of the trainables' own code each test ran: the spectrum for fault localization.

Only the trainables' code objects are watched, and only while a trainable is running, so
the rest of the test pays nothing: on Python 3.12+ through ``sys.monitoring`` LINE events
set on those code objects alone; on 3.11 through ``sys.settrace`` installed for the
duration of the outermost trainable call, with a tracer that declines every other frame.
When another tool already traces (coverage.py, a debugger) nothing is recorded rather than
disturbing it. The outermost call's own lines also feed ``steps`` (the values each line
set, for the feedback); on 3.12+ its return value is not seen there (the call record has it).

Lines are reported as lines of the real source file: candidates are compiled with the
same line numbers as the code they replace (see ``runtime``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_trace_opt.child.steps import Steps

# code object -> (target key, offset added to its line numbers to give file lines)
Watched = dict[CodeType, tuple[str, int]]
Sink = Callable[[str, int], None]

_TOOL_NAME = "pytest-trace-opt"
_MONITORING: Any = getattr(sys, "monitoring", None)  # Python 3.12+


def nested_codes(code: CodeType) -> list[CodeType]:
    """``code`` and every code object defined inside it (inner functions, comprehensions)."""
    found = [code]
    for const in code.co_consts:
        if isinstance(const, CodeType):
            found += nested_codes(const)
    return found


class LineRecorder:
    """Records (target key, file line) pairs into ``sink`` while a trainable runs."""

    def __init__(self, sink: Sink, steps: Steps | None = None) -> None:
        self.sink = sink
        self.steps = steps  # the outermost call's lines and values (child.steps)
        self._outer: FrameType | None = None  # its frame
        self._raised: str | None = None
        self.watched: Watched = {}
        self.by_name: dict[tuple[str, str], tuple[str, int]] = {}  # exec'd code: by name
        self.depth = 0
        self._previous: Any = None
        self._tracing = False
        self._tool: int | None = None
        self.enabled = True

    # -- what to watch ------------------------------------------------------------------
    def watch(self, code: CodeType, key: str, offset: int = 0) -> None:
        for inner in nested_codes(code):
            if inner in self.watched:
                continue
            self.watched[inner] = (key, offset)
            if self._tool is not None:
                _MONITORING.set_local_events(self._tool, inner, _MONITORING.events.LINE)

    def watch_by_name(self, filename: str, name: str, key: str, offset: int) -> None:
        """Code compiled afresh on every call (Trace's bundles ``exec`` their source)."""
        self.by_name[(filename, name)] = (key, offset)

    # -- a test ---------------------------------------------------------------------------
    def begin_test(self) -> None:
        if self._tool is not None:
            _MONITORING.restart_events()  # lines DISABLEd in the last test fire again

    # -- around a trainable call ----------------------------------------------------------
    def enter(self) -> None:
        self.depth += 1
        if self.depth > 1 or not self.enabled:
            return
        if _MONITORING is not None:
            self._ensure_tool()
            return
        if sys.gettrace() is not None:  # someone else traces: do not disturb them
            return
        self._previous = sys.gettrace()
        self._tracing = True
        sys.settrace(self._global)

    def exit(self) -> None:
        self.depth = max(0, self.depth - 1)
        if self.depth == 0:
            self._outer = None
            if self._tracing:
                sys.settrace(self._previous)
                self._tracing = False

    def _is_outer(self, frame: FrameType) -> bool:
        """Whether ``frame`` is the outermost trainable call's own frame (the first watched
        frame since it began); its steps are recorded."""
        if self.steps is None:
            return False
        if self._outer is None and self.depth == 1:
            self._outer, self._raised = frame, None
        return frame is self._outer

    # -- 3.11: sys.settrace ---------------------------------------------------------------
    def _target(self, code: CodeType) -> tuple[str, int] | None:
        found = self.watched.get(code)
        if found is None and self.by_name:
            found = self.by_name.get((code.co_filename, code.co_name))
        return found

    def _global(self, frame: FrameType, event: str, arg: Any) -> Any:
        target = self._target(frame.f_code)
        if target is None:
            return None
        key, offset = target
        seen: set[int] = set()
        outer = self._is_outer(frame)
        steps = self.steps

        def local(frame: FrameType, event: str, arg: Any) -> Any:
            if event == "line":
                if frame.f_lineno not in seen:
                    seen.add(frame.f_lineno)
                    self.sink(key, frame.f_lineno + offset)
                if outer and steps is not None:
                    steps.line(frame)
            elif outer and steps is not None:
                if event == "exception":
                    self._raised = f"{arg[0].__name__}: {arg[1]}"[:120]
                elif event == "return":
                    steps.returned(frame, arg, self._raised)
            return local

        return local

    # -- 3.12+: sys.monitoring ------------------------------------------------------------
    def _ensure_tool(self) -> None:
        if self._tool is not None:
            return
        monitoring = _MONITORING
        for tool in (4, 3, 5):  # ids that coverage tools and debuggers do not claim
            if monitoring.get_tool(tool) is None:
                monitoring.use_tool_id(tool, _TOOL_NAME)
                self._tool = tool
                break
        else:
            self.enabled = False
            return
        monitoring.register_callback(self._tool, monitoring.events.LINE, self._on_line)
        for code in self.watched:
            monitoring.set_local_events(self._tool, code, monitoring.events.LINE)

    def _on_line(self, code: CodeType, line: int) -> Any:
        target = self.watched.get(code)
        if target is not None and self.depth > 0:
            key, offset = target
            self.sink(key, line + offset)
            steps = self.steps
            if steps is not None and not steps.full:
                frame = sys._getframe(1)  # the monitored frame called this callback
                if self._is_outer(frame):
                    steps.line(frame)
                    return None  # every line of the outer call, while steps are wanted
            return _MONITORING.DISABLE  # once per line and test: restart_events re-arms
        return None
