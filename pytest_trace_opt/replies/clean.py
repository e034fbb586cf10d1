"""Clean a suggested code value: labels, fences, stray quotes and duplicate definitions."""

from __future__ import annotations

import ast
import re
import textwrap

from pytest_trace_opt.replies.find_code import Scanner, find_fences, strip_trailing_junk
from pytest_trace_opt.replies.jsonish import unescape

_PREAMBLE_LINE = re.compile(
    r"\A[ \t]*#[ \t]*(?:Constraints|Variables|Code|Instruction|Inputs|Others|Outputs|Feedback|"
    r"Documentation)\b[^\n]*(?:\n|\Z)",
    re.I,
)
_START_WITH = re.compile(r"\A[^\n]{0,200}?The code should start with:[ \t]*\n?", re.I)
_CODE_TAG = re.compile(r"\A\s*\(\s*code\s*\)\s*")
_FENCE_OPEN = re.compile(r"\A\s*```[\w+.-]*[ \t]*\n?")
_FENCE_CLOSE = re.compile(r"\n?[ \t]*```[ \t]*\Z")


def _label_pattern(py_name: str) -> re.Pattern[str]:
    base = re.escape(re.sub(r"\d+$", "", py_name))
    return re.compile(r"\A\s*(?:" + re.escape(py_name) + r"|" + base + r":?\d*)\s*[:=][ \t]*")


def _strip_preamble(code: str, py_name: str) -> str:
    label = _label_pattern(py_name)
    for _ in range(20):
        before = code
        for pattern in (_FENCE_OPEN, _PREAMBLE_LINE, _START_WITH, _CODE_TAG, label):
            code = pattern.sub("", code, count=1)
        code = _FENCE_CLOSE.sub("", code, count=1)
        if code == before:
            break
    return code


def _drop_duplicate_defs(code: str, function_name: str) -> str:
    """Keep only the last top-level definition of ``function_name`` (e.g. a copied signature
    stub from the constraint text followed by the real definition)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code
    defs = [
        n
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == function_name
    ]
    if len(defs) < 2:
        return code
    lines = code.split("\n")
    for node in reversed(defs[:-1]):
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        del lines[first - 1 : node.end_lineno]
    return "\n".join(lines).strip("\n")


def clean_code(value: str, py_name: str, fn: str | None) -> tuple[str, bool, str | None]:
    """Returns (code, usable, note). ``usable``: parses and defines the target function ``fn``."""
    code = value.replace("\r\n", "\n").strip("\n")
    code = textwrap.dedent(_strip_preamble(code, py_name)).strip("\n")
    note = None if code == value.strip("\n") else f"label/fence text stripped from {py_name}"
    attempts = [code]
    if '\\"' in code or "\\'" in code:  # \" kept from a Python triple-quoted string
        attempts.append(code.replace('\\"', '"').replace("\\'", "'"))
    if "\n" not in code and "\\n" in code:
        attempts.append(unescape(code))  # double-escaped newlines
    for attempt in attempts:
        fixed = strip_trailing_junk(attempt, fn)
        if fixed is not None:
            if fn is not None:
                fixed = _drop_duplicate_defs(fixed, fn)
            if fixed != attempt and note is None:
                note = f"stray text stripped from {py_name}"
            return textwrap.dedent(fixed).strip("\n"), True, note
    if fn is not None:  # prose, several versions, or a class around the method
        scanner = Scanner(value, find_fences(value), truncated=False)
        found = scanner.find(fn)
        if found is not None:
            return found[0], True, f"code for {py_name} cut out of its suggested text"
    return code, False, note
