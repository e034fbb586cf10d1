"""pytest conventions the evaluation children must keep, as a user's pytest saw them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from conftest import BUGGY_MODULE, CORRECT_ADD, code_reply

SAME_NAME_TEST = """\
import pytest
from calc import add


@pytest.mark.trainable
def test_add():
    assert add(2, 3) == 5
"""


def test_pytest_addopts_reach_the_children(
    pytester: pytest.Pytester,
    scripted_llm: Callable[[Sequence[str]], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two test files of one basename without __init__.py: collectable only with importlib mode.
    scripted_llm([code_reply(CORRECT_ADD)])
    pytester.makepyfile(calc=BUGGY_MODULE)
    for folder in ("a", "b"):
        (pytester.path / folder).mkdir()
        (pytester.path / folder / "test_same.py").write_text(SAME_NAME_TEST)
    monkeypatch.setenv("PYTEST_ADDOPTS", "--import-mode=importlib")
    result = pytester.runpytest_subprocess(
        "--trace-optimize", "--trace-rounds=1", "-p", "no:randomly"
    )
    out = result.stdout.str()
    assert "could not run" not in out, out[-3000:]
    result.stdout.fnmatch_lines(
        ["trace-opt round 0: 0/2 visible passed*", "trace-opt round 1: 2/2 visible passed*"]
    )
    assert result.ret == pytest.ExitCode.OK


def test_explicit_plugin_with_autoload_off(
    pytester: pytest.Pytester,
    scripted_llm: Callable[[Sequence[str]], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scripted_llm([code_reply(CORRECT_ADD)])
    pytester.makepyfile(calc=BUGGY_MODULE, test_calc=SAME_NAME_TEST)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = pytester.runpytest_subprocess(
        "-p", "trace_opt", "--trace-optimize", "--trace-rounds=1"
    )
    assert "already registered" not in result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(["trace-opt round 1: 1/1 visible passed; accepted*"])
    assert result.ret == pytest.ExitCode.OK


def test_native_toml_table_takes_typed_values(
    pytester: pytest.Pytester, scripted_llm: Callable[[Sequence[str]], None]
) -> None:
    scripted_llm([code_reply("def add(a, b):\n    return a * b\n")])
    pytester.makepyfile(calc=BUGGY_MODULE, test_calc=SAME_NAME_TEST)
    pytester.makefile(".toml", pytest="[pytest]\ntrace_rounds = 2\ntrace_test_timeout = 2.5\n")
    result = pytester.runpytest_subprocess("--trace-optimize")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stderr.str()
    result.stdout.fnmatch_lines(["*budget 2 rounds*", "stopped: round limit (2) reached"])
