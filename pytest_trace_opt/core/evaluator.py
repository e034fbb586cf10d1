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
    TargetInfo,
    decode_event,
)
from pytest_trace_opt.sandbox import Sandbox

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
        started = time.monotonic()
        tests: dict[str, TestResult] = {}
        targets: dict[str, TargetInfo] = {}
        collect_errors: list[str] = []
        problems: list[str] = []
        remaining = list(nodeids)
        workdir = Path(tempfile.mkdtemp(prefix="trace-opt-eval-"))
        try:
            attempt = 0
            while remaining:
                attempt += 1
                if self.sandbox is not None:
                    self.sandbox.refresh()
                finished, started_ids, events, output, status = self._run_child(
                    workdir / f"run{attempt}", candidate, remaining, serialize_reports, deadline
                )
                for event in events:
                    if isinstance(event, CollectErrorEvent):
                        collect_errors.append(event.text)
                for nodeid, result_event in finished.items():
                    tests[nodeid] = TestResult.from_event(result_event)
                    if result_event.record is not None:
                        for info in result_event.record.targets:
                            targets.setdefault(info.key, info)
                crashed = [n for n in started_ids if n not in finished]
                for nodeid in crashed:
                    tests[nodeid] = TestResult(
                        nodeid, "timeout" if status == "timeout" else "crashed",
                        feedback=[_crash_feedback(nodeid, status, self.eval_timeout, output)],
                    )  # fmt: skip
                progress = bool(finished) or bool(crashed)
                remaining = [n for n in remaining if n not in tests]
                if remaining and not progress:
                    why = _no_progress_reason(status, output, collect_errors)
                    problems.append(why)
                    for nodeid in remaining:
                        tests[nodeid] = TestResult(nodeid, "error", feedback=[f"{nodeid}: {why}"])
                    break
                if status == "deadline":
                    raise EvaluationAborted("the wall-clock budget ran out during an evaluation")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        self.runs += 1
        return Evaluation(tests, targets, collect_errors, problems, time.monotonic() - started)

    def _run_child(
        self,
        workdir: Path,
        candidate: dict[str, Any],
        nodeids: Sequence[str],
        serialize_reports: bool,
        deadline: float | None,
    ) -> tuple[dict[str, ResultEvent], list[str], list[Event], str, str]:
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
        env = dict(os.environ)
        env.update(self.extra_env)
        env[CHILD_ENV] = str(spec_path)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTEST_ADDOPTS", None)
        command = [
            self.python, "-m", "pytest", *self.plugin_args, *self.user_args,
            "-p", "no:cacheprovider", "-q", "--tb=short", "-rN", "--no-header",
            "--rootdir", str(self.workdir), f"@{args_file}",
        ]  # fmt: skip
        log_path = workdir / "output.txt"
        status = "ok"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the controller only
            )
            limit = time.monotonic() + self.eval_timeout
            if deadline is not None:
                limit = min(limit, deadline)
            try:
                while proc.poll() is None:
                    if time.monotonic() > limit:
                        status = (
                            "deadline" if deadline is not None and limit == deadline else "timeout"
                        )
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
        finished: dict[str, ResultEvent] = {}
        started_ids: list[str] = []
        events: list[Event] = []
        if results.exists():
            for line in results.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    event = decode_event(line)
                except ProtocolError:
                    continue  # a line cut by a kill
                events.append(event)
                if isinstance(event, StartEvent):
                    started_ids.append(event.nodeid)
                elif isinstance(event, ResultEvent):
                    finished[event.nodeid] = event
        output = log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        return finished, started_ids, events, output, status


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def _crash_feedback(nodeid: str, status: str, eval_timeout: float, output: str) -> str:
    if status == "timeout":
        return (
            f"{nodeid}: the evaluation was killed after {eval_timeout:g} s while this test "
            "ran: likely an infinite loop that the per-test timeout could not interrupt"
        )
    tail = "\n".join(output.strip().splitlines()[-5:])
    return (
        f"{nodeid}: the test process died during this test ({status}): the code under "
        f"test called os._exit, crashed the interpreter or ran out of memory.\n{tail}"
    )


def _no_progress_reason(status: str, output: str, collect_errors: list[str]) -> str:
    if collect_errors:
        return "collection failed: " + collect_errors[-1].strip().splitlines()[-1][:300]
    tail = " | ".join(output.strip().splitlines()[-3:])[:400]
    return f"the test process ran no test ({status}): {tail}"
