"""End to end through real children: every visible test passes, a holdout still fails.

The first reply special-cases the inputs the visible tests show; it gains tests and keeps
every holdout that passed, so it is kept. The holdout that still fails is then counted,
never shown: the next prompt asks for the documented rule, and the general fix is the one
the run ends with. The LLM is the ``ScriptedLLM`` test double (tests/conftest.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import pytest

ORDINAL = '''\
from pytest_trace_opt import trainable


@trainable
def ordinal(n):
    """English ordinal of a positive integer: 1st, 2nd, 3rd, 4th, 11th, 12th, 21st, 111th."""
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
'''

TESTS = """\
import pytest
from ordinals import ordinal


@pytest.mark.trainable
def test_first():
    assert [ordinal(n) for n in (1, 2, 3, 4)] == ["1st", "2nd", "3rd", "4th"]


@pytest.mark.trainable
def test_teens():
    assert [ordinal(n) for n in (11, 12, 13)] == ["11th", "12th", "13th"]


@pytest.mark.trainable(holdout=True)
def test_hundreds():
    assert [ordinal(n) for n in (211, 312, 1013)] == ["211th", "312th", "1013th"]
"""

SPECIAL_CASE = """\
def ordinal(n):
    if n in (11, 12, 13):
        return f"{n}th"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
"""

GENERAL = """\
def ordinal(n):
    if n % 100 in (11, 12, 13):
        return f"{n}th"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
"""


def test_a_fix_that_fits_the_visible_inputs_only_is_followed_by_the_general_one(
    pytester: pytest.Pytester, scripted_llm: Callable[[Sequence[str]], None]
) -> None:
    scripted_llm([f"```python\n{SPECIAL_CASE}```\n", f"```python\n{GENERAL}```\n"])
    pytester.makepyfile(ordinals=ORDINAL, test_ordinals=TESTS)
    report = pytester.path / "report.json"
    out = pytester.runpytest_subprocess(
        "--trace-optimize", "--trace-optimizer=Repair", "--trace-rounds=3",
        "--trace-edit-search=0", f"--trace-report-json={report}",
        "-p", "no:randomly", "-p", "no:cacheprovider",
    )  # fmt: skip
    log = (pytester.path / "prompts.log").read_text("utf-8").splitlines()
    assert len(log) == 2
    second = "\n".join(m["content"] for m in json.loads(log[1]))
    assert "All 2 tests shown pass, but 1 held-out test(s)" in second
    assert "if n in (11, 12, 13):" in second  # it starts from the code it kept
    for hidden in ("test_hundreds", "211", "1013"):  # a holdout is counted, never shown
        assert hidden not in second
    data = json.loads(report.read_text("utf-8"))
    assert [r["status"] for r in data["rounds"]] == ["baseline", "accepted", "accepted"]
    assert data["after"]["holdout_passed"] == data["after"]["holdout_total"] == 1
    assert "n % 100 in (11, 12, 13)" in data["patch"]
    assert out.ret == 0
