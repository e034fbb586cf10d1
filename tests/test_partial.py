"""Parts of an LLM candidate's change tried on their own (core.partial): pure text."""

from __future__ import annotations

import ast

from pytest_trace_opt.core.partial import MAX_PARTS, partial_changes

DURATION = '''\
def duration(seconds):
    """H:MM:SS."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes}:{secs}"
'''
PADDED_EVERYWHERE = DURATION.replace(
    'f"{hours}:{minutes}:{secs}"', 'f"{hours:02}:{minutes:02}:{secs:02}"'
)


def last_lines(before: str, after: str) -> list[tuple[str, str]]:
    return [
        (e.description, e.source.splitlines()[-1].strip()) for e in partial_changes(before, after)
    ]


def test_a_change_made_in_three_places_gives_each_place_left_out_then_each_alone() -> None:
    assert last_lines(DURATION, PADDED_EVERYWHERE) == [
        (
            "the LLM's change without `:02` added after `hours`",
            'return f"{hours}:{minutes:02}:{secs:02}"',
        ),
        (
            "the LLM's change without `:02` added after `minutes`",
            'return f"{hours:02}:{minutes}:{secs:02}"',
        ),
        (
            "the LLM's change without `:02` added after `secs`",
            'return f"{hours:02}:{minutes:02}:{secs}"',
        ),
        (
            "the LLM's change with only `:02` added after `hours`",
            'return f"{hours:02}:{minutes}:{secs}"',
        ),
        (
            "the LLM's change with only `:02` added after `minutes`",
            'return f"{hours}:{minutes:02}:{secs}"',
        ),
        (
            "the LLM's change with only `:02` added after `secs`",
            'return f"{hours}:{minutes}:{secs:02}"',
        ),
    ]
    assert {e.line for e in partial_changes(DURATION, PADDED_EVERYWHERE)} == {5}


def test_a_line_added_and_a_line_removed_are_parts_with_their_indentation_kept() -> None:
    before = (
        "def f(xs):\n    total = 0\n    debug = 1\n    for x in xs:\n        total += x\n"
        "    return total\n"
    )
    after = (
        "def f(xs):\n    total = 0\n    for x in xs:\n        total += x\n"
        "    total = abs(total)\n    return total\n"
    )
    sources = {e.description: e.source for e in partial_changes(before, after)}
    assert sources == {
        "the LLM's change without `debug = 1` removed after `0`": (
            "def f(xs):\n    total = 0\n    debug = 1\n    for x in xs:\n        total += x\n"
            "    total = abs(total)\n    return total\n"
        ),
        "the LLM's change without `total = abs(total)` added after `x`": (
            "def f(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return total\n"
        ),
    }  # each "alone" variant is the other one "without": listed once


def test_one_part_has_no_variants_and_a_rewrite_is_not_split() -> None:
    assert partial_changes(DURATION, DURATION.replace("3600", "60 * 60")) == []
    names = [f"v{i}" for i in range(MAX_PARTS + 1)]
    before = "def f():\n    return [" + ", ".join("0" for _ in names) + "]\n"
    after = "def f():\n    return [" + ", ".join(names) + "]\n"
    assert partial_changes(before, after) == []  # every element changed, not separated by kept code
    spaced = "def f():\n    return [" + ", ".join(f"{n}, 0" for n in names) + "]\n"
    spaced_before = "def f():\n    return [" + ", ".join("0, 0" for _ in names) + "]\n"
    assert partial_changes(spaced_before, spaced) == []  # seven parts: a rewrite


def test_quote_style_and_layout_are_not_parts_of_a_change() -> None:
    before = "def f(x):\n    return x.strip('-') + 'a'\n"
    after = 'def f(x):\n    return x.strip("-")   +\\\n        "b"\n'
    assert partial_changes(before, after) == []  # one part: 'a' -> "b"
    # and what is kept comes from the code before, in its own layout
    two = 'def f(x):\n    return x.strip("+") + "b"\n'
    kept = [e.source for e in partial_changes(before, two)]
    assert kept == [
        "def f(x):\n    return x.strip('-') + 'b'\n",
        "def f(x):\n    return x.strip('+') + 'a'\n",
    ]


def test_every_variant_parses_and_differs_from_both_ends() -> None:
    before = "def f(xs):\n    for x in xs:\n        print(x)\n    return 0\n"
    after = "def f(xs):\n    for x in xs:\n        if x:\n            print(x)\n    return 1\n"
    found = partial_changes(before, after)
    dumps = {ast.dump(ast.parse(before)), ast.dump(ast.parse(after))}
    for edit in found:
        assert ast.dump(ast.parse(edit.source)) not in dumps
    assert len({ast.dump(ast.parse(e.source)) for e in found}) == len(found)


def test_code_that_does_not_parse_gives_nothing() -> None:
    assert partial_changes(DURATION, PADDED_EVERYWHERE.replace("return", "return (")) == []
