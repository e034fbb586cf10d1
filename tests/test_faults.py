"""Hostile candidates and broken replies: the session completes, nothing is written."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import code_reply, read_prompts, tree_hashes

# test_b_zero passes with the bug, so a candidate that breaks every test passes fewer.
TESTS = """\
import pytest

from calc import add


@pytest.mark.trainable
def test_small():
    assert add(2, 3) == 5


@pytest.mark.trainable
def test_zero():
    assert add(0, 4) == 4


@pytest.mark.trainable
def test_b_zero():
    assert add(5, 0) == 5
"""

FAST = ("--trace-optimize", "--trace-rounds", "1", "--trace-test-timeout", "1")


SECRET = "sk-test-faults-0123456789"


def run_fault(
    pytester: pytest.Pytester,
    buggy_project: Callable[..., Path],
    replies: list[str],
    *extra: str,
) -> tuple[pytest.RunResult, dict]:
    root = buggy_project(replies, tests=TESTS)
    before = tree_hashes(root)
    report = root.parent / f"{root.name}-report.json"
    previous_key = os.environ.get("OPENAI_API_KEY")
    os.environ["OPENAI_API_KEY"] = SECRET  # no output may show it
    try:
        result = pytester.runpytest_subprocess(
            *FAST, *extra, "--trace-report-json", str(report), timeout=120
        )
    finally:
        if previous_key is None:
            os.environ.pop("OPENAI_API_KEY", None)
        else:
            os.environ["OPENAI_API_KEY"] = previous_key
    written = result.stdout.str() + result.stderr.str() + report.read_text(encoding="utf-8")
    assert SECRET not in written + "".join(read_prompts(root))
    # the session completed: the final check replayed both tests and they still fail
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()[-3000:]
    result.stdout.fnmatch_lines(["*2 failed, 1 passed*"])
    result.stdout.fnmatch_lines(["outcome: no candidate improved on the original code"])
    assert tree_hashes(root) == before
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["outcome"] in ("unchanged", "error")
    assert data["patch"] == ""
    return result, data


@pytest.mark.parametrize(
    ("code", "marker"),
    [
        ("def add(a, b):\n    while True:\n        pass\n", "timed out"),
        # spelled past the static check (replies.reach), to reach the run-time guards
        ("import os\ndef add(a, b):\n    getattr(os, '_e' + 'xit')(1)\n", "died"),
        (
            "import os\ndef add(a, b):\n    getattr(os, '_e' + 'xit')(0)\n",
            "exited with status 0 before the test",
        ),
        ("import sys\ndef add(a, b):\n    sys.exit(0)\n", "SystemExit"),
        ("def add(a, b):\n    raise KeyboardInterrupt\n", "KeyboardInterrupt"),
        ("def add(a, b):\n    return add(a, b)\n", "RecursionError"),
        # past the interpreter's guard: the C stack overflows (a crash) or the deadline ends it
        ("import sys\ndef add(a, b):\n    sys.setrecursionlimit(10**7)\n    return add(a, b)\n",
         ("died", "timed out")),
        ("def add(a, b):\n    x = bytearray(10 * 1024**3)\n    return a + b\n", "MemoryError"),
        ("def add(a, b):\n    print('x' * 5_000_000)\n    return a * b\n", "assert"),
    ],
    ids=[
        "infinite-loop",
        "os-exit",
        "os-exit-0",
        "sys-exit",
        "keyboard-interrupt",
        "recursion",
        "recursion-limit-raised",
        "10GB-allocation",
        "prints-megabytes",
    ],  # fmt: skip
)
def test_hostile_candidate_is_rejected(
    pytester: pytest.Pytester,
    buggy_project: Callable[..., Path],
    code: str,
    marker: str | tuple[str, ...],
) -> None:
    result, data = run_fault(pytester, buggy_project, [code_reply(code)], "-v")
    rounds = data["rounds"]
    assert [r["status"] for r in rounds] == ["baseline", "rejected"]
    assert rounds[1]["counts"]["visible_passed"] == 0
    assert "passes fewer tests" in rounds[1]["reason"]
    # Why the candidate failed is kept in the round's notes and printed under the round.
    markers = (marker,) if isinstance(marker, str) else marker
    assert any(m in note for m in markers for note in rounds[1]["notes"]), rounds[1]["notes"]
    assert any(m in result.stdout.str() for m in markers)


# Reply-level faults never reach a child; they share one session with one round each.
HUGE = code_reply("def add(a, b):\n    return a + b\n" + "# padding\n" * 400_000)
REPLY_FAULTS = [
    ("syntax error", code_reply("def add(a, b)\n    return a +\n")),
    ("other function name", code_reply("def plus(a, b):\n    return a + b\n")),
    ("empty reply", ""),
    ("non-JSON reply", "I am not sure what to change here."),
    ("TERMINATE", json.dumps({"reasoning": "done", "answer": "TERMINATE", "suggestion": {}})),
    ("JSON without suggestion", json.dumps({"reasoning": "hmm", "answer": "no idea"})),
    ("unknown parameter", json.dumps({"reasoning": "", "answer": "", "suggestion": {"b0": 3}})),
    ("signature change", code_reply("def add(a, b, c):\n    return a + b + c\n")),
    ("several MB", HUGE),
]


@pytest.mark.parametrize(
    ("optimizer", "terminate"), [("Repair", "no-proposal"), ("OptoPrime", "terminated")]
)
def test_unusable_replies_each_cost_one_round(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path], optimizer: str, terminate: str
) -> None:
    assert len(HUGE) > 4_000_000
    replies = [text for _, text in REPLY_FAULTS]
    _, data = run_fault(
        pytester, buggy_project, replies, "--trace-rounds", str(len(replies)), "-v",
        f"--trace-optimizer={optimizer}",
    )  # fmt: skip
    rounds = data["rounds"][1:]
    assert len(rounds) == len(REPLY_FAULTS)
    by_name = dict(zip([name for name, _ in REPLY_FAULTS], rounds, strict=True))
    for name, record in by_name.items():
        assert record["status"] in ("no-proposal", "terminated", "rejected"), name
        assert record["counts"]["visible_passed"] == 1, name  # test_b_zero passes with the bug
        assert record["llm_calls"] == 1, name
    assert by_name["TERMINATE"]["status"] == terminate  # Repair's prompt has no TERMINATE
    assert by_name["empty reply"]["status"] == "no-proposal"
    assert by_name["non-JSON reply"]["status"] == "no-proposal"
    assert by_name["other function name"]["status"] == "no-proposal"
    assert by_name["syntax error"]["status"] == "no-proposal"
    assert by_name["JSON without suggestion"]["status"] == "no-proposal"
    assert by_name["unknown parameter"]["status"] == "no-proposal"
    assert by_name["signature change"]["status"] == "no-proposal"
    assert any("signature" in note for note in by_name["signature change"]["notes"])
    # the report keeps replies bounded
    assert len(by_name["several MB"]["response"]) <= 4000
    assert data["llm"]["calls"] == len(REPLY_FAULTS)


def test_prompt_stays_bounded_when_a_candidate_prints_megabytes(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path]
) -> None:
    noisy = "def add(a, b):\n    print('x' * 5_000_000)\n    return a - b\n"
    root = buggy_project([code_reply(noisy), code_reply(noisy)], tests=TESTS)
    pytester.runpytest_subprocess(*FAST, "--trace-rounds", "2")
    prompts = read_prompts(root)
    assert len(prompts) == 2
    assert all(len(p) < 20_000 for p in prompts), [len(p) for p in prompts]


def test_candidate_with_helper_and_import_works(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path]
) -> None:
    code = "import operator\n\ndef _plus(a, b):\n    return operator.add(a, b)\n\n" + (
        "def add(a, b):\n    return _plus(a, b)\n"
    )
    buggy_project([code_reply(code)], tests=TESTS)
    result = pytester.runpytest_subprocess(*FAST)
    assert result.ret == 0, result.stdout.str()[-2000:]
    result.stdout.fnmatch_lines(["*+import operator*", "*+def _plus(a, b):*"])


SLOW_FEEDBACK_HOOK = """

def pytest_trace_opt_feedback(report, item):
    import time
    time.sleep(1.6)  # past --trace-test-timeout=1: the alarm fires inside report code
    return "slow feedback for " + item.name
"""


def test_the_per_test_alarm_never_fires_inside_the_plugins_report_code(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path]
) -> None:
    root = buggy_project([code_reply("def add(a, b):\n    return a + b\n")])
    conftest = root / "conftest.py"
    conftest.write_text(conftest.read_text(encoding="utf-8") + SLOW_FEEDBACK_HOOK, "utf-8")
    result = pytester.runpytest_subprocess(
        "--trace-optimize", "--trace-rounds=1", "--trace-test-timeout=1", "-p", "no:randomly"
    )
    out = result.stdout.str()
    assert "INTERNALERROR" not in out and "timed out" not in out, out[-3000:]
    assert "a + b" not in (root / "calc.py").read_text(encoding="utf-8")  # nothing applied
    result.stdout.fnmatch_lines(["trace-opt round 0: 0/2 visible passed*"])
    assert any("slow feedback for test_small" in p for p in read_prompts(root))
