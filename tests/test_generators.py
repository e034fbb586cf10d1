"""A trainable generator function: its lines are recorded while its consumer draws values,
its calls show what it yielded, and the edit search and the LLM's prompt both see that.

The in-process tests drive the child's real runtime (no child process); the end-to-end
ones run real evaluation children, with the ScriptedLLM of conftest where an LLM is asked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Sequence
from typing import Any

import pytest
from conftest import read_prompts

from pytest_trace_opt.child import runtime as child_runtime
from pytest_trace_opt.core.prompts.evidence import describe_call
from pytest_trace_opt.protocol import YIELDED, CallRecord


def evens(n: int) -> Generator[int, Any, str]:
    for i in range(n):
        if i % 2 == 1:
            yield i
    return "done"


def echo() -> Generator[Any, Any, None]:
    received = None
    while True:
        try:
            received = yield received
        except KeyError:
            received = "caught"


def double(x: int) -> int:
    return 2 * x


def test_a_generators_lines_and_yielded_values_are_recorded(
    runtime: child_runtime.Runtime,
) -> None:
    wrapped = child_runtime.candidate_function(evens, None)  # type: ignore[arg-type]
    other = child_runtime.candidate_function(double, None)  # type: ignore[arg-type]
    test = runtime.begin_test()
    made = wrapped(5)
    assert [c.output for c in test.calls] == [None]  # it runs when its values are drawn
    drawn = [other(value) for value in made]  # another trainable called between values
    assert drawn == [2, 6]
    first, *rest = test.calls
    assert (first.function, first.args, first.output) == ("evens", {"n": "5"}, "[1, 3]")
    assert first.types["return"] == YIELDED
    assert [(c.function, c.output) for c in rest] == [("double", "2"), ("double", "6")]
    key = next(k for k in test.lines if k.endswith("evens"))
    body = evens.__code__.co_firstlineno
    assert {body + 1, body + 2, body + 3, body + 4} <= test.lines[key]  # every line it ran
    assert describe_call(first) == "evens(n=5) yielded [1, 3]"


def test_the_wrapper_passes_send_throw_close_and_the_return_value_through(
    runtime: child_runtime.Runtime,
) -> None:
    runtime.begin_test()
    gen = child_runtime.candidate_function(echo, None)()  # type: ignore[arg-type]
    assert next(gen) is None
    assert gen.send("hi") == "hi"
    assert gen.throw(KeyError("k")) == "caught"
    gen.close()
    with pytest.raises(StopIteration):
        next(gen)
    finished = child_runtime.candidate_function(evens, None)(2)  # type: ignore[arg-type]
    assert next(finished) == 1
    with pytest.raises(StopIteration) as stop:
        next(finished)
    assert stop.value.value == "done"


def test_a_generator_drawn_from_only_once_shows_what_was_drawn(
    runtime: child_runtime.Runtime,
) -> None:
    test = runtime.begin_test()
    first = next(child_runtime.candidate_function(evens, None)(9))  # type: ignore[arg-type]
    assert first == 1
    assert describe_call(test.calls[0]) == "evens(n=9) yielded [1]"


def test_a_raising_generator_is_recorded_as_raising(runtime: child_runtime.Runtime) -> None:
    def broken(n: int) -> Generator[int, None, None]:
        yield n
        raise ValueError("no more")

    test = runtime.begin_test()
    gen = child_runtime.candidate_function(broken, None)(7)  # type: ignore[arg-type]
    assert next(gen) == 7
    with pytest.raises(ValueError):
        next(gen)
    assert test.calls[0].exception == "ValueError: no more"
    assert "raised ValueError" in describe_call(test.calls[0])


def test_a_call_record_of_a_plain_function_still_reads_returned() -> None:
    record = CallRecord("m.py::f", "f", {"x": "1"}, {"return": "list"}, "[1]")
    assert describe_call(record) == "f(x=1) returned [1]"


GENERATOR_MODULE = '''\
from pytest_trace_opt import trainable


@trainable
def evens(n):
    """The even numbers below n."""
    for i in range(n):
        if i % 2 == 1:
            yield i
'''

GENERATOR_TESTS = """\
import pytest

from numbers_below import evens


@pytest.mark.trainable
@pytest.mark.parametrize("n,expected", [(5, [0, 2, 4]), (1, [0]), (3, [0, 2]), (0, [])])
def test_evens(n, expected):
    assert list(evens(n)) == expected
"""

FIXED = "def evens(n):\n    for i in range(n):\n        if i % 2 == 0:\n            yield i\n"


def test_a_bug_in_a_generator_is_found_by_the_edit_search_without_an_llm_call(
    pytester: pytest.Pytester, scripted_llm: Callable[[Sequence[str]], None]
) -> None:
    scripted_llm([f"```python\n{FIXED}```"])
    pytester.makepyfile(numbers_below=GENERATOR_MODULE, test_numbers_below=GENERATOR_TESTS)
    result = pytester.runpytest_subprocess(
        "--trace-optimize", "--trace-rounds=1", "--trace-test-timeout=5", "--trace-edit-search=40"
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["trace-opt edit search: 4/4 visible passed; accepted (`==` -> `!=` on line 8 of evens*"]
    )
    assert read_prompts(pytester.path) == []


def test_the_prompt_shows_what_a_generator_yielded(
    pytester: pytest.Pytester, scripted_llm: Callable[[Sequence[str]], None]
) -> None:
    scripted_llm([f"```python\n{FIXED}```"])
    pytester.makepyfile(numbers_below=GENERATOR_MODULE, test_numbers_below=GENERATOR_TESTS)
    result = pytester.runpytest_subprocess(
        "--trace-optimize",
        "--trace-rounds",
        "1",
        "--trace-edit-search",
        "0",
        "--trace-test-timeout",
        "5",
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    prompts = read_prompts(pytester.path)
    assert prompts, result.stdout.str()
    text = "\n".join(m["content"] for m in json.loads(prompts[0]))
    assert "evens(n=1) yielded []" in text
    assert "evens(n=5) yielded [1, 3]" in text
