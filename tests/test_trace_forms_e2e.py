"""``--trace-optimize`` on Trace's own forms, deterministic: a ``@bundle(trainable=True)``
function and a ``node(..., trainable=True)`` template, with the scripted LLM (a test double,
see conftest.py) and real child processes. Each is its own group with its own prompt; the
patch rewrites the function body and the node's literal in place."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import pytest
from conftest import read_prompts

GREET = '''\
from opto.trace import bundle, node

GREETING = node("Hello {name}", trainable=True, description="greeting; {name} is filled")


@bundle(trainable=True)
def shout(text):
    """Upper-case the text and end it with one exclamation mark."""
    return text.lower() + "!"


def greet(name):
    return GREETING.data.format(name=name)
'''

TESTS = """\
import pytest
from greet import greet, shout

pytestmark = pytest.mark.trainable


def test_greet_is_polite():
    assert greet("Ann").startswith("Good day"), greet("Ann")


def test_shout():
    assert shout("hi").data == "HI!"
"""

SHOUT = 'def shout(text):\n    """Upper-case, one "!"."""\n    return text.upper() + "!"\n'
# One reply for both groups: each group takes its own key; the other is dropped with a note.
REPLY = json.dumps(
    {
        "reasoning": "",
        "answer": "",
        "suggestion": {"GREETING0": "Good day {name}", "__code0": SHOUT},
    }
)


def test_a_bundle_function_and_a_node_value_are_fixed_and_patched(
    pytester: pytest.Pytester, scripted_llm: Callable[[Sequence[str]], None]
) -> None:
    scripted_llm([REPLY])
    pytester.makepyfile(greet=GREET, test_greet=TESTS)
    result = pytester.runpytest_subprocess(
        "--trace-optimize", "--trace-rounds=1", "--trace-patch=fix.patch",
        "--trace-report-json=report.json", "-p", "no:randomly",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    result.stdout.fnmatch_lines(["*round 1: 2/2 visible passed; accepted*"])
    prompts = read_prompts(pytester.path)
    assert len(prompts) == 2  # one group each
    assert any("## Value to change: GREETING" in p for p in prompts)
    assert any("## Code to fix: shout" in p for p in prompts)
    # Trace exec's the bundle's source: its line-by-line trace still shows each line's text
    (shout_prompt,) = [p for p in prompts if "## Code to fix: shout" in p]
    trace = shout_prompt.split("did, line by line", 1)[1]
    assert "return text.lower() + \\\"!\\\"  # returns 'hi!'" in trace
    patch = (pytester.path / "fix.patch").read_text()
    assert '+GREETING = node("Good day {name}", trainable=True' in patch
    assert '+    return text.upper() + "!"' in patch
    assert "@bundle(trainable=True)" in (pytester.path / "greet.py").read_text()
    assert "Hello {name}" in (pytester.path / "greet.py").read_text()  # not applied
    report = json.loads((pytester.path / "report.json").read_text())
    assert report["outcome"] == "fixed"
    assert sorted(t["status"] for t in report["targets"]) == ["changed", "changed"]


UNPATCHABLE = """\
from opto.trace import node

PARTS = ("Hello", "{name}")
GREETING = node(" ".join(PARTS), trainable=True, description="greeting; {name} is filled")


def greet(name):
    return GREETING.data.format(name=name)
"""


def test_a_change_the_patch_cannot_carry_fails_the_final_check_and_is_not_proposed(
    pytester: pytest.Pytester, scripted_llm: Callable[[Sequence[str]], None]
) -> None:
    # The value is built by an expression, not written as a literal: the rounds try it
    # (injected), but the final check runs the files as the patch would write them.
    scripted_llm([json.dumps({"reasoning": "", "suggestion": {"GREETING0": "Good day {name}"}})])
    polite = TESTS.replace("greet, shout", "greet").split("\n\ndef test_shout")[0] + "\n"
    pytester.makepyfile(greet=UNPATCHABLE, test_greet=polite)
    before = (pytester.path / "greet.py").read_bytes()
    result = pytester.runpytest_subprocess(
        "--trace-optimize", "--trace-rounds=1", "--trace-apply",
        "--trace-report-json=report.json", "-p", "no:randomly",
    )  # fmt: skip
    out = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, out[-3000:]
    result.stdout.fnmatch_lines(["*round 1: 1/1 visible passed; accepted*", "*1 failed*"])
    assert (pytester.path / "greet.py").read_bytes() == before
    report = json.loads((pytester.path / "report.json").read_text())
    assert report["applied"] == [] and report["patch"] == ""
    assert any("in the final check" in p for p in report["problems"]), report["problems"]


ROUTER = '''\
from opto.trace import bundle, model


@model
class Router:
    def __init__(self, fallback="general"):
        self.fallback = fallback

    @bundle(trainable=True)
    def route(self, subject):
        """The team: billing when a word of the subject is "refund"."""
        if "refund" in subject.lower():
            return "billing"
        return self.fallback
'''

ROUTER_TESTS = """\
import pytest
from router import Router

pytestmark = pytest.mark.trainable


def test_a_refund_goes_to_billing():
    assert Router().route("Refund please").data == "billing"


def test_a_word_that_contains_refund_does_not():
    assert Router().route("Refunded already").data == "general"
"""

ROUTE = (
    "def route(self, subject):\n"
    '    """The team: billing when a word of the subject is "refund"."""\n'
    '    if "refund" in subject.lower().split():\n'
    '        return "billing"\n'
    "    return self.fallback\n"
)


def test_a_bundle_method_is_shown_and_patched_at_its_own_indentation(
    pytester: pytest.Pytester, scripted_llm: Callable[[Sequence[str]], None]
) -> None:
    # Trace keeps a method's source with the def line dedented and the body not; the
    # prompt shows the method as the file has it, dedented as a whole.
    reply = json.dumps({"reasoning": "", "answer": "", "suggestion": {"__code0": ROUTE}})
    scripted_llm([reply])
    pytester.makepyfile(router=ROUTER, test_router=ROUTER_TESTS)
    result = pytester.runpytest_subprocess(
        "--trace-optimize", "--trace-rounds=1", "--trace-patch=fix.patch",
        "--trace-edit-search=0", "-p", "no:randomly",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    (raw,) = read_prompts(pytester.path)
    prompt = "\n".join(m["content"] for m in json.loads(raw))
    assert 'def route(self, subject):\n    """The team: billing' in prompt
    assert '\n    if "refund" in subject.lower():' in prompt
    patch = (pytester.path / "fix.patch").read_text()
    assert '+        if "refund" in subject.lower().split():' in patch
