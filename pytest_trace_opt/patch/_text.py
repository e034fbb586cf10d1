"""Text helpers shared by the patch modules: line ends, indentation, parsing, errors.

Line numbers are 1-based; columns are 0-based *character* offsets (not the UTF-8 byte
offsets that :mod:`ast` reports).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from pathlib import Path


class SourceError(Exception):
    """A source file cannot be located, parsed or rewritten; ``str()`` is a one-line reason."""


class SourceChangedError(SourceError):
    """The file changed on disk (or the text no longer matches a location) since the run began."""


class NotALiteralError(SourceError):
    """The value passed to ``node(...)`` is not a literal that can be rewritten in place."""


FuncDef = ast.FunctionDef | ast.AsyncFunctionDef
_LINE_RE = re.compile(r"[^\n]*\n|[^\n]+")
BOM = "\ufeff"


def split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only, keeping line ends (``str.splitlines`` also splits on ``\\f`` etc.)."""
    return _LINE_RE.findall(text)


def strip_eol(line: str) -> str:
    if line.endswith("\r\n"):
        return line[:-2]
    if line.endswith("\n"):
        return line[:-1]
    return line


def eol_of(line: str) -> str:
    if line.endswith("\r\n"):
        return "\r\n"
    if line.endswith("\n"):
        return "\n"
    return ""


def default_eol(lines: Sequence[str]) -> str:
    for line in lines:
        eol = eol_of(line)
        if eol:
            return eol
    return "\n"


def leading_ws(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t\f"))]


def indent_width(ws: str) -> int:
    return len(ws.expandtabs(8))


def parse_source(text: str, path: Path | str) -> ast.Module:
    if re.search(r"\r(?!\n)", text):
        raise SourceError(f"{path}: bare carriage-return line endings are not supported")
    try:
        return ast.parse(text.removeprefix(BOM))
    except SyntaxError as exc:
        raise SourceError(f"{path}: cannot parse: {exc.msg} (line {exc.lineno})") from exc


def char_col(line_text: str, byte_col: int, bom_offset: int = 0) -> int:
    """Convert an :mod:`ast` UTF-8 byte column into a character column."""
    raw = line_text.removeprefix(BOM) if bom_offset else line_text
    col = len(raw.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))
    return col + bom_offset


def dedent_line(line: str, indent: str) -> str:
    if line.startswith(indent):
        return line[len(indent) :]
    if not line.strip():
        return ""
    return line
