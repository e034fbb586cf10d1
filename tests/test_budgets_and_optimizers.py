"""Budgets stop cleanly; every selectable optimizer runs; --trace-apply refuses edited files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import (
    BUGGY_MODULE,
    CORRECT_ADD,
    LLM_PATH_ONLY,
    VISIBLE_TESTS,
    code_reply,
    read_prompts,
)

WRONG = "def add(a, b):\n    return a * b\n"


def test_llm_call_budget_stops_with_the_best_so_far(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path]
) -> None:
    buggy_project([code_reply(WRONG)])
    result = pytester.runpytest_subprocess(
        "--trace-optimize", "--trace-rounds=5", "--trace-max-llm-calls=2",
        "--trace-report-json=report.json",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["stopped: LLM call budget spent (--trace-max-llm-calls=2)"])
    report = json.loads((pytester.path / "report.json").read_text())
    assert report["llm"]["calls"] == 2
    # a tie does not replace the base; the same answer again is not evaluated again
    assert [r["status"] for r in report["rounds"]] == ["baseline", "rejected", "no-proposal"]
    assert "already tried" in report["rounds"][2]["reason"]


def test_a_short_time_budget_is_not_spent_on_loading_trace(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path]
) -> None:
    # Importing Trace's optimizers takes seconds (more on a loaded machine): with 5 s of
    # budget the run once stopped before its first call. Loading is not counted now.
    root = buggy_project([code_reply(CORRECT_ADD)])
    result = pytester.runpytest_subprocess("--trace-optimize", "--trace-timeout=5")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(["trace-opt round 1: 2/2 visible passed; accepted*1 call(s)*"])
    assert len(read_prompts(root)) == 1


SLEEPY_WRONG_CONFTEST = f"""
import time
from types import SimpleNamespace

class SleepyWrongDouble:
    def __call__(self, messages=None, **kwargs):
        time.sleep(2)
        msg = SimpleNamespace(content={code_reply(WRONG)!r})
        return SimpleNamespace(choices=[SimpleNamespace(message=msg)], usage=None)

def pytest_trace_opt_make_llm(config, settings):
    return SleepyWrongDouble()
"""


def test_the_time_budget_still_stops_the_rounds(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(calc=BUGGY_MODULE, test_calc=VISIBLE_TESTS)
    pytester.makeconftest(SLEEPY_WRONG_CONFTEST + LLM_PATH_ONLY)
    result = pytester.runpytest_subprocess(
        "--trace-optimize", "--trace-timeout=6", "--trace-rounds=20", "--trace-report-json=r.json"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    report = json.loads((pytester.path / "r.json").read_text(encoding="utf-8"))
    assert "--trace-timeout" in report["stop_reason"], report["stop_reason"]
    assert 1 <= report["llm"]["calls"] <= 4  # 2 s a call: the 6 s stop it early


def test_token_budget(pytester: pytest.Pytester, buggy_project: Callable[..., Path]) -> None:
    buggy_project([code_reply(WRONG)])  # each scripted call reports 11 + 7 tokens
    result = pytester.runpytest_subprocess(
        "--trace-optimize", "--trace-rounds=5", "--trace-max-tokens=30",
        "--trace-report-json=report.json",
    )  # fmt: skip
    result.stdout.fnmatch_lines(["stopped: LLM token budget spent (--trace-max-tokens=30)"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    report = json.loads((pytester.path / "report.json").read_text())
    # 18 tokens per call: the second call crosses 30, so no third one is made
    assert report["llm"]["calls"] == 2
    assert report["llm"]["prompt_tokens"] + report["llm"]["completion_tokens"] == 36
    assert report["outcome"] != "fixed"


# TextGrad reads its update between its own tags; the others read OptoPrime-style replies.
TEXTGRAD_REPLY = f"<IMPROVED_VARIABLE>{CORRECT_ADD}</IMPROVED_VARIABLE>"


@pytest.mark.parametrize("optimizer", ["OPRO", "OptoPrimeMulti", "TextGrad"])
def test_other_optimizers_run(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path], optimizer: str
) -> None:
    reply = TEXTGRAD_REPLY if optimizer == "TextGrad" else code_reply(CORRECT_ADD)
    buggy_project([reply])
    result = pytester.runpytest_subprocess(
        "--trace-optimize", f"--trace-optimizer={optimizer}", "--trace-rounds=2",
        "--trace-report-json=report.json",
    )  # fmt: skip
    assert "INTERNALERROR" not in result.stdout.str()
    report = json.loads((pytester.path / "report.json").read_text())
    assert report["llm"]["optimizer"] == optimizer
    assert report["llm"]["calls"] >= 1
    # the scripted fix must land: a proposal that is never applied fails here
    assert result.ret == 0, result.stdout.str()[-3000:]
    assert report["outcome"] == "fixed"
    assert report["rounds"][1]["status"] == "accepted"


def test_textgrad_reply_in_another_format_is_no_proposal(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path]
) -> None:
    buggy_project([code_reply(CORRECT_ADD)])  # OptoPrime's JSON, not TextGrad's tags
    result = pytester.runpytest_subprocess(
        "--trace-optimize", "--trace-optimizer=TextGrad", "--trace-rounds=1",
        "--trace-report-json=report.json",
    )  # fmt: skip
    report = json.loads((pytester.path / "report.json").read_text())
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert report["rounds"][1]["status"] == "no-proposal"
    assert report["outcome"] == "unchanged"


EDITING_LLM_CONFTEST = f"""
from pathlib import Path
from types import SimpleNamespace

class EditingUserDouble:
    '''Answers with the fix, after "the user" edited calc.py during the run.'''
    def __call__(self, messages=None, **kwargs):
        path = Path(__file__).with_name("calc.py")
        path.write_text(path.read_text() + "# edited by the user meanwhile\\n")
        msg = SimpleNamespace(content={code_reply(CORRECT_ADD)!r})
        return SimpleNamespace(choices=[SimpleNamespace(message=msg)], usage=None)

def pytest_trace_opt_make_llm(config, settings):
    return EditingUserDouble()
"""


def test_apply_refuses_a_file_changed_during_the_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        calc=BUGGY_MODULE,
        test_calc="import pytest\nfrom calc import add\n\n"
        "@pytest.mark.trainable\ndef test_add():\n    assert add(2, 3) == 5\n",
    )
    pytester.makeconftest(EDITING_LLM_CONFTEST + LLM_PATH_ONLY)
    result = pytester.runpytest_subprocess(
        "--trace-optimize", "--trace-apply", "--trace-sandbox=off"
    )
    result.stdout.fnmatch_lines(["*--trace-apply: not written: calc.py*"])
    text = (pytester.path / "calc.py").read_text()
    assert "return a - b" in text and "# edited by the user meanwhile" in text
    assert not (pytester.path / "calc.py.orig").exists()
