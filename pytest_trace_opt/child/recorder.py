"""The plugin side of an evaluation child: per-test limits, records, streamed results.

The controller starts ``python -m pytest`` with the environment variable
``PYTEST_TRACE_OPT_CHILD`` naming a spec file. Results are written, signed, to a pipe
the controller reads as each test finishes, so a child that dies (``os._exit``, a
segfault, a kill after a hang) still leaves every finished test behind and names the
test it died in, and a results file forged by candidate code is never read. With
pytest-xdist the same plugin runs in the workers (limits, records) and in the xdist
controller (the pipe); records travel inside the reports.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from _pytest.outcomes import OutcomeException

from pytest_trace_opt.child.evidence import arguments_of, source_of
from pytest_trace_opt.child.integrity import Integrity, tampered_note, test_changed_note
from pytest_trace_opt.child.limits import (
    CandidateInterrupted,
    TestTimeout,
    apply_limits,
    describe_timeout,
)
from pytest_trace_opt.child.runtime import get_runtime
from pytest_trace_opt.child.targets import explicit_targets
from pytest_trace_opt.feedback import CRITIQUE_PROPERTY, SCORE_PROPERTY, feedback_key
from pytest_trace_opt.protocol import (
    KEY_ENV,
    CollectErrorEvent,
    Event,
    FinishEvent,
    ResultEvent,
    StartEvent,
    TestRecord,
    encode_event,
    line_signer,
    to_plain,
)


def take_key() -> bytes:
    """This evaluation's signing key: read once, its file deleted and its variable dropped
    before any test code runs."""
    path = os.environ.pop(KEY_ENV, "")
    if not path:
        return b""
    try:
        key = Path(path).read_bytes()
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
    return key


def signed_writer(fd: int, key: bytes) -> Callable[[str], None]:
    """Writes each event text as one signed line to ``fd``; the key lives in this closure.
    What it calls is bound now, before any test runs: code under test that replaces a
    module attribute (``os.write``, the signing or encoding functions) reaches none of it."""
    seq = itertools.count()
    sign, write = line_signer(key), os.write

    def send(text: str) -> None:
        data = (sign(next(seq), text) + "\n").encode("utf-8", "replace")
        view = memoryview(data)
        while view:
            try:
                written = write(fd, view)
            except InterruptedError:
                continue
            except OSError:
                return  # the controller is gone: nobody to tell
            view = view[written:]

    return send


RECORD_PROPERTY = "trace_opt.record"
FEEDBACK_PROPERTY = "trace_opt.feedback"
INTERNAL_PROPERTIES = (RECORD_PROPERTY, FEEDBACK_PROPERTY)
_failed_key = pytest.StashKey[bool]()
_raised_key = pytest.StashKey[str]()


class ChildRecorder:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.runtime = get_runtime()
        spec = self.runtime.spec
        self.test_timeout = spec.limits.test_timeout
        self.serialize_reports = spec.serialize_reports
        self.reporting = 0  # > 0 while the plugin's own report code runs (see _reporting)
        self.is_worker = hasattr(config, "workerinput")
        self.tests: dict[str, ResultEvent] = {}
        self._send: Callable[[str], None] | None = None
        apply_limits(spec.limits.memory_limit_mb, spec.limits.cpu_limit_s)
        self._encode = encode_event  # bound before any test runs (see signed_writer)
        if not self.is_worker and spec.results_fd >= 0:
            self._send = signed_writer(spec.results_fd, take_key())
        from pytest_trace_opt.child import trace_patch

        trace_patch.install(self.runtime)
        self.integrity = Integrity(self)

    # -- stream ---------------------------------------------------------------------------
    def emit(self, event: Event) -> None:
        if self._send is not None:
            self._send(self._encode(event))

    # -- in the process that runs the test -------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Any:
        self.runtime.begin_test()
        tracer = sys.gettrace()
        timed = self.test_timeout > 0 and threading.current_thread() is threading.main_thread()
        if timed:
            limit = self.test_timeout

            def on_alarm(signum: int, frame: FrameType | None) -> None:
                if self.reporting:  # our own report code: the timer fires again in 1 s
                    return
                raise TestTimeout(describe_timeout(limit, frame))

            previous = signal.signal(signal.SIGALRM, on_alarm)
            # Re-fires every second in case candidate code swallows the first one.
            signal.setitimer(signal.ITIMER_REAL, limit, 1.0)
        try:
            return (yield)
        finally:
            if timed:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
            if sys.gettrace() is not tracer:
                sys.settrace(tracer)
            self.runtime.end_test()
            from pytest_trace_opt.child import trace_patch

            trace_patch.reset_graph()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        try:
            return (yield)
        except KeyboardInterrupt:
            item.stash[_raised_key] = "KeyboardInterrupt"
            raise CandidateInterrupted("the code under test raised KeyboardInterrupt") from None
        except BaseException as exc:
            # Seen here, outside pytest's reporting: a report that says "passed" after this
            # was forged (a patched TestReport or CallInfo).
            if not isinstance(exc, OutcomeException):
                item.stash[_raised_key] = type(exc).__name__
            raise

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report: pytest.TestReport = yield
        with self._reporting():
            return self._complete_report(item, call, report)

    def _complete_report(
        self, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport
    ) -> pytest.TestReport:
        raised = item.stash.get(_raised_key, None)
        if call.when == "call" and raised and not report.failed:
            report.outcome = "failed"
            report.longrepr = f"{item.nodeid}: the test raised {raised}, yet its report said passed"
        if call.when == "call" and self.integrity.test_changed(item):
            report.outcome = "failed"
            report.longrepr = test_changed_note(item.nodeid)
        if report.failed:
            item.stash[_failed_key] = True
            text = item.config.hook.pytest_trace_opt_feedback(report=report, item=item)
            if text:
                report.user_properties.append((FEEDBACK_PROPERTY, str(text)))
        if call.when == "teardown":
            feedback = item.stash.get(feedback_key, None)
            if feedback is not None:
                # The fixture's own teardown may not have copied them yet.
                known = set(map(tuple, report.user_properties))
                for prop in feedback.as_properties():
                    if prop not in known:
                        report.user_properties.append(prop)
            recorder = self.runtime.current
            record = recorder.to_record() if recorder is not None else TestRecord()
            record.targets = self.runtime.target_infos(record.used)
            record.explicit, record.target_errors = explicit_targets(item)
            if item.stash.get(_failed_key, False):
                record.arguments = arguments_of(item)
                record.test_source, record.test_line = source_of(item)
            # A report property, so that it travels from xdist workers inside the report.
            report.user_properties.append(
                (RECORD_PROPERTY, json.dumps(to_plain(record), default=str))
            )
        return report

    # -- in the process that writes results (single process or xdist controller) ----------
    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self.emit(StartEvent(nodeid))

    @contextlib.contextmanager
    def _reporting(self) -> Iterator[None]:
        """While the plugin's own report code runs, the per-test alarm does not interrupt
        it (an alarm there was an INTERNALERROR); the controller's deadline still holds."""
        self.reporting += 1
        try:
            yield
        finally:
            self.reporting -= 1

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        with self._reporting():
            self._absorb_report(report)

    def _absorb_report(self, report: pytest.TestReport) -> None:
        state = self.tests.setdefault(report.nodeid, ResultEvent(report.nodeid, "passed"))
        state.duration += report.duration
        if report.failed:
            state.outcome = "failed" if report.when == "call" else "error"
        elif report.skipped and state.outcome == "passed":
            state.outcome = "xfailed" if hasattr(report, "wasxfail") else "skipped"
        for name, value in report.user_properties:
            if name == FEEDBACK_PROPERTY:
                state.feedback.append(str(value))
            elif name == RECORD_PROPERTY:
                state.record = TestRecord.from_dict(json.loads(str(value)))
            elif name == CRITIQUE_PROPERTY and value not in state.critiques:
                state.critiques.append(str(value))
            elif name == SCORE_PROPERTY and report.when == "teardown":
                state.scores.append(float(value))  # type: ignore[arg-type]
        if self.serialize_reports:
            data = self.config.hook.pytest_report_to_serializable(config=self.config, report=report)
            data["user_properties"] = [
                p for p in data.get("user_properties", []) if p[0] not in INTERNAL_PROPERTIES
            ]
            state.reports.append(data)

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        state = self.tests.pop(nodeid, None)
        if state is not None:
            with self._reporting():
                changed = self.integrity.changed()
                if changed:
                    state.outcome = "failed"
                    state.feedback = [f"{nodeid}: {tampered_note(changed)}"]
                self.emit(state)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.integrity.watch_tests(session.items)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.emit(CollectErrorEvent(report.nodeid, str(report.longrepr)[-3000:]))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.emit(FinishEvent(int(exitstatus)))
        self._send = None
