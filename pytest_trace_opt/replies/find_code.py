"""Find code in the text of a reply: fences, definitions, blocks cut at their indentation.

Never runs the code it finds; the parse budget and attempt caps keep the work bounded on
pathological replies.
"""

from __future__ import annotations

import ast
import bisect
import re
import textwrap
from dataclasses import dataclass

from pytest_trace_opt.replies.jsonish import DQ_BODY, WS, unescape

_MAX_FENCES = 200
_MAX_FENCE_HEADER = 64  # characters of a fence's info line (```json)
_MAX_DEF_ATTEMPTS = 64  # "def name(" occurrences examined when scanning for code
_MAX_BLOCK_CHARS = 200_000  # longest function body we are willing to cut out and parse
_PARSE_BUDGET = 4_000_000  # total characters handed to ast.parse while scanning one reply


@dataclass(frozen=True)
class Fence:
    lang: str
    start: int  # content start
    end: int  # content end
    closed: bool


_LANG_OK = re.compile(r"[\w+.-]*")


def find_fences(text: str) -> list[Fence]:
    out: list[Fence] = []
    pos = 0
    while len(out) < _MAX_FENCES:
        i = text.find("```", pos)
        if i < 0:
            break
        nl = text.find("\n", i + 3, i + 3 + _MAX_FENCE_HEADER)
        lang = text[i + 3 : nl].strip() if nl >= 0 else ""
        if nl >= 0 and _LANG_OK.fullmatch(lang):
            start = nl + 1
        else:  # e.g. ```json{"a": 1}``` on one line
            lang, start = "", i + 3
        j = text.find("```", start)
        if j < 0:
            out.append(Fence(lang.lower(), min(start, len(text)), len(text), False))
            break
        out.append(Fence(lang.lower(), start, j, True))
        pos = j + 3
    return out


# --------------------------------------------------------------------------------------------
# code helpers


def _defines(code: str, function_name: str | None) -> bool:
    """True when ``code`` parses and defines ``function_name`` at top level."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
            function_name is None or node.name == function_name
        ):
            return True
    return False


def def_pattern(function_name: str) -> re.Pattern[str]:
    # starts with a literal so the regex engine can skip ahead quickly; see _def_starts
    return re.compile(r"def[ \t]+" + re.escape(function_name) + r"[ \t]*\(")


_ASYNC_BEFORE = re.compile(r"async[ \t]+\Z")


def _def_starts(text: str, function_name: str, limit: int = _MAX_DEF_ATTEMPTS) -> list[int]:
    """Offsets of the last ``limit`` ``def name(`` / ``async def name(`` in ``text`` that start at
    a word boundary (or right after a JSON escape such as ``\\n``, i.e. inside a JSON string).
    Searches backwards in growing windows, so a reply full of definitions stays cheap."""
    pattern = def_pattern(function_name)
    found: list[int] = []
    end, window = len(text), 1 << 16
    overlap = len(function_name) + 64
    while end > 0 and len(found) < limit:
        start = max(0, end - window)
        hits = [m.start() for m in pattern.finditer(text, start, min(len(text), end + overlap))]
        for p in reversed(hits):
            if p >= end or not _boundary(text, p):
                continue
            a = _ASYNC_BEFORE.search(text, max(0, p - 16), p)
            if a is not None and _boundary(text, a.start()):
                p = a.start()
            found.append(p)
            if len(found) >= limit:
                break
        end, window = start, window * 2
    return found[::-1]


def _boundary(text: str, p: int) -> bool:
    if p == 0:
        return True
    before = text[p - 1]
    if not (before.isalnum() or before == "_"):
        return True
    return p >= 2 and text[p - 2] == "\\" and before in "ntr"


_TRAILING_JUNK = re.compile(r"(?:\"\"\"|'''|```|[\"'`,;}\]])[ \t]*\Z")


def strip_trailing_junk(code: str, function_name: str | None) -> str | None:
    """``code`` itself if usable, else with stray trailing quotes / JSON punctuation removed."""
    if _defines(code, function_name):
        return code
    lines = code.rstrip().split("\n")
    # Several closing lines may trail the code: `    """` of a Python string, then `  }`.
    work = list(lines)
    for _ in range(8):
        if not work:
            break
        m = _TRAILING_JUNK.search(work[-1])
        if m is None:
            break
        last = work[-1][: m.start()].rstrip()
        work = [*work[:-1], last] if last.strip() else work[:-1]
        candidate = "\n".join(work)
        if candidate.strip() and _defines(candidate, function_name):
            return candidate
    # Still no parse: whole JSON lines may trail it (`  },` then `  "suggestion": {}`).
    # Drop trailing lines, keeping only a definition with a real body.
    for drop in range(1, min(8, len(lines) - 1) + 1):
        candidate = "\n".join(lines[: len(lines) - drop])
        for _ in range(3):
            if _defines(candidate, function_name) and _has_real_body(candidate, function_name):
                return candidate
            m = _TRAILING_JUNK.search(candidate)
            if m is None:
                break
            candidate = candidate[: m.start()].rstrip()
    return None


def _has_real_body(code: str, function_name: str | None) -> bool:
    """The function does something: not just a docstring, ``pass`` or ``...``."""
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return False
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
            function_name is None or node.name == function_name
        ):
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            return any(
                not isinstance(stmt, ast.Pass)
                and not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))
                for stmt in body
            )
    return False


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _cut_block(text: str, p: int) -> tuple[str, bool] | None:
    """The definition starting at ``p``, cut where the indentation returns to the def's level.

    A ``def`` preceded by other text on its line (a label, ``"__code0": "``, ``\"\"\"``) counts
    as being at column 0. Returns (code, ran_to_end_of_text) or None when far too long.
    """
    line_start = text.rfind("\n", 0, p) + 1
    prefix = text[line_start:p]
    base = len(prefix) if not prefix.strip() else 0
    n = len(text)
    nl = text.find("\n", p)
    if nl < 0:
        return text[p:], True
    if nl - p > _MAX_BLOCK_CHARS:
        return None
    lines = [text[p:nl]]
    pos = nl + 1
    at_end = False
    while True:
        if pos >= n:
            at_end = True
            break
        if pos - p > _MAX_BLOCK_CHARS:
            return None
        nl = text.find("\n", pos)
        line = text[pos : n if nl < 0 else nl]
        if line.strip():
            if _indent_of(line) <= base:
                break
            lines.append(line[base:])
        else:
            lines.append("")
        if nl < 0:
            at_end = True
            break
        pos = nl + 1
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    lines[0] = lines[0].rstrip()
    return "\n".join(lines), at_end


def _names_used(node: ast.AST) -> set[str]:
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            names.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            base: ast.AST = sub
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name):
                names.add(base.id)
    return names


def _is_literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _fence_candidate(content: str, function_name: str) -> str | None:
    """The last top-level definition in a fenced block, with the imports / helpers / literal
    constants directly above it that it uses (nothing after it: usage examples stay out)."""
    src = textwrap.dedent(content)
    try:
        tree = ast.parse(src)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    index = None
    for i, node in enumerate(tree.body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function_name:
            index = i
    if index is None:
        return None
    target = tree.body[index]
    assert isinstance(target, ast.FunctionDef | ast.AsyncFunctionDef)
    used = _names_used(target)
    attached: list[ast.stmt] = []
    for prev in reversed(tree.body[:index]):
        bound: set[str]
        if isinstance(prev, ast.Import | ast.ImportFrom):
            bound = {(a.asname or a.name).split(".")[0] for a in prev.names}
        elif isinstance(prev, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if prev.decorator_list or prev.name == function_name:
                break
            bound = {prev.name}
        elif isinstance(prev, ast.Assign) and _is_literal(prev.value):
            bound = {t.id for t in prev.targets if isinstance(t, ast.Name)}
        elif isinstance(prev, ast.Expr) and isinstance(prev.value, ast.Constant):
            continue  # a stray docstring / string
        else:
            break
        if bound & used:
            attached.append(prev)
            used |= _names_used(prev)
    lines = src.split("\n")
    pieces = ["\n".join(lines[n.lineno - 1 : n.end_lineno]) for n in reversed(attached)]
    pieces.append("\n".join(lines[target.lineno - 1 : target.end_lineno]))
    code = "\n\n".join(pieces)
    return code if _defines(code, function_name) else None


@dataclass
class Scanner:
    """Finds the last complete, parseable definition of a function anywhere in a reply."""

    text: str
    fences: list[Fence]
    truncated: bool
    budget: int = _PARSE_BUDGET

    def find(self, function_name: str) -> tuple[str, str] | None:
        text = self.text
        starts = _def_starts(text, function_name)
        fence_starts = [f.start for f in self.fences]
        tried_fences: set[int] = set()
        for p in reversed(starts):
            if self.budget <= 0:
                return None
            k = bisect.bisect_right(fence_starts, p) - 1
            fence = self.fences[k] if k >= 0 and self.fences[k].end >= p else None
            if fence is not None and k not in tried_fences:
                tried_fences.add(k)
                if fence.closed:
                    content = text[fence.start : fence.end]
                    self.budget -= len(content)
                    code = _fence_candidate(content, function_name)
                    if code is not None:
                        return code, "a fenced block"
            found = self._at(p, function_name, fence)
            if found is not None:
                return found
        return None

    def _at(self, p: int, function_name: str, fence: Fence | None) -> tuple[str, str] | None:
        text = self.text
        nl = text.find("\n", p)
        line_end = len(text) if nl < 0 else nl
        if text.find("\\n", p, min(line_end, p + _MAX_BLOCK_CHARS)) >= 0:
            # inside a JSON string with \n escapes: up to the closing quote, else the line
            m = DQ_BODY.match(text, p, min(len(text), p + _MAX_BLOCK_CHARS))
            segments = []
            if not self.truncated or nl >= 0:  # the rest of the line: survives stray quotes
                segments.append(text[p : min(line_end, p + _MAX_BLOCK_CHARS)])
            if m is not None and m.end() < len(text) and text[m.end()] == '"':
                after = WS.match(text, m.end() + 1).end()  # type: ignore[union-attr]
                if after >= len(text) or text[after] in ",}]":  # a real closing quote
                    segments.append(m.group())
            for segment in segments:
                decoded = unescape(segment)
                cut = _cut_block(decoded, 0)
                if cut is None:
                    continue
                self.budget -= len(cut[0])
                code = strip_trailing_junk(cut[0], function_name)
                if code is not None:
                    return code, "a JSON string"
        cut = _cut_block(text, p)
        if cut is None:
            return None
        code_text, at_end = cut
        if fence is not None:
            at_end = at_end or (not fence.closed and p + len(code_text) >= fence.end)
            where = "a fenced block"
        else:
            prefix = text[max(0, text.rfind("\n", 0, p) + 1, p - 200) : p].rstrip()
            where = "a triple-quoted string" if prefix.endswith(('"""', "'''")) else "the text"
        if at_end and self.truncated:
            return None  # may have been cut off mid-function
        self.budget -= len(code_text)
        code = strip_trailing_junk(code_text, function_name)
        return (code, where) if code is not None else None
