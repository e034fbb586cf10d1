"""Live progress while an LLM call runs: the snapshot, the line on a terminal, a plain log.

The end-to-end test runs pytest under a pseudo-terminal with a slow scripted LLM (a test
double behind the ``pytest_trace_opt_make_llm`` hook); the unit tests use
``ReporterFake``, a stand-in for pytest's terminal reporter that records what it is told.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import BUGGY_MODULE, CORRECT_ADD, LLM_PATH_ONLY, VISIBLE_TESTS, code_reply

from pytest_trace_opt.llm.local_backend import _GenerationDeadline
from pytest_trace_opt.llm.progress import CallProgress, CallSnapshot
from pytest_trace_opt.modes import live
from pytest_trace_opt.modes.live import LiveLine


class ClockFake:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_snapshot_exists_only_while_a_call_runs() -> None:
    clock = ClockFake()
    progress = CallProgress(clock)
    assert progress.snapshot() is None
    progress.label = "round 2 [add]"
    progress.begin(counts_tokens=True)
    clock.now += 10
    for _ in range(70):
        progress.token()
    snap = progress.snapshot()
    assert snap is not None
    assert (snap.label, snap.number, snap.elapsed, snap.tokens) == ("round 2 [add]", 1, 10.0, 70)
    assert snap.text() == "round 2 [add]: waiting for the LLM, 10 s, 70 tokens (7.0/s)"
    progress.end()
    assert progress.snapshot() is None
    progress.begin()  # a backend that does not count tokens: seconds only
    assert progress.snapshot() == CallSnapshot("round 2 [add]", 2, 0.0, 0, False)
    assert progress.snapshot().text() == "round 2 [add]: waiting for the LLM, 0 s"  # type: ignore[union-attr]


def test_the_local_backend_counts_each_generated_token() -> None:
    seen: list[int] = []
    deadline = _GenerationDeadline(60, eos_token=0, on_token=lambda: seen.append(1))
    scores = [0.5, 0.1, 0.9]
    for _ in range(3):
        assert deadline([1, 2], scores) is scores
    assert len(seen) == 3


class ReporterFake:
    """Records write_line and rewrite calls as pytest's TerminalReporter would get them."""

    def __init__(self, isatty: bool, width: int = 100) -> None:
        self.isatty = isatty
        self.events: list[tuple[str, str]] = []
        self._tw = type("TW", (), {"fullwidth": width})()

    def write_line(self, line: str, **markup: bool) -> None:
        self.events.append(("line", line))

    def rewrite(self, line: str, **markup: bool) -> None:
        self.events.append(("rewrite", line))


def test_on_a_terminal_the_line_is_rewritten_and_erased_before_other_output() -> None:
    clock = ClockFake()
    progress = CallProgress(clock)
    reporter = ReporterFake(isatty=True)
    line = LiveLine(reporter, progress.snapshot)
    progress.label = "round 1"
    progress.begin(counts_tokens=True)
    progress.token()
    clock.now += 3
    line.update()
    assert reporter.events == [
        ("rewrite", "trace-opt round 1: waiting for the LLM, 3 s, 1 tokens (0.3/s)")
    ]
    line.write_line("trace-opt round 1: 2/2 passed")
    assert reporter.events[1:] == [
        ("rewrite", ""),
        ("rewrite", ""),
        ("line", "trace-opt round 1: 2/2 passed"),
    ]
    progress.end()
    line.update()  # nothing shown: nothing to erase
    assert len(reporter.events) == 4


def test_a_long_label_is_cut_to_the_terminal_width() -> None:
    progress = CallProgress(ClockFake())
    reporter = ReporterFake(isatty=True, width=60)
    progress.label = "round 1 [" + ", ".join(f"function_{i}" for i in range(20)) + "]"
    progress.begin()
    LiveLine(reporter, progress.snapshot).update()
    assert len(reporter.events[0][1]) == 59


def test_a_plain_log_gets_one_line_per_round_and_only_for_a_slow_call() -> None:
    clock = ClockFake()
    progress = CallProgress(clock)
    reporter = ReporterFake(isatty=False)
    line = LiveLine(reporter, progress.snapshot)
    progress.round, progress.label = 1, "round 1 [add]"
    progress.begin()
    line.update()
    assert reporter.events == []  # a fast call leaves no trace in the log
    clock.now += live.PLAIN_AFTER
    line.update()
    progress.round, progress.label = 1, "round 1 [mul]"  # the round's second group: no line
    line.update()
    progress.round, progress.label = 2, "round 2 [add]"
    line.update()
    assert reporter.events == [
        ("line", "trace-opt round 1: waiting for the LLM"),
        ("line", "trace-opt round 2: waiting for the LLM"),
    ]


SLOW_LLM_CONFTEST = """
import json, time
from pathlib import Path
from types import SimpleNamespace

REPLY = json.loads(Path(__file__).with_name("reply.json").read_text("utf-8"))


class SlowScriptedLLM:
    def __call__(self, messages=None, **kwargs):
        time.sleep(3)
        message = SimpleNamespace(content=REPLY)
        return SimpleNamespace(
            choices=[SimpleNamespace(message=message)],
            usage={"prompt_tokens": 11, "completion_tokens": 7},
        )


def pytest_trace_opt_make_llm(config, settings):
    return SlowScriptedLLM()
"""


def run_in_pty(args: list[str], cwd: Path, timeout: float = 240) -> str:
    """Run a command with a pseudo-terminal as its stdout and stderr; return what it wrote."""
    main, secondary = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    env.pop("CI", None)
    proc = subprocess.Popen(args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=secondary,
                            stderr=secondary, env=env, close_fds=True)  # fmt: skip
    os.close(secondary)
    chunks: list[bytes] = []
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            ready, _, _ = select.select([main], [], [], 0.5)
            if ready:
                try:
                    data = os.read(main, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        os.close(main)
    return b"".join(chunks).decode("utf-8", "replace")


def test_live_progress_shows_under_a_pseudo_terminal(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SLOW_LLM_CONFTEST + LLM_PATH_ONLY)
    (pytester.path / "reply.json").write_text(json_text(code_reply(CORRECT_ADD)), "utf-8")
    pytester.makepyfile(calc=BUGGY_MODULE, test_calc=VISIBLE_TESTS)
    out = run_in_pty(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", "--trace-optimize",
         "--trace-rounds=1"],
        pytester.path,
    )  # fmt: skip
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    # rewritten in place: a carriage return, then the call in flight with its seconds
    assert re.search(r"\rtrace-opt round 1: waiting for the LLM, [1-9] s", plain), plain[-3000:]
    assert "trace-opt round 1: 2/2 visible passed" in plain
    # erased before the round's own line: that line starts clean
    round_line = next(ln for ln in plain.splitlines() if "trace-opt round 1: 2/2 visible" in ln)
    assert "waiting" not in round_line.split("\r")[-1]


def test_a_plain_log_says_once_that_the_round_waits(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SLOW_LLM_CONFTEST + LLM_PATH_ONLY)
    (pytester.path / "reply.json").write_text(json_text(code_reply(CORRECT_ADD)), "utf-8")
    pytester.makepyfile(calc=BUGGY_MODULE, test_calc=VISIBLE_TESTS)
    result = pytester.runpytest_subprocess("-q", "--trace-optimize", "--trace-rounds=1")
    out = result.stdout.str()
    assert out.count("trace-opt round 1: waiting for the LLM") == 1, out
    assert "\r" not in out
    result.stdout.fnmatch_lines(
        ["trace-opt round 1: waiting for the LLM", "trace-opt round 1: 2/2 visible passed*"]
    )


def json_text(value: Any) -> str:
    return json.dumps(value)


def test_the_background_import_silences_trace_banner_but_not_the_main_thread() -> None:
    script = (
        "import sys, threading, time\n"
        "from pytest_trace_opt.core.optoprime import import_optimizers\n"
        "worker = threading.Thread(target=import_optimizers)\n"
        "worker.start()\n"
        "for i in range(3):\n"
        "    print('main', i, flush=True)\n"
        "    time.sleep(0.3)\n"
        "worker.join()\n"
        "print('stdout restored:', type(sys.stdout).__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:3] == ["main 0", "main 1", "main 2"]
    assert "default LLM backend" not in done.stdout  # opto's import-time banner
    assert "stdout restored: TextIOWrapper" in done.stdout
