"""The plugin's own hooks, as the examples in their docstrings use them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CORRECT_ADD, code_reply, read_prompts

HOOKS = """

def pytest_trace_opt_feedback(report, item):
    if item.name == "test_small":
        return "CUSTOM FEEDBACK: add must return the arithmetic sum"
    return None


def pytest_trace_opt_round(config, record):
    with open("rounds.txt", "a") as out:
        out.write(f"{record.round} {record.status} {record.counts.text()}\\n")


def pytest_trace_opt_result(config, result):
    with open("result.json", "w") as out:
        json.dump({"outcome": result.outcome,
                   "targets": [(t.name, t.status) for t in result.targets]}, out)
"""


def test_feedback_round_and_result_hooks(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path]
) -> None:
    root = buggy_project([code_reply(CORRECT_ADD)])
    conftest = root / "conftest.py"
    conftest.write_text(conftest.read_text() + HOOKS)
    result = pytester.runpytest_subprocess("--trace-optimize")
    assert result.ret == 0
    prompts = read_prompts(root)
    assert len(prompts) == 1
    assert "CUSTOM FEEDBACK: add must return the arithmetic sum" in prompts[0]
    # the other failing test falls through to the default feedback
    assert "FAILED test_calc.py::test_zero" in prompts[0]
    assert "assert -4 == 4" in prompts[0]
    rounds = (root / "rounds.txt").read_text().splitlines()
    assert rounds == ["0 baseline 0/2 visible", "1 accepted 2/2 visible"]
    data = json.loads((root / "result.json").read_text())
    assert data == {"outcome": "fixed", "targets": [["add", "changed"]]}
