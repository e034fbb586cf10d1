"""Ctrl-C keeps the best result and the checkpoint; --trace-resume finishes the run;
rounds leak neither file descriptors nor child processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import (
    BUGGY_MODULE,
    CORRECT_ADD,
    LLM_PATH_ONLY,
    VISIBLE_TESTS,
    code_reply,
    tree_hashes,
)

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
