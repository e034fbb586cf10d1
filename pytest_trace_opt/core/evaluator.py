"""Evaluate a candidate by running tests in child pytest processes (the controller side).

The controller never executes candidate code. A child that hangs is killed with its
whole process group; a child that dies mid-test costs that test (reported as a
failure with the reason) and the remaining tests run in a fresh child.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pytest_trace_opt.core import prompts, walls
from pytest_trace_opt.core.sandbox import Sandbox, is_protected
from pytest_trace_opt.model import Evaluation, TestResult
from pytest_trace_opt.protocol import (
    CHILD_ENV,
    KEY_ENV,
    ChildLimits,
    ChildSpec,
    CollectErrorEvent,
    Event,
    ProtocolError,
    ResultEvent,
    StartEvent,
    decode_event,
    verify_line,
)
from pytest_trace_opt.secrets import scrubbed

# Options of the user's command line that shape how tests run; forwarded to children.
_FORWARD_WITH_VALUE = {
    "-p", "-o", "--override-ini", "-c", "--config-file", "--rootdir", "--confcutdir",
    "--import-mode", "-W", "--pythonwarnings", "-n", "--numprocesses", "--dist",
    "--maxprocesses", "--basetemp", "--tx",
}  # fmt: skip
_FORWARD_FLAGS = {"--noconftest", "--runxfail", "-s", "--capture=no"}


def forwarded_args(args: Sequence[str]) -> list[str]:
    """The subset of the user's pytest arguments that children need too."""
    out: list[str] = []
    items = list(args)
    i = 0
    while i < len(items):
        arg = items[i]
        name = arg.split("=", 1)[0]
        if name in _FORWARD_WITH_VALUE:
            if "=" in arg or (arg.startswith("-p") and len(arg) > 2 and arg != "-p"):
                out.append(arg)
            elif i + 1 < len(items):
                out += [arg, items[i + 1]]
                i += 1
        elif arg.startswith("-n") and len(arg) > 2 and not arg.startswith("--"):
            out.append(arg)  # -n2 / -nauto
        elif arg.startswith("-p") and len(arg) > 2:
            out.append(arg)  # -pno:randomly
        elif arg in _FORWARD_FLAGS:
            out.append(arg)
        i += 1
    # --basetemp would make concurrent children fight over one directory.
    cleaned: list[str] = []
    skip = False
    for j, arg in enumerate(out):
        if skip:
            skip = False
            continue
        if arg == "--basetemp":
            skip = j + 1 < len(out)
            continue
        if arg.startswith("--basetemp="):
            continue
        cleaned.append(arg)
    return cleaned


class EvaluationAborted(Exception):
    """The optimization's wall-clock budget ran out during an evaluation."""


class EvaluatorLike(Protocol):
    """What the round loop and the edit search need of an evaluator (tests pass a fake)."""

    def run(
        self,
        candidate: dict[str, Any],
        nodeids: Sequence[str],
        *,
        serialize_reports: bool = False,
        deadline: float | None = None,
        first_failure: bool = False,
    ) -> Evaluation: ...


@dataclass
class Evaluator:
    rootdir: Path
    plugin_args: list[str]
    user_args: list[str]
    limits: ChildLimits
    eval_timeout: float
    python: str = sys.executable
    extra_env: dict[str, str] = field(default_factory=dict)
    sandbox: Sandbox | None = None  # run children in this private copy of the rootdir
    runs: int = 0
    changed_by_original: set[str] = field(default_factory=set)  # protected files
    env_passthrough: frozenset[str] = frozenset()  # credentials the user lets children see
    bwrap: str | None = None  # children run inside bubblewrap's walls (core.walls)
    _readable: list[Path] | None = field(default=None, repr=False)

    @property
    def workdir(self) -> Path:
        return self.sandbox.root if self.sandbox is not None else self.rootdir

    def run(
        self,
        candidate: dict[str, Any],
        nodeids: Sequence[str],
        *,
        serialize_reports: bool = False,
        deadline: float | None = None,
        first_failure: bool = False,
    ) -> Evaluation:
        """Run ``nodeids`` against ``candidate``; a child that dies costs the test it was in,
        and the tests after it run in a fresh child. ``first_failure``: the run ends at the
        first test that does not pass (the edit search's short run, where one decides), the
        tests after it counted as not run."""
        started = time.monotonic()
        evaluation = Evaluation({}, {}, [], [], 0.0)
        remaining = list(nodeids)
        workdir = Path(tempfile.mkdtemp(prefix="trace-opt-eval-"))
        try:
            attempt = 0
            while remaining:
                attempt += 1
                if self.sandbox is not None:
                    self.sandbox.refresh()
                try:
                    run = self._run_child(
                        workdir / f"run{attempt}",
                        candidate,
                        remaining,
                        serialize_reports,
                        deadline,
                        first_failure,
                    )
                finally:
                    self._note_changes(evaluation, candidate)
                progress = self._absorb(evaluation, run)
                remaining = [n for n in remaining if n not in evaluation.tests]
                if first_failure and any(not r.passed for r in evaluation.tests.values()):
                    for nodeid in remaining:
                        evaluation.tests[nodeid] = TestResult(
                            nodeid, "error", feedback=[f"{nodeid}: {prompts.NOT_RUN_AFTER_FAILURE}"]
                        )
                    remaining = []
                    break
                if remaining and not progress:
                    self._give_up(evaluation, run, remaining)
                    break
                if run.status == "deadline":
                    raise EvaluationAborted(
                        "the wall-clock budget (--trace-timeout) ran out during an evaluation"
                    )
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        self.runs += 1
        evaluation.seconds = time.monotonic() - started
        return evaluation

    def _note_changes(self, evaluation: Evaluation, candidate: dict[str, Any]) -> None:
        """Restore the sandbox now and name the protected files the run changed. What the
        original code's own tests change (a test that writes a module) is never held
        against a candidate."""
        if self.sandbox is None:
            return
        changed = [p for p in self.sandbox.refresh() if is_protected(p)]
        if not candidate:
            self.changed_by_original.update(changed)
            return
        for path in changed:
            if path not in self.changed_by_original and path not in evaluation.tampered:
                evaluation.tampered.append(path)

    def _absorb(self, evaluation: Evaluation, run: ChildRun) -> bool:
        """Take the child's results into ``evaluation``; False when it finished no test."""
        evaluation.forged += run.forged
        for event in run.events:
            if isinstance(event, CollectErrorEvent):
                evaluation.collect_errors.append(event.text)
        for nodeid, result_event in run.finished.items():
            evaluation.tests[nodeid] = TestResult.from_event(result_event)
            if result_event.record is not None:
                for info in result_event.record.targets:
                    evaluation.targets.setdefault(info.key, info)
        crashed = [n for n in run.started if n not in run.finished]
        for nodeid in crashed:
            feedback = prompts.crash_feedback(
                nodeid, run.status, self.eval_timeout, self.limits.test_timeout, run.output
            )
            outcome = "timeout" if run.status in ("timeout", "test timeout") else "crashed"
            evaluation.tests[nodeid] = TestResult(nodeid, outcome, feedback=[feedback])
        return bool(run.finished) or bool(crashed)

    def _give_up(self, evaluation: Evaluation, run: ChildRun, remaining: list[str]) -> None:
        why = prompts.no_progress_reason(run.status, run.output, evaluation.collect_errors)
        evaluation.problems.append(why)
        for nodeid in remaining:
            evaluation.tests[nodeid] = TestResult(nodeid, "error", feedback=[f"{nodeid}: {why}"])

    def _command(self, args_file: Path, replayed: bool, first_failure: bool = False) -> list[str]:
        """``replayed``: the reports go to the user's terminal (the final check), which
        shows failures at the user's own verbosity."""
        # whole operands in "assert A == B" for the LLM: at -q pytest cuts them to 30
        # characters with "...", the expected value included
        whole = [] if replayed else ["-o", "verbosity_assertions=2"]
        stop = ["--maxfail=1"] if first_failure else []
        return [
            self.python, "-m", "pytest", *self.plugin_args, *self.user_args,
            "-p", "no:cacheprovider", "-q", "--tb=short", "-rN", "--no-header", *whole, *stop,
            "--rootdir", str(self.workdir), f"@{args_file}",
        ]  # fmt: skip

    def _walled(self, command: list[str], eval_dir: Path) -> list[str]:
        """``command`` inside bubblewrap when it is on: writable are the sandbox copy and
        this evaluation's own directory (its spec, test ids and key file)."""
        if self.bwrap is None:
            return command
        if self._readable is None:  # what the interpreter reads: the same for every child
            self._readable = walls.interpreter_paths()
        return (
            walls.command(self.bwrap, [self.workdir, eval_dir], self.workdir, self._readable)
            + command
        )

    def _environment(self, spec_path: Path) -> dict[str, str]:
        env = scrubbed(os.environ, keep=self.env_passthrough)
        env.update(self.extra_env)
        env[CHILD_ENV] = str(spec_path)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTEST_ADDOPTS", None)
        return env

    def _run_child(
        self,
        workdir: Path,
        candidate: dict[str, Any],
        nodeids: Sequence[str],
        serialize_reports: bool,
        deadline: float | None,
        first_failure: bool = False,
    ) -> ChildRun:
        workdir.mkdir(parents=True)
        key = os.urandom(32)
        key_path = workdir / "key"
        key_path.touch(mode=0o600)
        key_path.write_bytes(key)
        read_fd, write_fd = os.pipe()
        spec = ChildSpec(
            rootdir=str(self.workdir),
            candidate=candidate,
            results_fd=write_fd,
            limits=self.limits,
            serialize_reports=serialize_reports,
        )
        spec_path = workdir / "spec.json"
        spec_path.write_text(spec.to_json(), encoding="utf-8")
        args_file = workdir / "nodeids.txt"
        args_file.write_text("\n".join(nodeids) + "\n", encoding="utf-8")
        log_path = workdir / "output.txt"
        env = self._environment(spec_path)
        env[KEY_ENV] = str(key_path)
        channel = Channel(read_fd, key, set(nodeids))
        try:
            with open(log_path, "wb") as log:
                proc = subprocess.Popen(
                    self._walled(
                        self._command(args_file, serialize_reports, first_failure), workdir
                    ),
                    cwd=self.workdir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    pass_fds=(write_fd,),
                    start_new_session=True,  # Ctrl-C reaches the controller only
                )
                os.close(write_fd)
                write_fd = -1
                status = self._wait(proc, deadline, channel)
        finally:
            if write_fd >= 0:
                os.close(write_fd)
            channel.close()
        run = channel.run
        run.status = status
        run.output = log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        return run

    def _wait(self, proc: subprocess.Popen[bytes], deadline: float | None, channel: Channel) -> str:
        """Wait for the child within the evaluation's limits, reading its events as they
        come; how it ended, in one word. The per-test limit is enforced from here as well:
        a test that outlives it (its alarm blocked or never reached) costs a kill."""
        limit = time.monotonic() + self.eval_timeout
        if deadline is not None:
            limit = min(limit, deadline)
        per_test = self.limits.test_timeout
        grace = max(2.0, per_test * 0.5)
        status = "ok"
        try:
            while proc.poll() is None:
                channel.read(timeout=0.05)
                now = time.monotonic()
                if now > limit:
                    status = "deadline" if deadline is not None and limit == deadline else "timeout"
                    break
                running = channel.running_since()
                if per_test > 0 and running is not None and now - running > per_test + grace:
                    status = "test timeout"
                    break
            channel.read(timeout=0)  # what the child wrote before it ended
        finally:
            # Always, Ctrl-C included: what the candidate started in the background ends
            # with the evaluation, and the child is reaped.
            _kill_group(proc)
            returncode = proc.wait()
        if status == "ok" and channel.run.forged:
            status = "forged"
        elif status == "ok" and returncode < 0:
            status = f"signal {-returncode}"
        elif status == "ok" and returncode not in (0, 1, 5):
            status = f"exit {returncode}"
        return status


MAX_LINE_BYTES = 64 << 20  # one result line, serialized reports included


@dataclass
class ChildRun:
    """What one child process left behind."""

    finished: dict[str, ResultEvent] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)  # in order; a last one unfinished died
    events: list[Event] = field(default_factory=list)
    status: str = "ok"  # ok | timeout | test timeout | deadline | forged | signal N | exit N
    output: str = ""
    forged: int = 0  # lines that did not verify: written by candidate code


class Channel:
    """The controller's end of a child's pipe: signed lines in, events out. A line that
    does not verify, or a result for a test that was not asked for, counts as forged."""

    def __init__(self, fd: int, key: bytes, asked: set[str]) -> None:
        self.fd = fd
        self.key = key
        self.asked = asked
        self.seq = 0
        self.buffer = b""
        self.run = ChildRun()
        self._started_at: dict[str, float] = {}

    def read(self, timeout: float) -> None:
        while self.fd >= 0:
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if not ready:
                return
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                self.close()
                return
            self.buffer += chunk
            *lines, self.buffer = self.buffer.split(b"\n")
            if len(self.buffer) > MAX_LINE_BYTES:  # no signed line is that long: junk
                self.run.forged += 1
                self.buffer = b""
            for line in lines:
                self._line(line.decode("utf-8", "replace"))
            timeout = 0

    def _line(self, line: str) -> None:
        text = verify_line(self.key, self.seq, line)
        if text is None:
            self.run.forged += 1
            return
        self.seq += 1
        try:
            event = decode_event(text)
        except ProtocolError:
            self.run.forged += 1
            return
        run = self.run
        run.events.append(event)
        if isinstance(event, StartEvent):
            run.started.append(event.nodeid)
            self._started_at[event.nodeid] = time.monotonic()
        elif isinstance(event, ResultEvent):
            if event.nodeid not in self.asked:
                run.forged += 1
                return
            run.finished[event.nodeid] = event

    def running_since(self) -> float | None:
        """When the test now running started (None between tests)."""
        for nodeid in reversed(self.run.started):
            if nodeid not in self.run.finished:
                return self._started_at.get(nodeid)
        return None

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
