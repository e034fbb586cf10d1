"""An argument, a sign or a text transformation too many (core.argument_edits, through
mutants.edits). Pure text; each edit is run."""

from __future__ import annotations

from edit_helpers import defined, edits_of_line


def test_an_optional_last_argument_is_dropped_and_each_keyword() -> None:
    source = "def numbered(lines):\n    return [(i, s) for i, s in enumerate(lines, 1)]\n"
    edited = edits_of_line(source, 2)["argument `1` of `enumerate(...)` dropped"]
    assert defined(edited, "numbered")(["a", "b"]) == [(0, "a"), (1, "b")]

    rounded = "def average(xs):\n    return round(sum(xs) / len(xs), 1)\n"
    edited = edits_of_line(rounded, 2)["argument `1` of `round(...)` dropped"]
    assert defined(edited, "average")([1, 2]) == 2  # whole numbers, halves to even

    ordered = "def ranked(names):\n    return sorted(names, key=len, reverse=True)\n"
    found = edits_of_line(ordered, 2)
    edited = found["argument `key=len` of `sorted(...)` dropped"]
    assert defined(edited, "ranked")(["bb", "a", "ccc"]) == ["ccc", "bb", "a"]
    edited = found["argument `reverse=True` of `sorted(...)` dropped"]
    assert defined(edited, "ranked")(["bb", "a", "ccc"]) == ["a", "bb", "ccc"]


def test_a_required_argument_or_an_unknown_function_keeps_its_arguments() -> None:
    two = "def f(a, b, x):\n    return max(a, b) + isinstance(x, int) + helper(a, b)\n"
    assert not any("dropped" in d for d in edits_of_line(two, 2))
    three = "def f(obj):\n    return getattr(obj, 'name', None)\n"
    assert "argument `None` of `getattr(...)` dropped" in edits_of_line(three, 2)
    assert not any(
        "dropped" in d for d in edits_of_line("def f(o):\n    return getattr(o, 'n')\n", 2)
    )


def test_a_sign_too_many_is_dropped_with_parentheses_where_they_are_needed() -> None:
    source = "def change(old, new):\n    return -(new - old) * 2\n"
    edited = edits_of_line(source, 2)["`-` dropped before `(new - old)`"]
    assert defined(edited, "change")(1, 4) == 6
    plain = "def flip(x):\n    return -x\n"
    assert defined(edits_of_line(plain, 2)["`-` dropped before `x`"], "flip")(3) == 3
    # a negative number is the constant edits' business
    assert not any("`-` dropped" in d for d in edits_of_line("def f():\n    return -1\n", 2))


def test_a_text_transformation_the_rule_does_not_want_is_dropped() -> None:
    source = "def same_code(a, b):\n    return a.strip().lower() == b\n"
    found = edits_of_line(source, 2)
    edited = found["`.lower()` dropped from `a.strip()`"]
    assert defined(edited, "same_code")(" AbC ", "AbC") is True
    assert defined(found["`.strip()` dropped from `a`"], "same_code")(" AbC ", "AbC") is False
    # a transformation with arguments is another function's business
    assert not any(".strip(" in d for d in edits_of_line("def f(s):\n    return s.strip('x')\n", 2))
