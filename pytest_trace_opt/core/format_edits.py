"""A number in a format spec one off: ``{minutes:2d}`` for ``{minutes:02d}``'s width,
``{price:.1f}`` for two decimals, ``"%.3f"``. Each number of a spec in a string literal
(an f-string, a ``str.format`` template, a ``%`` template) one up and one down.
Pure text edits for :mod:`.mutants`.
"""

from __future__ import annotations

import ast
import re

from pytest_trace_opt.core.edit_kinds import CONSTANT, Found
from pytest_trace_opt.core.source_text import SourceText

# ``{name:spec}`` (not ``{{``) and ``%[flags][width][.precision]type``
_BRACE_SPEC = re.compile(r"(?<!\{)\{[^{}:!]*(?:![rsa])?:([^{}]*)\}")
_PERCENT_SPEC = re.compile(r"%[-+ 0#]*(\d*)(?:\.(\d+))?[diouxXeEfFgGs]")
_NUMBER = re.compile(r"\d+")
MAX_PER_LITERAL = 6


def format_spec_edits(text: SourceText, node: ast.AST) -> Found:
    if not (
        isinstance(node, ast.JoinedStr)
        or (isinstance(node, ast.Constant) and isinstance(node.value, str))
    ):
        return
    start, end = text.span(node)
    literal = text.text(start, end)
    if "\n" in literal:
        return
    spans: list[tuple[int, int]] = []
    for match in _BRACE_SPEC.finditer(literal):
        spec_start = match.start(1)
        spans += [
            (spec_start + m.start(), spec_start + m.end()) for m in _NUMBER.finditer(match.group(1))
        ]
    for match in _PERCENT_SPEC.finditer(literal):
        spans += [match.span(g) for g in (1, 2) if match.group(g)]
    made = 0
    for first, last in sorted(set(spans)):
        digits = literal[first:last]
        number = int(digits)
        for new in (number + 1, number - 1):
            if new < 0 or made >= MAX_PER_LITERAL:
                continue
            written = str(new).zfill(len(digits)) if digits.startswith("0") else str(new)
            edited = literal[:first] + written + literal[last:]
            made += 1
            yield CONSTANT, f"`{literal}` -> `{edited}`", text.replace(start, end, edited)
