"""An empty input the function never expected (core.guard_edits, through mutants.edits).
Pure text; each edit is run."""

from __future__ import annotations

from edit_helpers import defined, edits_of_line


def test_a_division_by_the_length_gets_a_guard_for_the_empty_input() -> None:
    source = (
        "def average(values):\n"
        '    """Mean of the values; 0 for none."""\n'
        "    return sum(values) / len(values)\n"
    )
    found = edits_of_line(source, 3)
    edited = found["`if not values: return 0` added on entry"]
    assert edited.splitlines()[2:4] == ["    if not values:", "        return 0"]
    assert defined(edited, "average")([]) == 0
    assert defined(edited, "average")([1, 3]) == 2
    assert "`if not values: return None` added on entry" in found


def test_the_guard_returns_what_the_function_returns_and_reads_of_other_items_get_none() -> None:
    source = "def top(xs):\n    best = max(xs)\n    return [x for x in xs if x == best]\n"
    found = edits_of_line(source, 2)
    assert defined(found["`if not xs: return []` added on entry"], "top")([]) == []
    first = "def head(xs):\n    return xs[0]\n"
    assert "`if not xs: return 0` added on entry" in edits_of_line(first, 2)
    second = "def second(xs):\n    return xs[1]\n"
    assert not any("if not xs" in d for d in edits_of_line(second, 2))
    local = "def f(n):\n    xs = list(range(n))\n    return xs[0]\n"
    assert not any("if not xs" in d for d in edits_of_line(local, 3))  # not a parameter
