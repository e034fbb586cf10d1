"""End to end: the edit search in real evaluation children, before (and instead of) LLM calls.

The projects' LLM is the ScriptedLLM of conftest; its log shows whether it was called.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from conftest import read_prompts, tree_hashes
from test_ci_reports import validate_report

WINDOWS = '''\
from pytest_trace_opt import trainable


@trainable
def window_sums(values, size):
    """Sums of every run of ``size`` consecutive values."""
    sums = []
    for start in range(len(values) - size):  # every window start
        sums.append(sum(values[start:start + size]))
    return sums
'''

WINDOW_TESTS = """\
import pytest

from windows import window_sums


@pytest.mark.trainable
@pytest.mark.parametrize(
    "values,size,expected",
    [([1, 2, 3], 2, [3, 5]), ([5], 1, [5]), ([1, 2, 3, 4], 4, [10]), ([], 1, []), ([1], 3, [])],
)
def test_window_sums(values, size, expected):
    assert window_sums(values, size) == expected
"""

WRONG_REPLY = json.dumps(
    {
        "reasoning": "",
        "answer": "",
        "suggestion": {"__code0": "def window_sums(values, size):\n    return []\n"},
    }
)
OPTIONS = ("--trace-optimize", "--trace-rounds", "1", "--trace-test-timeout", "2")


@pytest.fixture
def windows_project(
    pytester: pytest.Pytester, scripted_llm: Callable[[Sequence[str]], None]
) -> Path:
    scripted_llm([WRONG_REPLY])
    pytester.makepyfile(windows=WINDOWS, test_windows=WINDOW_TESTS)
    return pytester.path


def test_a_one_token_bug_is_fixed_by_the_edit_search_without_an_llm_call(
    pytester: pytest.Pytester, windows_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    out = tmp_path_factory.mktemp("out")
    before = tree_hashes(windows_project)
    result = pytester.runpytest_subprocess(
        *OPTIONS,
        "--trace-edit-search=40",
        f"--trace-patch={out / 'fix.patch'}",
        f"--trace-report-json={out / 'report.json'}",
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "trace-opt round 0: 2/5 visible passed*",
            "trace-opt edit search: 5/5 visible passed; accepted (`len(values) - size` -> "
            "`len(values) - size + 1` on line 8 of window_sums: every tagged test passes (* "
            "tried) (no LLM call))*",
            "outcome: every tagged test passes with the proposed change",
        ]
    )
    assert read_prompts(windows_project) == []  # the LLM was never asked
    patch = (out / "fix.patch").read_text(encoding="utf-8")
    assert "-    for start in range(len(values) - size):  # every window start" in patch
    assert "+    for start in range(len(values) - size + 1):  # every window start" in patch
    assert tree_hashes(windows_project) == before  # not asked to apply: nothing written
    report = validate_report(out / "report.json")
    assert [(r["stage"], r["status"]) for r in report["rounds"]] == [
        ("", "baseline"),
        ("search", "accepted"),
    ]
    assert report["outcome"] == "fixed"
    assert report["llm"]["calls"] == 0


def test_when_no_edit_fixes_the_bug_the_llm_rounds_start_from_the_original_code(
    pytester: pytest.Pytester, scripted_llm: Callable[[Sequence[str]], None]
) -> None:
    fixed = "def scale(values, factor):\n    return [v * factor for v in values]\n"
    scripted_llm([json.dumps({"reasoning": "", "answer": "", "suggestion": {"__code0": fixed}})])
    pytester.makepyfile(
        scale=(
            "from pytest_trace_opt import trainable\n\n\n@trainable\n"
            "def scale(values, factor):\n    return [v + factor + 1 for v in values[::-1]]\n"
        ),
        test_scale=(
            "import pytest\nfrom scale import scale\n\n\n@pytest.mark.trainable\n"
            "def test_scale():\n    assert scale([1, 2], 3) == [3, 6]\n"
        ),
    )
    result = pytester.runpytest_subprocess(*OPTIONS, "--trace-edit-search=40")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "trace-opt edit search: 0/1 visible passed; rejected (none of * small edit(s) "
            "of line 6 of scale fixes its failing tests (no LLM call))*",
            "trace-opt round 1: 1/1 visible passed; accepted*1 call(s)*",
        ]
    )
    prompts = read_prompts(pytester.path)
    assert len(prompts) == 1
    assert "v + factor + 1" in prompts[0]  # the original code, not an edit of it


def test_edit_search_zero_switches_it_off_and_a_bad_value_is_a_usage_error(
    pytester: pytest.Pytester, windows_project: Path
) -> None:
    result = pytester.runpytest_subprocess(*OPTIONS, "--trace-edit-search=0")
    assert "edit search" not in result.stdout.str()
    assert len(read_prompts(windows_project)) == 1
    bad = pytester.runpytest_subprocess(*OPTIONS, "--trace-edit-search=-1")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*--trace-edit-search: invalid value '-1'; expected a number >= 0*"])


def test_each_trainable_is_searched_on_its_own_and_the_rest_goes_to_the_llm(
    pytester: pytest.Pytester, scripted_llm: Callable[[Sequence[str]], None]
) -> None:
    # windows.py has a one-token bug, greet.py does not: the search fixes the first alone,
    # and the LLM round is about greet only.
    fixed = "def greet(name):\n    return f'Hello, {name}!'\n"
    scripted_llm([json.dumps({"reasoning": "", "answer": "", "suggestion": {"__code0": fixed}})])
    pytester.makepyfile(
        windows=WINDOWS,
        test_windows=WINDOW_TESTS,
        greet=(
            "from pytest_trace_opt import trainable\n\n\n@trainable\n"
            "def greet(name):\n    return 'hi ' + name\n"
        ),
        test_greet=(
            "import pytest\nfrom greet import greet\n\n\n@pytest.mark.trainable\n"
            "def test_greet():\n    assert greet('Ada') == 'Hello, Ada!'\n"
        ),
    )
    result = pytester.runpytest_subprocess(*OPTIONS, "--trace-edit-search=40")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "trace-opt round 0: 2/6 visible passed*",
            "trace-opt edit search: 5/6 visible passed; accepted (*none of * edit(s) of line 6 "
            "of greet fixes its failing tests; `len(values) - size` -> `len(values) - size + 1` "
            "on line 8 of window_sums: the tests that reach it pass*",
            "trace-opt round 1: 6/6 visible passed; accepted*1 call(s)*",
            "outcome: every tagged test passes with the proposed change",
        ]
    )
    prompts = read_prompts(pytester.path)
    assert len(prompts) == 1
    assert "greet" in prompts[0] and "window_sums" not in prompts[0]


def test_an_llm_candidate_one_token_off_is_finished_by_edits_of_the_lines_it_changed(
    pytester: pytest.Pytester, scripted_llm: Callable[[Sequence[str]], None]
) -> None:
    # The original has nothing a single token fixes; the LLM writes the loop but one
    # window short (a tie with the original, rejected alone); an edit of its loop line
    # finishes it in the same round, without another call.
    near_miss = (
        "def window_sums(values, size):\n"
        "    sums = []\n"
        "    for start in range(len(values) - size):\n"
        "        sums.append(sum(values[start:start + size]))\n"
        "    return sums\n"
    )
    scripted_llm(
        [json.dumps({"reasoning": "", "answer": "", "suggestion": {"__code0": near_miss}})]
    )
    pytester.makepyfile(
        windows=(
            "from pytest_trace_opt import trainable\n\n\n@trainable\n"
            "def window_sums(values, size):\n    return [sum(values)]\n"
        ),
        test_windows=WINDOW_TESTS,
    )
    result = pytester.runpytest_subprocess(*OPTIONS, "--trace-edit-search=40", "--trace-patch=p")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "trace-opt round 1: 5/5 visible passed; accepted (*; then small edits of the "
            "lines it changed: `len(values) - size` -> `len(values) - size + 1` on line 7 of "
            "window_sums: every tagged test passes (* tried) (no LLM call))*1 call(s)*",
        ]
    )
    assert len(read_prompts(pytester.path)) == 1
    assert "range(len(values) - size + 1)" in (pytester.path / "p").read_text(encoding="utf-8")


ARRIVALS = '''\
from pytest_trace_opt import trainable


@trainable
def arrival_order(events):
    """Each name once, in the order it first arrived."""
    seen = []
    for name in events:
        if name not in seen:
            seen.insert(0, name)
    return seen
'''

ARRIVAL_TESTS = """\
import pytest

from arrivals import arrival_order


@pytest.mark.trainable
@pytest.mark.parametrize(
    "events,expected",
    [(["ann", "bo", "ann", "cy"], ["ann", "bo", "cy"]), ([], []), (["x", "x"], ["x"]),
     (["b", "a"], ["b", "a"])],
)
def test_arrival_order(events, expected):
    assert arrival_order(events) == expected
"""


def test_a_fix_pattern_beyond_one_token_is_found_without_an_llm_call(
    pytester: pytest.Pytester,
    scripted_llm: Callable[[Sequence[str]], None],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    scripted_llm([WRONG_REPLY])
    pytester.makepyfile(arrivals=ARRIVALS, test_arrivals=ARRIVAL_TESTS)
    out = tmp_path_factory.mktemp("out")
    result = pytester.runpytest_subprocess(
        *OPTIONS, "--trace-edit-search=40", f"--trace-patch={out / 'fix.patch'}"
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "trace-opt edit search: 4/4 visible passed; accepted (`insert(0, ...)` -> "
            "`append(...)` on line 10 of arrival_order*(no LLM call))*",
        ]
    )
    assert read_prompts(pytester.path) == []
    patch = (out / "fix.patch").read_text(encoding="utf-8")
    assert "-            seen.insert(0, name)\n+            seen.append(name)\n" in patch


def test_a_candidate_that_makes_its_change_in_one_place_too_many_is_finished_by_a_part_of_it(
    pytester: pytest.Pytester, scripted_llm: Callable[[Sequence[str]], None]
) -> None:
    # The cents must have two digits; the LLM pads the euros too, which breaks "0.99":
    # the candidate fixes nothing, its change without the euros' padding fixes all.
    over_applied = 'def price_label(cents):\n    return f"{cents // 100:02}.{cents % 100:02}"\n'
    scripted_llm(
        [json.dumps({"reasoning": "", "answer": "", "suggestion": {"__code0": over_applied}})]
    )
    pytester.makepyfile(
        prices=(
            "from pytest_trace_opt import trainable\n\n\n@trainable\n"
            'def price_label(cents):\n    return f"{cents // 100}.{cents % 100}"\n'
        ),
        test_prices=(
            "import pytest\n\nfrom prices import price_label\n\n\n@pytest.mark.trainable\n"
            "@pytest.mark.parametrize('cents,label', "
            "[(1205, '12.05'), (99, '0.99'), (100000, '1000.00'), (1250, '12.50')])\n"
            "def test_price_label(cents, label):\n    assert price_label(cents) == label\n"
        ),
    )
    result = pytester.runpytest_subprocess(*OPTIONS, "--trace-edit-search=40", "--trace-patch=p")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "trace-opt round 1: 4/4 visible passed; accepted (*then small edits of the lines it "
            "changed: the LLM's change without `:02` added after `100` on line 6 of "
            "price_label: every tagged test passes*1 call(s)*",
        ]
    )
    patch = (pytester.path / "p").read_text(encoding="utf-8")
    assert '+    return f"{cents // 100}.{cents % 100:02}"' in patch


def test_a_method_edit_that_needs_an_import_is_applied_with_it_in_the_method(
    pytester: pytest.Pytester, scripted_llm: Callable[[Sequence[str]], None]
) -> None:
    scripted_llm([WRONG_REPLY])
    pytester.makepyfile(
        forms=(
            "from urllib.parse import unquote\n\nfrom pytest_trace_opt import trainable\n\n\n"
            "class FormReader:\n"
            "    @trainable\n"
            "    def value(self, raw):\n"
            '        """"+" is a space in a form, %XX is decoded."""\n'
            "        return unquote(raw)\n"
        ),
        test_forms=(
            "import pytest\nfrom forms import FormReader\n\n\n@pytest.mark.trainable\n"
            "def test_plus():\n    assert FormReader().value('a+b') == 'a b'\n\n\n"
            "@pytest.mark.trainable\n"
            "def test_escape():\n    assert FormReader().value('a%20b') == 'a b'\n"
        ),
    )
    result = pytester.runpytest_subprocess(*OPTIONS, "--trace-edit-search=40", "--trace-apply")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["trace-opt edit search: 2/2 visible passed; accepted (`unquote` -> `unquote_plus`*"]
    )
    assert read_prompts(pytester.path) == []
    written = (pytester.path / "forms.py").read_text(encoding="utf-8")
    assert "        from urllib.parse import unquote_plus\n" in written
    assert "        return unquote_plus(raw)" in written
    assert pytester.runpytest_subprocess().ret == pytest.ExitCode.OK  # the written file works
