"""JUnit properties of an optimization, and the same result with and without ``-n 2``."""

from __future__ import annotations

import importlib.util
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CORRECT_ADD, code_reply

TESTS = """\
import pytest

from calc import add


@pytest.mark.trainable
def test_small():
    assert add(2, 3) == 5


@pytest.mark.trainable
def test_b_zero():
    assert add(5, 0) == 5


@pytest.mark.trainable(holdout=True)
def test_holdout():
    assert add(10, 1) == 11


def test_untagged_helper():
    assert True
"""

needs_xdist = pytest.mark.skipif(
    importlib.util.find_spec("xdist") is None, reason="pytest-xdist is not installed"
)


def _properties(case: ET.Element) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in case.iter("property")}


def _run(pytester: pytest.Pytester, *extra: str) -> tuple[pytest.RunResult, dict, ET.Element]:
    result = pytester.runpytest_subprocess(
        "--trace-optimize",
        "--trace-rounds=2",
        "--junitxml=junit.xml",
        "--trace-report-json=report.json",
        *extra,
    )
    report = json.loads((pytester.path / "report.json").read_text())
    return result, report, ET.parse(pytester.path / "junit.xml").getroot()


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["no-xdist", "n2"])
def test_junit_properties(
    pytester: pytest.Pytester,
    buggy_project: Callable[..., Path],
    workers: list[str],
) -> None:
    if workers and importlib.util.find_spec("xdist") is None:
        pytest.skip("pytest-xdist is not installed")
    buggy_project([code_reply(CORRECT_ADD)], tests=TESTS)
    result, report, root = _run(pytester, *workers)
    assert result.ret == 0, result.stdout.str()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"test_small", "test_b_zero", "test_holdout", "test_untagged_helper"}
    small = _properties(cases["test_small"])
    assert small["trace_opt.role"] == "visible"
    assert small["trace_opt.targets"] == "add"
    assert small["trace_opt.passing_since_round"] == "1"
    assert _properties(cases["test_b_zero"])["trace_opt.passing_since_round"] == "0"
    assert _properties(cases["test_holdout"])["trace_opt.role"] == "holdout"
    assert _properties(cases["test_untagged_helper"]) == {}
    suite = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert suite["trace_opt.outcome"] == "fixed"
    assert suite["trace_opt.changed_targets"] == "add"
    assert report["outcome"] == "fixed"


@needs_xdist
def test_same_result_with_and_without_xdist(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path]
) -> None:
    wrong = "def add(a, b):\n    return a * b\n"
    buggy_project([code_reply(wrong), code_reply(CORRECT_ADD)], tests=TESTS)
    outcomes = []
    for extra in ([], ["-n", "2"]):
        result, report, _ = _run(pytester, *extra)
        assert result.ret == 0, result.stdout.str()
        outcomes.append(
            (
                report["outcome"],
                [
                    (r["round"], r["status"], r["counts"]["visible_passed"])
                    for r in report["rounds"]
                ],
                report["patch"],
            )
        )
    assert outcomes[0] == outcomes[1]
