"""Source text addressed as ``ast`` gives positions (line, byte column), for edits that
replace only the span they change: comments and layout elsewhere survive into the patch.

Pure, stdlib only.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable


class SourceText:
    """Source lines with (line, byte column) addressing, as ``ast`` positions are given."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = source.splitlines(keepends=True)
        self.starts: list[int] = []  # byte offset of each line in the encoded source
        offset = 0
        for line in self.lines:
            self.starts.append(offset)
            offset += len(line.encode())
        self.data = source.encode()

    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return start, end

    def between(self, a: ast.AST, b: ast.AST) -> tuple[int, int]:
        return self.span(a)[1], self.span(b)[0]

    def text(self, start: int, end: int) -> str:
        return self.data[start:end].decode()

    def replace(self, start: int, end: int, new: str) -> str:
        return (self.data[:start] + new.encode() + self.data[end:]).decode()

    def replace_all(self, changes: Iterable[Change]) -> str:
        """Several spans replaced at once (byte offsets of this text, none overlapping)."""
        data = self.data
        for start, end, new in sorted(changes, reverse=True):
            data = data[:start] + new.encode() + data[end:]
        return data.decode()


Change = tuple[int, int, str]  # a span of a SourceText (byte offsets) and its new text


def operator_change(text: SourceText, start: int, end: int, old: str, new: str) -> Change | None:
    """The change that replaces the operator ``old`` between two operands (the gap may hold
    parentheses); None when the gap holds anything else (a comment, a line continuation)."""
    gap = text.text(start, end)
    if " ".join(gap.strip("() \t\r\n").split()) != old:
        return None
    found = re.search(r"\s+".join(re.escape(word) for word in old.split()), gap)
    if found is None:
        return None
    return start, end, gap[: found.start()] + new + gap[found.end() :]


def swap_in_gap(text: SourceText, start: int, end: int, old: str, new: str) -> str | None:
    """The source with :func:`operator_change` made; None where it cannot be."""
    change = operator_change(text, start, end, old, new)
    return None if change is None else text.replace(*change)
