"""Ctrl-C keeps the best result and the checkpoint; --trace-resume finishes the run;
rounds leak neither file descriptors nor child processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import (
    BUGGY_MODULE,
    CORRECT_ADD,
    LLM_PATH_ONLY,
    VISIBLE_TESTS,
    code_reply,
    tree_hashes,
)

SECRET = "sk-test-interrupts-0123456789"  # set in the environment: no output may show it

SLOW_LLM_CONFTEST = """
import json, pathlib, time
from types import SimpleNamespace

class SlowLLMDouble:
    '''Announces the call in a file, then takes a long time: the test interrupts it.'''
    def __call__(self, messages=None, **kwargs):
        pathlib.Path("llm-called").write_text("yes")
        time.sleep(120)
        raise AssertionError("the test should have interrupted this call")

def pytest_trace_opt_make_llm(config, settings):
    return SlowLLMDouble()
"""

FIXING_LLM_CONFTEST = f"""
from types import SimpleNamespace

class FixingLLMDouble:
    def __call__(self, messages=None, **kwargs):
        content = {code_reply(CORRECT_ADD)!r}
        msg = SimpleNamespace(content=content)
        return SimpleNamespace(choices=[SimpleNamespace(message=msg)], usage=None)

def pytest_trace_opt_make_llm(config, settings):
    return FixingLLMDouble()
"""


def test_ctrl_c_keeps_state_and_resume_finishes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(calc=BUGGY_MODULE, test_calc=VISIBLE_TESTS)
    pytester.makeconftest(SLOW_LLM_CONFTEST + LLM_PATH_ONLY)
    sources = {k: v for k, v in tree_hashes(pytester.path).items() if k != "conftest.py"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "--trace-optimize", "--trace-rounds=3"],
        cwd=pytester.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (pytester.path / "llm-called").exists():
            assert proc.poll() is None, proc.communicate()[0]
            assert time.monotonic() < deadline, "the LLM was never called"
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, out
    assert "Traceback" not in out and "INTERNALERROR" not in out, out
    assert "interrupted" in out
    (pytester.path / "llm-called").unlink()
    after = {k: v for k, v in tree_hashes(pytester.path).items() if k != "conftest.py"}
    assert after == sources
    state = pytester.path / ".pytest_cache" / "d" / "trace-opt" / "state.json"
    assert json.loads(state.read_text())["rounds_done"] == 0

    pytester.makeconftest(FIXING_LLM_CONFTEST + LLM_PATH_ONLY)
    result = pytester.runpytest_subprocess("--trace-optimize", "--trace-resume")
    result.stdout.fnmatch_lines(["*resuming after round 0*", "*outcome: every tagged test passes*"])
    assert result.ret == 0


LEAK_PROBE_CONFTEST = """
import json, os, pathlib

def _children():
    pid = os.getpid()
    found = []
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += text
    return found

def pytest_trace_opt_round(config, record):
    entry = {"round": record.round, "fds": len(os.listdir("/proc/self/fd")),
             "children": _children()}
    with open("probe.jsonl", "a") as out:
        out.write(json.dumps(entry) + "\\n")
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_rounds_leak_no_descriptors_or_children(pytester: pytest.Pytester) -> None:
    wrong = "def add(a, b):\n    return a * b\n"
    tests = "\n".join(
        f"@pytest.mark.trainable\ndef test_{i}():\n    assert add({i}, 1) == {i + 1}\n"
        for i in range(40)
    )
    pytester.makepyfile(
        calc=BUGGY_MODULE, test_calc="import pytest\nfrom calc import add\n\n" + tests
    )
    pytester.makeconftest(
        LEAK_PROBE_CONFTEST
        + LLM_PATH_ONLY
        + f"""
from types import SimpleNamespace

class WrongFixDouble:
    def __call__(self, messages=None, **kwargs):
        msg = SimpleNamespace(content={code_reply(wrong)!r})
        return SimpleNamespace(choices=[SimpleNamespace(message=msg)], usage=None)

def pytest_trace_opt_make_llm(config, settings):
    return WrongFixDouble()
"""
    )
    result = pytester.runpytest_subprocess("--trace-optimize", "--trace-rounds=6")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    probes = [json.loads(line) for line in (pytester.path / "probe.jsonl").read_text().splitlines()]
    assert [p["round"] for p in probes] == list(range(7))
    assert all(p["children"] == [] for p in probes), probes
    # After the first round (LLM and optimizer loaded), descriptors stay flat.
    assert len({p["fds"] for p in probes[1:]}) == 1, probes


# An untagged test runs only in the final check: it announces itself, then takes its time.
SLOW_UNTAGGED_TEST = """

def test_untagged_and_slow():
    import pathlib, time
    pathlib.Path(__file__).with_name("final-check-running").write_text("yes")
    time.sleep(30)
"""


def test_ctrl_c_twice_during_the_final_check_reports_and_applies_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    pytester.makepyfile(calc=BUGGY_MODULE, test_calc=VISIBLE_TESTS + SLOW_UNTAGGED_TEST)
    pytester.makeconftest(FIXING_LLM_CONFTEST + LLM_PATH_ONLY)
    sources = tree_hashes(pytester.path)
    report = pytester.path.parent / f"{pytester.path.name}-report.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "--trace-optimize", "--trace-apply",
         "--trace-sandbox=copy", f"--trace-report-json={report}"],
        cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        # the sandbox copy holds the marker: find it wherever the copy is
        deadline = time.monotonic() + 120
        while not _marker_written(pytester.path, "final-check-running"):
            assert proc.poll() is None, proc.communicate()[0]
            assert time.monotonic() < deadline, "the final check never started"
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, out
    assert "Traceback" not in out and "INTERNALERROR" not in out, out
    assert "interrupted (Ctrl-C / SIGTERM) during the final check" in out
    assert "trace-opt summary" in out
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["apply_note"] == "not applied: the final check was interrupted"
    assert data["applied"] == []
    assert "during the final check" in data["stop_reason"]
    assert tree_hashes(pytester.path) == sources  # --trace-apply wrote nothing
    assert SECRET not in out + report.read_text(encoding="utf-8")


PARTIAL_REPLY = code_reply("def add(a, b):\n    return abs(a + b)\n")
PARTIAL_THEN_FIXING_CONFTEST = f"""
import pathlib
from types import SimpleNamespace

REPLIES = {{
    "partial": {PARTIAL_REPLY!r},
    "fix": {code_reply(CORRECT_ADD)!r},
}}

class ReplyFromFileDouble:
    def __call__(self, messages=None, **kwargs):
        which = pathlib.Path(__file__).with_name("reply").read_text().strip()
        msg = SimpleNamespace(content=REPLIES[which])
        return SimpleNamespace(choices=[SimpleNamespace(message=msg)], usage=None)

def pytest_trace_opt_make_llm(config, settings):
    return ReplyFromFileDouble()
"""

THREE_TESTS = (
    VISIBLE_TESTS
    + """

@pytest.mark.trainable
def test_negative():
    assert add(-1, -1) == -2
"""
)


def test_resume_keeps_the_best_so_far_and_compares_with_the_original(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    pytester.makepyfile(calc=BUGGY_MODULE, test_calc=THREE_TESTS)
    pytester.makeconftest(PARTIAL_THEN_FIXING_CONFTEST + LLM_PATH_ONLY)
    (pytester.path / "reply").write_text("partial")
    first = pytester.runpytest_subprocess("--trace-optimize", "--trace-rounds=1")
    first.stdout.fnmatch_lines(["trace-opt round 1: 2/3 visible passed; accepted*"])
    (pytester.path / "reply").write_text("fix")
    resumed = pytester.runpytest_subprocess(
        "--trace-optimize", "--trace-resume", "--trace-rounds=2"
    )
    assert resumed.ret == pytest.ExitCode.OK, resumed.stdout.str()
    resumed.stdout.fnmatch_lines(
        [
            "*resuming after round 1*",
            "trace-opt round 2: 3/3 visible passed; accepted*",
            "outcome: every tagged test passes with the proposed change",
            "tagged tests: before 0/3 visible; after 3/3 visible",
            "+    return a + b",
        ]
    )
    assert SECRET not in first.stdout.str() + resumed.stdout.str() + resumed.stderr.str()


def test_an_unwritable_cache_costs_the_checkpoint_only(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    pytester.makepyfile(calc=BUGGY_MODULE, test_calc=VISIBLE_TESTS)
    pytester.makeconftest(FIXING_LLM_CONFTEST + LLM_PATH_ONLY)
    before = tree_hashes(pytester.path)
    result = pytester.runpytest_subprocess(
        "--trace-optimize", "-o", "cache_dir=/proc/trace-opt-no-cache"
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert "INTERNALERROR" not in result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "trace-opt: no checkpoint: /proc/trace-opt-no-cache cannot be written (*); "
            "--trace-resume will not be able to continue this run",
            "outcome: every tagged test passes with the proposed change",
        ]
    )
    assert SECRET not in result.stdout.str() + result.stderr.str()
    assert tree_hashes(pytester.path) == before  # not asked to apply: nothing written


def test_a_change_that_fails_in_the_final_check_is_not_proposed(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    # Right in its round and on the re-run (calls 1-4), wrong from the fifth call on: the
    # final check. The counter lives outside the sandbox copy (no walls), as a cache would.
    counter = pytester.path.parent / f"{pytester.path.name}-calls"
    candidate = (
        "def add(a, b):\n"
        "    import pathlib\n"
        f"    counter = pathlib.Path({str(counter)!r})\n"
        "    calls = int(counter.read_text()) + 1 if counter.exists() else 1\n"
        "    counter.write_text(str(calls))\n"
        "    return a + b if calls <= 4 else a - b\n"
    )
    conftest = FIXING_LLM_CONFTEST.replace(
        repr(code_reply(CORRECT_ADD)), repr(code_reply(candidate))
    )
    pytester.makepyfile(calc=BUGGY_MODULE, test_calc=VISIBLE_TESTS)
    pytester.makeconftest(conftest + LLM_PATH_ONLY)
    result = pytester.runpytest_subprocess(
        "--trace-optimize", "--trace-sandbox=copy", "--trace-patch=fix.patch"
    )
    out = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, out
    result.stdout.fnmatch_lines(
        [
            "trace-opt round 1: 2/2 visible passed; accepted*",
            "outcome: no candidate improved on the original code",
            "*the accepted change passed 2/2 visible in its rounds but 0/2 visible in the final "
            "check, no better than the original: no change is proposed*",
        ]
    )
    assert "apply it with" not in out
    assert SECRET not in out + result.stderr.str()
    assert (
        not (pytester.path / "fix.patch").exists()
        or not (pytester.path / "fix.patch").read_text().strip()
    )


# A tagged test that announces itself, then takes its time: round 0's evaluation runs it.
SLOW_TAGGED_TEST = """

@pytest.mark.trainable
def test_tagged_and_slow():
    import pathlib, time
    pathlib.Path(__file__).with_name("evaluation-running").write_text("yes")
    time.sleep(30)
"""


def test_ctrl_c_during_an_evaluation_reaps_the_child(pytester: pytest.Pytester) -> None:
    """The killed child is waited for: no zombie, and no 'subprocess is still running'
    warning from a dropped process handle at exit."""
    pytester.makepyfile(calc=BUGGY_MODULE, test_calc=VISIBLE_TESTS + SLOW_TAGGED_TEST)
    pytester.makeconftest(SLOW_LLM_CONFTEST + LLM_PATH_ONLY)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "--trace-optimize", "-W", "error::ResourceWarning"],
        cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not _marker_written(pytester.path, "evaluation-running"):
            assert proc.poll() is None, proc.communicate()[0]
            assert time.monotonic() < deadline, "the evaluation never started"
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, out
    assert "still running" not in out and "Exception ignored" not in out, out
    assert "Traceback" not in out and "INTERNALERROR" not in out, out


def _marker_written(root: Path, name: str) -> bool:
    """In the tree or in a private copy of it, wherever the evaluation runs."""
    import glob
    import tempfile

    pattern = os.path.join(tempfile.gettempdir(), "trace-opt-*", "**", name)
    return (root / name).exists() or bool(glob.glob(pattern, recursive=True))
