"""Evaluate a candidate by running tests in child pytest processes (the controller side).

The controller never executes candidate code. A child that hangs is killed with its
whole process group; a child that dies mid-test costs that test (reported as a
failure with the reason) and the remaining tests run in a fresh child.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_trace_opt.core import prompts
from pytest_trace_opt.core.sandbox import Sandbox
from pytest_trace_opt.model import Evaluation, TestResult
from pytest_trace_opt.protocol import (
    CHILD_ENV,
    ChildLimits,
    ChildSpec,
    CollectErrorEvent,
    Event,
    ProtocolError,
    ResultEvent,
    StartEvent,
    decode_event,
)

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
    ) -> Evaluation:
        """Run ``nodeids`` against ``candidate``; a child that dies costs the test it was in,
        and the tests after it run in a fresh child."""
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
                run = self._run_child(
                    workdir / f"run{attempt}", candidate, remaining, serialize_reports, deadline
                )
                progress = self._absorb(evaluation, run)
                remaining = [n for n in remaining if n not in evaluation.tests]
                if remaining and not progress:
                    self._give_up(evaluation, run, remaining)
                    break
                if run.status == "deadline":
                    raise EvaluationAborted("the wall-clock budget ran out during an evaluation")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        self.runs += 1
        evaluation.seconds = time.monotonic() - started
        return evaluation

    def _absorb(self, evaluation: Evaluation, run: ChildRun) -> bool:
        """Take the child's results into ``evaluation``; False when it finished no test."""
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
            feedback = prompts.crash_feedback(nodeid, run.status, self.eval_timeout, run.output)
            outcome = "timeout" if run.status == "timeout" else "crashed"
            evaluation.tests[nodeid] = TestResult(nodeid, outcome, feedback=[feedback])
        return bool(run.finished) or bool(crashed)

    def _give_up(self, evaluation: Evaluation, run: ChildRun, remaining: list[str]) -> None:
        why = prompts.no_progress_reason(run.status, run.output, evaluation.collect_errors)
        evaluation.problems.append(why)
        for nodeid in remaining:
            evaluation.tests[nodeid] = TestResult(nodeid, "error", feedback=[f"{nodeid}: {why}"])

    def _command(self, args_file: Path) -> list[str]:
        return [
            self.python, "-m", "pytest", *self.plugin_args, *self.user_args,
            "-p", "no:cacheprovider", "-q", "--tb=short", "-rN", "--no-header",
            "--rootdir", str(self.workdir), f"@{args_file}",
        ]  # fmt: skip

    def _environment(self, spec_path: Path) -> dict[str, str]:
        env = dict(os.environ)
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
    ) -> ChildRun:
        workdir.mkdir(parents=True)
        results = workdir / "results.jsonl"
        spec = ChildSpec(
            rootdir=str(self.workdir),
            real_rootdir=str(self.rootdir),
            candidate=candidate,
            results=str(results),
            limits=self.limits,
            serialize_reports=serialize_reports,
        )
        spec_path = workdir / "spec.json"
        spec_path.write_text(spec.to_json(), encoding="utf-8")
        args_file = workdir / "nodeids.txt"
        args_file.write_text("\n".join(nodeids) + "\n", encoding="utf-8")
        log_path = workdir / "output.txt"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                self._command(args_file),
                cwd=self.workdir,
                env=self._environment(spec_path),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the controller only
            )
            status = self._wait(proc, deadline)
        run = read_events(results)
        run.status = status
        run.output = log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        return run

    def _wait(self, proc: subprocess.Popen[bytes], deadline: float | None) -> str:
        """Wait for the child within the evaluation's limits; how it ended, in one word."""
        limit = time.monotonic() + self.eval_timeout
        if deadline is not None:
            limit = min(limit, deadline)
        status = "ok"
        try:
            while proc.poll() is None:
                if time.monotonic() > limit:
                    status = "deadline" if deadline is not None and limit == deadline else "timeout"
                    _kill_group(proc)
                    break
                time.sleep(0.02)
        except BaseException:
            _kill_group(proc)
            raise
        returncode = proc.wait()
        if status == "ok" and returncode < 0:
            status = f"signal {-returncode}"
        elif status == "ok" and returncode not in (0, 1, 5):
            status = f"exit {returncode}"
        return status


@dataclass
class ChildRun:
    """What one child process left behind."""

    finished: dict[str, ResultEvent] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)  # in order; a last one unfinished died
    events: list[Event] = field(default_factory=list)
    status: str = "ok"  # ok | timeout | deadline | signal N | exit N
    output: str = ""


def read_events(path: Path) -> ChildRun:
    """The child's stream, decoded by the protocol (the one reader of it)."""
    run = ChildRun()
    if not path.exists():
        return run
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event = decode_event(line)
        except ProtocolError:
            continue  # a line cut by a kill
        run.events.append(event)
        if isinstance(event, StartEvent):
            run.started.append(event.nodeid)
        elif isinstance(event, ResultEvent):
            run.finished[event.nodeid] = event
    return run


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
