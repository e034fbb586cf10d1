"""Targets named in the marker: objects, dotted names, and the clear errors for bad ones."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import BUGGY_MODULE, CORRECT_ADD, code_reply

MODULE = (
    BUGGY_MODULE
    + """

def plain_helper(x):
    return x
"""
)


def test_explicit_targets_and_their_errors(
    pytester: pytest.Pytester, scripted_llm: Callable[..., None]
) -> None:
    scripted_llm([code_reply(CORRECT_ADD)])
    pytester.makepyfile(
        calc=MODULE,
        test_calc="""
import pytest
import calc
from calc import add, plain_helper


@pytest.mark.trainable(targets=[add])
def test_by_object():
    assert add(2, 3) == 5


@pytest.mark.trainable("calc.add")
def test_by_dotted_name():
    assert add(1, 1) == 2


@pytest.mark.trainable("calc.does_not_exist")
def test_missing_target():
    assert add(0, 1) == 1


@pytest.mark.trainable(targets=plain_helper)
def test_not_trainable_target():
    assert plain_helper(1) == 1
""",
    )
    result = pytester.runpytest_subprocess("--trace-optimize")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*problem: trainable target 'calc.does_not_exist' not found*",
            "*problem: trainable target 'plain_helper' is not trainable*",
            "*changed add*",
        ]
    )


def test_lambda_is_refused_at_import(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        mod="from pytest_trace_opt import trainable\nf = trainable(lambda x: x)\n",
        test_mod=(
            "import pytest\nimport mod\n\n"
            "@pytest.mark.trainable\ndef test_f():\n    assert mod.f(1) == 1\n"
        ),
    )
    result = pytester.runpytest_subprocess("--trace-optimize")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*trainable needs a function defined with 'def'*"])


def test_failing_tests_that_reach_no_trainable(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_x="import pytest\n\n@pytest.mark.trainable\ndef test_x():\n    assert 1 == 2\n"
    )
    result = pytester.runpytest_subprocess("--trace-optimize")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["outcome: the optimization could not run", "stopped: nothing to optimize: *"]
    )
