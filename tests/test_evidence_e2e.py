"""End to end through real children: what a failing test tells the optimizer.

The project's tests run in real child processes; the LLM is the ``ScriptedLLM`` test double
(tests/conftest.py), which logs every prompt it receives. For each optimizer the prompt must
carry the failing case's expected value and arguments as the test wrote them, a recursion
said once instead of a thousand frames, and (for Repair) the line the failing tests ran
and the passing ones did not.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import pytest
from conftest import code_reply

SEARCH = '''\
"""Binary search over sorted lists."""
from pytest_trace_opt import trainable

NOT_FOUND = -1  # what a miss returns


@trainable
def find(items, target, lo=0, hi=None):
    """Index of target in the sorted list items, or NOT_FOUND."""
    if hi is None:
        hi = len(items)
    if lo >= hi:
        return NOT_FOUND
    mid = (lo + hi) // 2
    if items[mid] == target:
        return mid
    if items[mid] < target:
        return find(items, target, mid, hi)
    return find(items, target, lo, mid)
'''

TESTS = """\
import pytest
from search import find


@pytest.mark.trainable
@pytest.mark.parametrize(
    "items,target,expected", [([1, 2, 3], 2, 1), ([1, 2, 3], 1, 0), ([1, 2, 3], 5, -1)]
)
def test_find(items, target, expected):
    assert find(items, target) == expected
"""

FIXED = """\
def find(items, target, lo=0, hi=None):
    if hi is None:
        hi = len(items)
    if lo >= hi:
        return NOT_FOUND
    mid = (lo + hi) // 2
    if items[mid] == target:
        return mid
    if items[mid] < target:
        return find(items, target, mid + 1, hi)
    return find(items, target, lo, mid)
"""

REPLIES = {
    "OptoPrime": code_reply(FIXED),
    "Repair": f"The right half must skip mid.\n```python\n{FIXED}```\n",
}


@pytest.mark.parametrize("optimizer", ["OptoPrime", "Repair"])
def test_prompt_carries_the_evidence_of_the_failing_case(
    pytester: pytest.Pytester, scripted_llm: Callable[[Sequence[str]], None], optimizer: str
) -> None:
    scripted_llm([REPLIES[optimizer]])
    pytester.makepyfile(search=SEARCH, test_search=TESTS)
    out = pytester.runpytest_subprocess(
        "--trace-optimize", f"--trace-optimizer={optimizer}", "--trace-rounds=1",
        "-p", "no:randomly", "-p", "no:cacheprovider",
    )  # fmt: skip
    log = (pytester.path / "prompts.log").read_text("utf-8").splitlines()
    prompt = "\n".join(m["content"] for m in json.loads(log[0]))
    # the expected value and the arguments as the test wrote them
    assert "([1, 2, 3], 5, -1)" in prompt
    assert "items=[1, 2, 3], target=5, expected=-1" in prompt
    # a recursion said once, with what did not change
    assert prompt.count("return find(items, target, mid, hi)") <= 3
    assert "RecursionError" in prompt
    assert "level(s) deep" in prompt or "(recursion)" in prompt
    # the passing cases are named as what must keep working
    assert "Passing tests (keep them passing)" in prompt
    if optimizer == "Repair":
        assert "return find(items, target, mid, hi)  # <- line 18: suspicious" in prompt
        assert "NOT_FOUND = -1  # what a miss returns" in prompt  # the constant it reads
        assert "Binary search over sorted lists." in prompt  # the module's docstring
    out.stdout.fnmatch_lines(["*3 passed*"])  # the fixed code passes every case
    assert out.ret == 0


def test_the_plan_names_the_suspicious_lines(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(search=SEARCH, test_search=TESTS)
    report = pytester.path / "plan.json"
    out = pytester.runpytest_subprocess(
        "--trace-plan", f"--trace-report-json={report}", "-p", "no:randomly",
        "-p", "no:cacheprovider",
    )  # fmt: skip
    out.stdout.fnmatch_lines(["*suspicious lines of search.py: 18 (run by 1 failing, 0 passing)*"])
    (block,) = json.loads(report.read_text("utf-8"))["plan"]["targets"]
    assert [m["line"] for m in block["suspicious"]] == [18]
    assert block["suspicious"][0]["failing"] == 1 and block["suspicious"][0]["passing"] == 0


SLUG = '''\
import re

from pytest_trace_opt import trainable


@trainable
def blog_url(year, title):
    """The post's URL: /blog/<year>/<slug>/ (every run of other characters one "-")."""
    return f"/blog/{year}/{re.sub(r'[^a-z0-9]', '-', title.lower())}/"
'''

SLUG_TESTS = """\
import pytest
from slug import blog_url


@pytest.mark.trainable
def test_url():
    assert blog_url(2024, "What's new in 3.0?") == "/blog/2024/what-s-new-in-3-0/"
"""


def test_the_compared_values_reach_the_prompt_whole(
    pytester: pytest.Pytester, scripted_llm: Callable[[Sequence[str]], None]
) -> None:
    # At -q pytest cuts each side of "assert A == B" to about 30 characters with "...":
    # the expected value was lost, and the words described the cut strings.
    scripted_llm(["no idea"])
    pytester.makepyfile(slug=SLUG, test_slug=SLUG_TESTS)
    pytester.runpytest_subprocess(
        "--trace-optimize", "--trace-rounds=1", "--trace-edit-search=0",
        "-p", "no:randomly", "-p", "no:cacheprovider",
    )  # fmt: skip
    log = (pytester.path / "prompts.log").read_text("utf-8").splitlines()
    prompt = "\n".join(m["content"] for m in json.loads(log[0]))
    assert (
        "assert '/blog/2024/what-s-new-in-3-0-/' == '/blog/2024/what-s-new-in-3-0/'" in prompt
    )
    assert "in words: the result has an extra '-'" in prompt


@pytest.mark.parametrize("user_options", [[], ["-o", "verbosity_assertions=2"]])
def test_the_final_check_shows_failures_at_the_users_own_verbosity(
    pytester: pytest.Pytester,
    scripted_llm: Callable[[Sequence[str]], None],
    user_options: list[str],
) -> None:
    # Whole operands are for the LLM's evidence; the failures the final check replays in
    # the terminal are printed as the user's own options ask.
    scripted_llm(["no idea"])
    pytester.makepyfile(slug=SLUG, test_slug=SLUG_TESTS)
    result = pytester.runpytest_subprocess(
        "--trace-optimize", "--trace-rounds=1", "--trace-edit-search=0",
        "-p", "no:randomly", "-p", "no:cacheprovider", *user_options,
    )  # fmt: skip
    whole = "assert '/blog/2024/what-s-new-in-3-0-/' == '/blog/2024/what-s-new-in-3-0/'"
    final = result.stdout.str().split("final check", 1)[-1]
    assert "test_url" in final
    assert (whole in final) is bool(user_options)
