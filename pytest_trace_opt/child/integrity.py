"""The parts of pytest and of the plugin that turn a test into a result, checked unchanged.

Candidate code runs in the same process as the recorder. Before each result is sent, the
functions that build and carry it (pytest's report and call-info constructors, its test
protocol, the plugin's own hooks and writer) must still be the objects, with the code,
they were before any test ran; a candidate that patched one gets every later test counted
as failed, with the names of what it changed. This raises the bar, it is no wall: code in
the same process can undo its patch in time. The wall is the signed channel (a results
file or stray line is never read) and the controller's own limits.
"""

from __future__ import annotations

import inspect
from typing import Any

import _pytest.reports
import _pytest.runner

# (owner, attribute) pairs whose object and code must not change while tests run.
_PYTEST_PARTS: tuple[tuple[Any, str], ...] = (
    (_pytest.reports.TestReport, "from_item_and_call"),
    (_pytest.reports.TestReport, "__init__"),
    (_pytest.runner.CallInfo, "from_call"),
    (_pytest.runner, "call_and_report"),
    (_pytest.runner, "runtestprotocol"),
    (_pytest.runner, "call_runtest_hook"),
)
_RECORDER_PARTS = (
    "emit", "pytest_runtest_makereport", "pytest_runtest_logreport", "pytest_runtest_logfinish",
    "pytest_runtest_call", "pytest_runtest_protocol",
)  # fmt: skip


def _code_of(obj: Any) -> Any:
    inner = getattr(obj, "__func__", obj)
    return getattr(inner, "__code__", None)


class Integrity:
    def __init__(self, recorder: Any) -> None:
        self._watched: list[tuple[str, Any, str, Any, Any]] = []
        self._tests: dict[str, tuple[Any, Any]] = {}
        for owner, name in _PYTEST_PARTS:
            self._watch(f"{getattr(owner, '__name__', owner)}.{name}", owner, name)
        cls = type(recorder)
        for name in _RECORDER_PARTS:
            self._watch(f"trace-opt recorder.{name}", cls, name)
        import pytest_trace_opt.child.recorder as module

        for name in ("line_signer", "encode_event", "signed_writer"):
            self._watch(f"trace-opt recorder module.{name}", module, name)
        self._recorder = recorder
        self._emit = recorder.__dict__.get("emit")

    def watch_tests(self, items: list[Any]) -> None:
        """The function each collected test runs, and its code, as collected: code under
        test that rewrites a later test's ``__code__`` (or swaps the function an item
        calls) would make that test pass without running it."""
        for item in items:
            obj = getattr(item, "obj", None) if hasattr(item, "function") else None
            if obj is not None:
                self._tests[item.nodeid] = (obj, getattr(obj, "__code__", None))

    def test_changed(self, item: Any) -> bool:
        """Whether ``item`` no longer runs the function and code it was collected with."""
        known = self._tests.get(item.nodeid)
        if known is None:
            return False
        obj = getattr(item, "obj", None)
        return obj is not known[0] or getattr(obj, "__code__", None) is not known[1]

    def _watch(self, label: str, owner: Any, name: str) -> None:
        obj = inspect.getattr_static(owner, name, None)
        self._watched.append((label, owner, name, obj, _code_of(obj)))

    def changed(self) -> list[str]:
        """What no longer is as it was; empty when all is intact."""
        found = []
        for label, owner, name, obj, code in self._watched:
            # Static lookup: a classmethod read with getattr is a new bound object each time.
            now = inspect.getattr_static(owner, name, None)
            if now is not obj or _code_of(now) is not code:
                found.append(label)
        if self._recorder.__dict__.get("emit") is not self._emit:
            found.append("trace-opt recorder.emit (on the instance)")
        return found


def test_changed_note(nodeid: str) -> str:
    return (
        f"{nodeid}: the code under test replaced this test's function or its code before it "
        "ran; counted as failed"
    )


def tampered_note(changed: list[str]) -> str:
    names = ", ".join(changed[:4])
    return (
        f"the code under test changed the test machinery ({names}); no result of this run "
        "can be trusted, every test after it counts as failed"
    )
