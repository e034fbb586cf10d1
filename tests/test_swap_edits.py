"""Two parts of a tuple in each other's place (core.swap_edits, through mutants.edits).
Pure text; each edit is run."""

from __future__ import annotations

from datetime import date
from typing import Any

from edit_helpers import edits_of_line


def run(source: str, name: str, *args: Any) -> Any:
    namespace: dict[str, Any] = {"date": date}
    exec(compile(source, "<edited>", "exec"), namespace)
    return namespace[name](*args)


def test_the_names_a_tuple_is_unpacked_into_are_swapped_pair_by_pair() -> None:
    source = (
        "def parse_date(text):\n"
        "    month, day, year = text.split('/')\n"
        "    return date(int(year), int(month), int(day))\n"
    )
    line_edits = edits_of_line(source, 2)
    swaps = [d for d in line_edits if "swapped" in d]
    assert swaps == [
        "`month` and `day` swapped",
        "`month` and `year` swapped",
        "`day` and `year` swapped",
    ]
    edited = line_edits["`month` and `day` swapped"]
    assert run(edited, "parse_date", "31/12/2024") == date(2024, 12, 31)


def test_a_loop_target_and_a_returned_pair_are_swapped() -> None:
    source = (
        "def bounds(xs):\n"
        "    low, high = min(xs), max(xs)\n"
        "    for value, index in enumerate(xs):\n"
        "        pass\n"
        "    return high, low\n"
    )
    assert "`value` and `index` swapped" in edits_of_line(source, 3)
    returned = edits_of_line(source, 5)["`high` and `low` swapped"]
    assert run(returned, "bounds", [3, 1, 2]) == (1, 3)
    comprehension = "def f(d):\n    return [k for v, k in d.items()]\n"
    assert "`v` and `k` swapped" in edits_of_line(comprehension, 2)
    # the same name twice, a starred part or a long record is left alone
    plain = "def g(t):\n    a, a = t\n    return (*t, 1)\n"
    assert not any("swapped" in d and "`a`" in d for d in edits_of_line(plain, 2))
    assert not any("swapped" in d for d in edits_of_line(plain, 3))


def test_text_joined_in_the_wrong_order_gets_its_operands_swapped_numbers_do_not() -> None:
    source = (
        "def to_base(num, b):\n"
        "    digits = ''\n"
        "    while num > 0:\n"
        "        num, i = divmod(num, b)\n"
        "        digits = digits + '0123456789ABCDEF'[i]\n"
        "    return digits\n"
    )
    line_edits = edits_of_line(source, 5)
    edited = line_edits["`digits + '0123456789ABCDEF'[i]` -> `'0123456789ABCDEF'[i] + digits`"]
    assert run(source, "to_base", 26, 16) == "A1"
    assert run(edited, "to_base", 26, 16) == "1A"
    # a string literal, a slice or a list is evidence enough; two numbers are not
    assert any("->" in d for d in edits_of_line("def f(s):\n    return s[1:] + s[0]\n", 2))
    numbers = edits_of_line("def f(a, b):\n    return a + b\n", 2)
    assert not any("`a + b` -> `b + a`" in d for d in numbers)
    # the operands of an operator whose order always counts, compound ones left alone
    assert "`end - start` -> `start - end`" in edits_of_line(
        "def span(start, end):\n    return end - start\n", 2
    )
    compound = edits_of_line("def f(a, b, c):\n    return a - b - c\n", 2)
    assert not any("-> `c -" in d for d in compound)


def test_what_a_name_holds_is_judged_once_for_both_the_join_and_the_word_edits() -> None:
    # text made by a call is text for ``+`` as for ``in``: swapped, never subtracted
    made = "def tag(name, suffix):\n    base = name.lower()\n    return suffix + base\n"
    joined = edits_of_line(made, 3)
    assert "`suffix + base` -> `base + suffix`" in joined
    assert not any("suffix - base" in d for d in joined)
    # a date's ``replace(year=...)`` is no text: its ``+`` is arithmetic, ``-`` is tried
    moved = (
        "def later(moment, step):\n"
        "    start = moment.replace(year=2000)\n"
        "    return start + step\n"
    )
    arithmetic = edits_of_line(moved, 3)
    assert "`+` -> `-`" in arithmetic
    assert not any("`start + step` ->" in d for d in arithmetic)


def test_no_edit_that_can_only_raise_a_type_error() -> None:
    # text joined is never subtracted; an option is never swapped with what it is an option of
    joined = edits_of_line("def f(name):\n    label = 'x'\n    return label + name\n", 3)
    assert "`+` -> `-`" not in joined and "`label + name` -> `name + label`" in joined
    assert not any("swapped" in d for d in edits_of_line("def f(x):\n    return round(x, 2)\n", 2))
    assert not any(
        "swapped" in d for d in edits_of_line("def f(s):\n    return s.split(',', 1)\n", 2)
    )
    assert "arguments `a` and `b` swapped" in edits_of_line("def f(a, b):\n    return g(a, b)\n", 2)
