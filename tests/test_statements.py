"""Which statement a line belongs to (pytest_trace_opt.statements): pure, no fakes needed."""

from __future__ import annotations

import ast
import textwrap

from pytest_trace_opt import statements

SOURCE = textwrap.dedent(
    """\
    def total(items, rate):
        value = sum(
            items
        )
        for item in items:
            if item < 0: value -= item
        with open("x") as handle:
            pass
        return value * rate
    """
)


def test_a_compound_statement_owns_its_header_only():
    tree = ast.parse(SOURCE)
    loop = tree.body[0].body[1]
    assert statements.own_lines(loop) == (5, 5)
    assert statements.own_lines(tree.body[0].body[0]) == (2, 4)


def test_innermost_statement_of_a_line():
    tree = ast.parse(SOURCE)
    assert statements.innermost(tree, 3).lineno == 2  # inside a call spread over lines
    inner = statements.innermost(tree, 6)  # `if ...: value -= item` on one line
    assert isinstance(inner, ast.AugAssign)
    assert isinstance(statements.innermost(tree, 7), ast.With)
    assert statements.innermost(tree, 1) is None  # a def line is never a statement's own


def test_starts_map_each_line_to_its_statement():
    starts = statements.starts(ast.parse(SOURCE))
    assert [starts[n] for n in (1, 2, 3, 4, 5, 9)] == [1, 2, 2, 2, 5, 9]
    assert starts[6] == 6
