"""pytest_trace_opt.patch.literals: rewriting a node(...) literal to a new value."""

from __future__ import annotations

import ast
import random

import pytest
from test_patch_locate import NODES, P, line_no

from pytest_trace_opt.patch import (
    SourceChangedError,
    SourceError,
    locate_node_literal,
    replace_literal,
)


def test_replace_literal_detects_stale_location() -> None:
    loc = locate_node_literal(P, line_no(NODES, "SYSTEM ="), NODES)
    with pytest.raises(SourceChangedError):
        replace_literal(NODES.replace("helpful", "usefulxx"), loc, "x")


def test_replace_literal_quote_styles() -> None:
    def rewrite(literal: str, value: object, eol: str = "\n") -> str:
        text = f"X = node({literal}, trainable=True){eol}"
        out = replace_literal(text, locate_node_literal(P, 1, text), value)
        assert out.startswith("X = node(") and out.endswith(f", trainable=True){eol}")
        return out[len("X = node(") : -len(f", trainable=True){eol}")]

    assert rewrite("'a'", "b") == "'b'"
    assert rewrite('"a"', "b") == '"b"'
    assert rewrite("'a'", "it's") == '"it\'s"'
    assert rewrite('"a"', "both ' and \"") == '"both \' and \\""'
    assert rewrite('"a"', "two\nlines") == '"""two\nlines"""'
    assert rewrite("'''a'''", "no newline") == "'''no newline'''"
    assert rewrite('"""\\\nabc\n"""', "new\n") == '"""\\\nnew\n"""'
    assert rewrite('r"\\d+"', "\\w+") == 'r"\\w+"'
    assert rewrite('r"\\d+"', "ends\\") == '"ends\\\\"'
    assert rewrite('"a"', "x\r\ny", "\r\n") == '"""x\\r\r\ny"""'
    assert rewrite("1", True) == "True"
    assert rewrite("1", None) == "None"
    assert rewrite("1", 10**30) == str(10**30)
    assert rewrite("1.5", float("inf")) == "1e999"
    assert rewrite("'x'", 2.5) == "2.5"
    assert rewrite("0", (1,)) == "(1,)"
    assert rewrite("0", set()) == "set()"
    with pytest.raises(SourceError, match="NaN"):
        rewrite("1.0", float("nan"))
    with pytest.raises(SourceError, match="object"):
        rewrite("1", object())


TRICKY = [
    "",
    "'",
    '"',
    "''",
    '""',
    "'''",
    '"""',
    '""""',
    "''''''",
    "a'b\"c",
    "\\",
    "ends with backslash\\",
    "\\\\",
    "\\n is not a newline",
    "\\'",
    '\\"',
    "quote at end'",
    'quote at end"',
    '"quote at start',
    "\n",
    "\n\n",
    "a\nb",
    "\nleading",
    "trailing\n",
    '"""\n"""',
    "\r",
    "\r\n",
    "a\rb",
    "\t",
    "tab\there",
    "\x00",
    "\x0b\x0c\x1c\x1d\x1e\x85",
    "\u2028\u2029",
    "\x7f",
    "\ufeff",
    "\ud800",
    "é",
    "日本語",
    "emoji 😀",
    "\U0001f600\\",
    "{braces} {{double}}",
    "# not a comment",
    "line one\n    indented\n\ttabbed\n",
    "mix \"of\" 'quotes'\nand \"\"\"triple\"\"\" and '''single triple'''",
    "backslash newline \\\nafter",
    "\\\n",
    "\\N{BULLET}",
    "\\x41",
    '"\n"',
    "'\n'",
]


def random_strings(count: int) -> list[str]:
    rng = random.Random(1234)
    alphabet = ["a", " ", "'", '"', "\\", "\n", "\r", "\t", "é", "😀", "\x00", "\u2028", "#", "{"]
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(count)]


ORIGINALS = [
    '"x"',
    "'x'",
    '"""x"""',
    "'''x'''",
    'r"x"',
    "R'x'",
    'r"""x"""',
    'u"x"',
    '"""\\\nx"""',
    "3",
]


@pytest.mark.parametrize("original", ORIGINALS)
@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_replace_literal_round_trip_property(original: str, eol: str) -> None:
    literal = original.replace("\n", eol)
    text = f"def f():{eol}    pass{eol}{eol}X = node({literal}, trainable=True)  # c{eol}Y = 1{eol}"
    loc = locate_node_literal(P, 4, text)
    for value in TRICKY + random_strings(300):
        out = replace_literal(text, loc, value)
        assert out.startswith(text[: text.index("node(") + 5])
        assert out.endswith(f", trainable=True)  # c{eol}Y = 1{eol}")
        tree = ast.parse(out)
        assert len(tree.body) == 3
        new_loc = locate_node_literal(P, 4, out)
        assert new_loc.value == value, (original, value, out)
        assert type(new_loc.value) is str
        if eol == "\r\n":
            assert "\n" not in out.replace("\r\n", "")


def test_replace_literal_round_trip_non_strings() -> None:
    text = "X = node('x', trainable=True)\n"
    loc = locate_node_literal(P, 1, text)
    values: list[object] = [
        0,
        -3,
        1.0,
        -0.0,
        1e-300,
        float("-inf"),
        True,
        False,
        None,
        [],
        (),
        {},
        [1, "two", ("three", 4.0)],
        {"k": ["v", None], 2: {"nested": "a\nb\\"}},
        {1, 2},
        b"bytes\x00",
        1 + 2j,
    ]
    for value in values:
        new = locate_node_literal(P, 1, replace_literal(text, loc, value)).value
        assert new == value and type(new) is type(value)
