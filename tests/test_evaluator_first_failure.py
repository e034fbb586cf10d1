"""The evaluator's short run (``first_failure``), with real child processes: it ends at
the first test that does not pass, so an edit that makes every test hang costs one time
limit, not one per test; the tests after it are reported as not run."""

from __future__ import annotations

import time
from pathlib import Path

from pytest_trace_opt.core.evaluator import Evaluator
from pytest_trace_opt.settings import Settings

MODULE = """\
from pytest_trace_opt import trainable


@trainable
def double(x):
    return x + x
"""
TESTS = """\
import pytest

from doubling import double


@pytest.mark.trainable
@pytest.mark.parametrize("x", [1, 2, 3])
def test_double(x):
    assert double(x) == 2 * x
"""
IDS = [f"test_doubling.py::test_double[{x}]" for x in (1, 2, 3)]
KEY = "doubling.py::double"
HANGS = "def double(x):\n    while True:\n        pass\n"


def evaluator(root: Path) -> Evaluator:
    limits = Settings(test_timeout=1.0).child_limits()
    return Evaluator(rootdir=root, plugin_args=[], user_args=[], limits=limits, eval_timeout=60)


def test_the_short_run_stops_at_the_first_failure(tmp_path: Path) -> None:
    (tmp_path / "doubling.py").write_text(MODULE, encoding="utf-8")
    (tmp_path / "test_doubling.py").write_text(TESTS, encoding="utf-8")
    runner = evaluator(tmp_path)
    assert [runner.run({}, IDS).tests[n].outcome for n in IDS] == ["passed"] * 3

    started = time.monotonic()
    whole = runner.run({KEY: HANGS}, IDS)
    whole_seconds = time.monotonic() - started
    assert not any(whole.tests[n].passed for n in IDS)  # each ran into the time limit

    started = time.monotonic()
    short = runner.run({KEY: HANGS}, IDS, first_failure=True)
    short_seconds = time.monotonic() - started
    assert not short.tests[IDS[0]].passed
    assert [short.tests[n].outcome for n in IDS[1:]] == ["error", "error"]
    assert "not run" in short.tests[IDS[1]].feedback[0]
    assert short_seconds < whole_seconds  # one time limit instead of three

    wrong = "def double(x):\n    return x * 3\n"
    outcomes = [runner.run({KEY: wrong}, IDS, first_failure=True).tests[n].outcome for n in IDS]
    assert outcomes == ["failed", "error", "error"]  # the child itself stopped (--maxfail=1)
