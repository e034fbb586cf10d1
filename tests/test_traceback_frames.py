"""What pytest shows of a failure inside a trainable: the code under test, not the plugin's
wrapper frames (its call recorder, its generator recorder), in the prompt and in the final
check the user reads. Real children; the LLM is the ``ScriptedLLM`` test double."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import pytest

MODULE = '''\
from pytest_trace_opt import trainable


@trainable
def ratio(a, b):
    """a over b, 0.0 when b is 0."""
    return a / b


@trainable
def halves(xs):
    """Each x halved, skipping zeros."""
    for x in xs:
        yield 1 / (x - x) if x else 0.0
'''

TESTS = """\
import pytest
from calc import halves, ratio


@pytest.mark.trainable
def test_ratio():
    assert ratio(1, 0) == 0.0


@pytest.mark.trainable
def test_halves():
    assert list(halves([2, 4])) == [1.0, 2.0]
"""


def test_the_plugin_frames_stay_out_of_the_tracebacks(
    pytester: pytest.Pytester, scripted_llm: Callable[[Sequence[str]], None]
) -> None:
    scripted_llm(["no code here"])
    pytester.makepyfile(calc=MODULE, test_calc=TESTS)
    out = pytester.runpytest_subprocess(
        "--trace-optimize", "--trace-optimizer=Repair", "--trace-rounds=1",
        "--trace-edit-search=0", "--tb=long", "-p", "no:randomly", "-p", "no:cacheprovider",
    )  # fmt: skip
    log = (pytester.path / "prompts.log").read_text("utf-8").splitlines()
    prompt = "\n".join(m["content"] for m in json.loads(log[0]))
    shown = prompt + out.stdout.str()
    assert "ZeroDivisionError" in prompt and "ZeroDivisionError" in out.stdout.str()
    for frame in ("trainable_call", "runtime.py", "generators.py", "def recorded"):
        assert frame not in shown
