"""An index counted from 1 used as one counted from 0, or the other way round, where it is
scaled: ``start = page * per_page`` for pages numbered from 1 skips the first page. The
one-off edits of :mod:`.mutants` reach bounds and indexes, not the operands of a product
that becomes one. Pure text edits for :mod:`.mutants`.
"""

from __future__ import annotations

import ast

from pytest_trace_opt.core.edit_kinds import BOUND, Found
from pytest_trace_opt.core.source_text import SourceText


def scaled_index_edits(text: SourceText, node: ast.AST) -> Found:
    """Each variable of a product one off: ``page * size`` -> ``(page - 1) * size``."""
    if not isinstance(node, ast.BinOp) or not isinstance(node.op, ast.Mult):
        return
    for operand in (node.left, node.right):
        if not isinstance(operand, ast.Name | ast.Attribute):
            continue
        shown = text.text(*text.span(operand))
        for sign in ("-", "+"):
            new = f"({shown} {sign} 1)"
            yield (
                BOUND,
                f"`{shown}` -> `{new}` in a product",
                text.replace(*text.span(operand), new),
            )
