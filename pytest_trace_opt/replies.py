"""Recover the optimizer's suggestion from an LLM reply, however a small model wrote it.

OptoPrime asks for ``{"reasoning": ..., "answer": ..., "suggestion": {"__code0": "def f(...)"}}``
and silently drops anything its parser cannot read. Small local models wrap the JSON in fences,
put code in Python ``\"\"\"`` strings, use invented keys, suggest values for *input* nodes, copy
prompt labels into the code, or get cut off mid-JSON. :func:`parse_reply` recovers every usable
suggestion and says, in :attr:`ParsedReply.problems`, how it got it.

Pure and stdlib-only: it never imports ``opto`` and never runs the code it finds. Work is linear
in the size of the reply (no regex with nested unbounded quantifiers over the whole text, capped
numbers of attempts), so a reply of several megabytes is handled quickly.
"""

from __future__ import annotations

import ast
import bisect
import json
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["ParsedReply", "VariableSpec", "parse_reply"]


@dataclass(frozen=True)
class VariableSpec:
    """One trainable variable as the optimizer shows it to the model."""

    py_name: str  # the name the optimizer shows, e.g. "__code0", "greeting_template0"
    kind: Literal["code", "value"]
    function_name: str | None = None  # for code: the def name the code must define
    value_type: type | None = None  # for values: type of the current value


@dataclass(frozen=True)
class ParsedReply:
    """What could be recovered from one reply."""

    suggestion: dict[str, object]  # py_name -> raw suggested value (code as text)
    terminated: bool  # the reply said TERMINATE and had no usable suggestion
    problems: tuple[str, ...]  # short human-readable notes on what was wrong / recovered
    recovered: bool  # True when anything came from a lenient path rather than strict JSON


# --------------------------------------------------------------------------------------------
# limits (keep the work bounded on pathological replies)

_MAX_DEPTH = 64  # nesting depth of the lenient JSON parser
_MAX_OBJECT_STARTS = 2_000  # candidate "{" positions tried by the object search
_MAX_OBJECTS = 50  # objects kept per text
_MAX_FENCES = 200
_MAX_FENCE_HEADER = 64  # characters of a fence's info line (```json)
_MAX_DEF_ATTEMPTS = 64  # "def name(" occurrences examined when scanning for code
_MAX_BLOCK_CHARS = 200_000  # longest function body we are willing to cut out and parse
_PARSE_BUDGET = 4_000_000  # total characters handed to ast.parse while scanning one reply

_SUGGESTION_KEYS = ("suggestion", "suggestions")
_CHATTER_KEYS = frozenset(
    {"reasoning", "answer", "explanation", "analysis", "thoughts", "thought", "reason"}
)
_WRAPPER_KEYS = ("code", "new_code", "fixed_code", "value", "new_value", "suggestion", "source")
_INVENTED_CODE_KEYS = frozenset(
    {
        "code",
        "function",
        "fixed_code",
        "new_code",
        "fixed_function",
        "new_function",
        "corrected_code",
        "updated_code",
        "solution",
        "source",
        "implementation",
        "python",
        "definition",
    }
)
_PYTHON_LANGS = frozenset({"python", "py", "python3", "py3"})


# --------------------------------------------------------------------------------------------
# problem notes


@dataclass
class _Notes:
    items: list[str] = field(default_factory=list)
    lenient: bool = False

    def add(self, message: str, *, lenient: bool = False) -> None:
        if message not in self.items:
            self.items.append(message)
        self.lenient = self.lenient or lenient


# --------------------------------------------------------------------------------------------
# a lenient JSON / Python-literal parser that keeps whatever was complete


class _PartialDict(dict):  # type: ignore[type-arg]
    """An object cut short (truncated or malformed): its complete members only."""


class _PartialList(list):  # type: ignore[type-arg]
    """An array cut short: its complete items only."""


_MISSING = object()
_WS = re.compile(r"\s*")
_DQ_BODY = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*', re.S)  # unrolled: no catastrophic backtracking
_SQ_CLOSE = re.compile(r"'(?=[ \t\r\n]*(?:[,}\]:]|\Z))")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.S)
_SIMPLE_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    "/": "/",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "\n": "",
}
_LITERALS: dict[str, object] = {
    "true": True,
    "false": False,
    "null": None,
    "none": None,
}


def _unescape(raw: str) -> str:
    """Decode JSON/Python backslash escapes; unknown escapes are kept as written."""
    if "\\" not in raw:
        return raw
    try:
        decoded = json.loads('"' + raw + '"', strict=False)
        if isinstance(decoded, str):
            return decoded
    except ValueError:
        pass

    def one(m: re.Match[str]) -> str:
        esc = m.group(1)
        if len(esc) == 5:
            return chr(int(esc[1:], 16))
        return _SIMPLE_ESCAPES.get(esc, "\\" + esc)

    return _ESCAPE.sub(one, raw)


class _Parser:
    """Recursive-descent parser for the JSON-ish text small models write.

    Tolerates Python triple-quoted and single-quoted strings, raw newlines in strings, trailing
    or missing commas, bare keys and ``True/False/None``. On a truncated or malformed input it
    stops and every open container is returned with its complete members only
    (as ``_PartialDict`` / ``_PartialList``); ``stop`` says why.
    """

    def __init__(self, text: str, pos: int) -> None:
        self.text = text
        self.pos = pos
        self.stop: str | None = None  # "truncated" | "malformed"
        self.used: set[str] = set()

    def _ws(self) -> None:
        text = self.text
        while True:
            self.pos = _WS.match(text, self.pos).end()  # type: ignore[union-attr]
            if text.startswith("//", self.pos):  # a // comment
                nl = text.find("\n", self.pos)
                self.pos = len(text) if nl < 0 else nl + 1
                self.used.add("comments")
                continue
            return

    def value(self, depth: int) -> object:
        self._ws()
        text = self.text
        if self.pos >= len(text):
            self.stop = "truncated"
            return _MISSING
        if depth > _MAX_DEPTH:
            self.stop = "malformed"
            return _MISSING
        c = text[self.pos]
        if c == "{":
            return self._object(depth)
        if c == "[":
            return self._array(depth)
        if c in "\"'":
            return self._string()
        m = _NUMBER.match(text, self.pos)
        if m:
            self.pos = m.end()
            num = m.group()
            try:
                return int(num)
            except ValueError:
                return float(num)
        m = _IDENT.match(text, self.pos)
        if m and m.group().lower() in _LITERALS:
            if m.group() not in ("true", "false", "null"):
                self.used.add("Python literals")
            self.pos = m.end()
            return _LITERALS[m.group().lower()]
        self.stop = "malformed"
        return _MISSING

    def _object(self, depth: int) -> object:
        text = self.text
        self.pos += 1
        out: dict[str, object] = {}
        after_comma = False
        # the last member not yet followed by "," or "}": if what follows is garbage, its
        # string probably ended at an unescaped quote inside the value, so it is dropped
        pending: str | None = None

        def malformed() -> object:
            self.stop = "malformed"
            if pending is not None:
                out.pop(pending, None)
            return _PartialDict(out)

        while True:
            self._ws()
            if self.pos >= len(text):
                self.stop = "truncated"
                return _PartialDict(out)
            c = text[self.pos]
            if c == ",":
                self.pos += 1
                after_comma, pending = True, None
                continue
            if c == "}":
                if after_comma and out:
                    self.used.add("trailing commas")
                self.pos += 1
                return out
            if out and not after_comma:
                self.used.add("missing commas")
            after_comma = False
            key: object
            if c in "\"'":
                key = self._string()
                if key is _MISSING:
                    return _PartialDict(out) if self.stop == "truncated" else malformed()
            else:
                m = _IDENT.match(text, self.pos)
                if m is None:
                    return malformed()
                key = m.group()
                self.pos = m.end()
                self.used.add("bare keys")
            self._ws()
            if self.pos >= len(text):
                self.stop = "truncated"
                return _PartialDict(out)
            if text[self.pos] not in ":=":
                return malformed()
            self.pos += 1
            val = self.value(depth + 1)
            if val is _MISSING:
                return _PartialDict(out) if self.stop == "truncated" else malformed()
            out[str(key)] = val
            pending = str(key)
            if self.stop:
                return _PartialDict(out)

    def _array(self, depth: int) -> object:
        text = self.text
        self.pos += 1
        out: list[object] = []
        while True:
            self._ws()
            if self.pos >= len(text):
                self.stop = "truncated"
                return _PartialList(out)
            c = text[self.pos]
            if c == ",":
                self.pos += 1
                continue
            if c == "]":
                self.pos += 1
                return out
            val = self.value(depth + 1)
            if val is _MISSING:
                return _PartialList(out)
            out.append(val)
            if self.stop:
                return _PartialList(out)

    def _string(self) -> object:
        text = self.text
        q = text[self.pos]
        if text.startswith(q * 3, self.pos):
            end = text.find(q * 3, self.pos + 3)
            if end < 0:
                self.stop = "truncated"
                return _MISSING
            # a closing run of 4+ quotes: the extra ones belong to the content
            while text.startswith(q, end + 3):
                end += 1
            self.used.add("triple-quoted strings")
            out = text[self.pos + 3 : end]
            self.pos = end + 3
            return out
        if q == '"':
            i = self.pos + 1
            while True:  # the first quote preceded by an even number of backslashes
                j = k = text.find('"', i)
                if j < 0:
                    self.stop = "truncated"
                    return _MISSING
                while k > i and text[k - 1] == "\\":
                    k -= 1
                if (j - k) % 2 == 0:
                    break
                i = j + 1
            raw = text[self.pos + 1 : j]
            end = j
            if "\n" in raw:
                self.used.add("raw newlines in strings")
            self.pos = end + 1
            return _unescape(raw)
        # single quotes: a quote closes only before , } ] : or the end (apostrophes in prose)
        self.used.add("single-quoted strings")
        i = self.pos + 1
        while True:
            m = _SQ_CLOSE.search(text, i)
            if m is None:
                self.stop = "truncated"
                return _MISSING
            j = k = m.start()
            while k > i and text[k - 1] == "\\":
                k -= 1
            if (j - k) % 2 == 0:  # not an escaped quote
                out = _unescape(text[self.pos + 1 : j])
                self.pos = j + 1
                return out
            i = j + 1


_STRICT = json.JSONDecoder()
_LOOSE = json.JSONDecoder(strict=False)
_OBJ_START = re.compile(r"\{\s*[\"'A-Za-z_}]")


@dataclass
class _Found:
    obj: dict  # type: ignore[type-arg]
    origin: str  # "strict" | "fenced" | "text"
    stop: str | None
    used: frozenset[str]
    start: int


def _decode_at(text: str, pos: int) -> tuple[object, int, str | None, frozenset[str]]:
    """Decode the value starting at ``pos``: strict JSON first, then the lenient parser."""
    for decoder, used in ((_STRICT, frozenset()), (_LOOSE, frozenset({"raw newlines in strings"}))):
        try:
            obj, end = decoder.raw_decode(text, pos)
            return obj, end, None, used
        except (ValueError, RecursionError):
            pass
    parser = _Parser(text, pos)
    try:
        obj = parser.value(0)
    except RecursionError:  # pragma: no cover - depth is capped well below the limit
        obj, parser.stop = _MISSING, "malformed"
    return obj, parser.pos, parser.stop, frozenset(parser.used)


def _objects_in(text: str, origin: str, offset: int = 0) -> list[_Found]:
    """Outermost objects in ``text`` (non-overlapping, in order).

    A ``{`` that starts no object (``{name}`` in prose) costs little, so many are tried; the
    characters examined by all attempts together are capped at a small multiple of the text.
    """
    found: list[_Found] = []
    pos = 0
    budget = 2 * len(text) + 100_000
    for _ in range(_MAX_OBJECT_STARTS):
        m = _OBJ_START.search(text, pos)
        if m is None or budget <= 0:
            break
        obj, end, stop, used = _decode_at(text, m.start())
        if stop == "truncated":
            end = len(text)
        budget -= max(end - m.start(), 1)
        if isinstance(obj, dict) and (obj or stop is None):
            found.append(_Found(obj, origin, stop, used, offset + m.start()))
            if stop == "truncated" or len(found) >= _MAX_OBJECTS:
                break
            pos = max(end, m.start() + 1)
        else:
            pos = m.start() + 1
    return found


@dataclass(frozen=True)
class _Fence:
    lang: str
    start: int  # content start
    end: int  # content end
    closed: bool


_LANG_OK = re.compile(r"[\w+.-]*")


def _fences(text: str) -> list[_Fence]:
    out: list[_Fence] = []
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
            out.append(_Fence(lang.lower(), min(start, len(text)), len(text), False))
            break
        out.append(_Fence(lang.lower(), start, j, True))
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


def _def_pattern(function_name: str) -> re.Pattern[str]:
    # starts with a literal so the regex engine can skip ahead quickly; see _def_starts
    return re.compile(r"def[ \t]+" + re.escape(function_name) + r"[ \t]*\(")


_ASYNC_BEFORE = re.compile(r"async[ \t]+\Z")


def _def_starts(text: str, function_name: str, limit: int = _MAX_DEF_ATTEMPTS) -> list[int]:
    """Offsets of the last ``limit`` ``def name(`` / ``async def name(`` in ``text`` that start at
    a word boundary (or right after a JSON escape such as ``\\n``, i.e. inside a JSON string).
    Searches backwards in growing windows, so a reply full of definitions stays cheap."""
    pattern = _def_pattern(function_name)
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


def _strip_trailing_junk(code: str, function_name: str | None) -> str | None:
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
class _Scanner:
    """Finds the last complete, parseable definition of a function anywhere in a reply."""

    text: str
    fences: list[_Fence]
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

    def _at(self, p: int, function_name: str, fence: _Fence | None) -> tuple[str, str] | None:
        text = self.text
        nl = text.find("\n", p)
        line_end = len(text) if nl < 0 else nl
        if text.find("\\n", p, min(line_end, p + _MAX_BLOCK_CHARS)) >= 0:
            # inside a JSON string with \n escapes: up to the closing quote, else the line
            m = _DQ_BODY.match(text, p, min(len(text), p + _MAX_BLOCK_CHARS))
            segments = []
            if not self.truncated or nl >= 0:  # the rest of the line: survives stray quotes
                segments.append(text[p : min(line_end, p + _MAX_BLOCK_CHARS)])
            if m is not None and m.end() < len(text) and text[m.end()] == '"':
                after = _WS.match(text, m.end() + 1).end()  # type: ignore[union-attr]
                if after >= len(text) or text[after] in ",}]":  # a real closing quote
                    segments.append(m.group())
            for segment in segments:
                decoded = _unescape(segment)
                cut = _cut_block(decoded, 0)
                if cut is None:
                    continue
                self.budget -= len(cut[0])
                code = _strip_trailing_junk(cut[0], function_name)
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
        code = _strip_trailing_junk(code_text, function_name)
        return (code, where) if code is not None else None


# --------------------------------------------------------------------------------------------
# cleaning a suggested code value

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


def _strip_preamble(code: str, spec: VariableSpec) -> str:
    label = _label_pattern(spec.py_name)
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


def _as_text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return "\n".join(value)  # code given as a list of lines
    return None


def _clean_code(value: str, spec: VariableSpec) -> tuple[str, bool, str | None]:
    """Returns (code, usable, note). ``usable``: parses and defines the target function."""
    fn = spec.function_name
    code = value.replace("\r\n", "\n").strip("\n")
    code = textwrap.dedent(_strip_preamble(code, spec)).strip("\n")
    note = None if code == value.strip("\n") else f"label/fence text stripped from {spec.py_name}"
    attempts = [code]
    if '\\"' in code or "\\'" in code:  # \" kept from a Python triple-quoted string
        attempts.append(code.replace('\\"', '"').replace("\\'", "'"))
    if "\n" not in code and "\\n" in code:
        attempts.append(_unescape(code))  # double-escaped newlines
    for attempt in attempts:
        fixed = _strip_trailing_junk(attempt, fn)
        if fixed is not None:
            if fn is not None:
                fixed = _drop_duplicate_defs(fixed, fn)
            if fixed != attempt and note is None:
                note = f"stray text stripped from {spec.py_name}"
            return textwrap.dedent(fixed).strip("\n"), True, note
    if fn is not None:  # prose, several versions, or a class around the method
        scanner = _Scanner(value, _fences(value), truncated=False)
        found = scanner.find(fn)
        if found is not None:
            return found[0], True, f"code for {spec.py_name} cut out of its suggested text"
    return code, False, note


# --------------------------------------------------------------------------------------------
# mapping suggestion keys to variables


def _norm_key(key: str) -> str:
    k = key.strip().strip("`'\" ")
    k = re.sub(r"\A\(\s*\w+\s*\)\s*", "", k)  # "(code) __code0"
    k = k.rstrip(":= \t")
    k = k.replace(":", "")  # "__code:0" (the node name)
    return k.lower()


def _unwrap(value: object, spec: VariableSpec) -> tuple[object, str | None]:
    """A dict value standing for one variable: take its code/value entry."""
    if not isinstance(value, dict):
        return value, None
    if spec.kind == "value" and spec.value_type is dict:
        return value, None
    lowered = {str(k).strip().lower(): k for k in value}
    for name in _WRAPPER_KEYS:
        if name in lowered:
            return value[lowered[name]], f"took {lowered[name]!r} from the dict suggested for"
    if spec.kind == "code":
        texts = [v for v in value.values() if isinstance(v, str) and v.strip()]
        if len(texts) == 1:
            return texts[0], "took the only text from the dict suggested for"
    return value, None


@dataclass
class _Candidate:
    rank: int  # 0 exact, 1 ignoring case, 2 label, 3 without digits, 4 invented key
    order: int
    key: str
    value: object
    how: str | None  # unwrap note


_RANK_NOTES = {
    1: "key {key!r} matched {name} ignoring case",
    2: "label {key!r} read as {name}",
    3: "key {key!r} read as {name}",
    4: "code under key {key!r} used for {name}",
}


def _suggestion_dict(obj: dict) -> tuple[dict | None, bool]:  # type: ignore[type-arg]
    """The suggestion mapping in a reply object, and whether it is the top level itself."""
    for level in (obj, *[v for v in obj.values() if isinstance(v, dict)]):
        for key in level:
            if str(key).strip().lower() in _SUGGESTION_KEYS:
                found = _as_mapping(level[key])
                if found:
                    return found, False
                # An empty "suggestion" beside an "answer" holding the values: small
                # models often put them there.
                answer = level.get("answer")
                if isinstance(answer, dict) and answer:
                    return _as_mapping(answer), False
                return found, False
    return obj, True


def _as_mapping(value: object) -> dict | None:  # type: ignore[type-arg]
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip().startswith("{"):
        obj, _, _, _ = _decode_at(value.strip(), 0)
        return obj if isinstance(obj, dict) else {"": value}
    if isinstance(value, list):  # [{"name": "__code0", "value": "..."}, ...]
        out: dict[object, object] = {}
        for item in value:
            if isinstance(item, dict):
                low = {str(k).lower(): v for k, v in item.items()}
                name = next(
                    (low[k] for k in ("name", "variable", "key", "py_name") if k in low), None
                )
                val = next((low[k] for k in ("code", "value", "new_value") if k in low), None)
                if isinstance(name, str) and val is not None:
                    out[name] = val
        return out or None
    if value is None:
        return None
    return {"": value}  # a bare value: mapped below if unambiguous


def _map_keys(
    mapping: dict,  # type: ignore[type-arg]
    variables: Sequence[VariableSpec],
    top_level: bool,
    notes: _Notes,
) -> dict[str, list[_Candidate]]:
    by_name = {v.py_name: v for v in variables}
    lower = {v.py_name.lower(): v for v in variables}
    digitless: dict[str, list[VariableSpec]] = {}
    for v in variables:
        digitless.setdefault(re.sub(r"\d+$", "", v.py_name.lower()), []).append(v)
    code_by_fn: dict[str, list[VariableSpec]] = {}
    for v in variables:
        if v.kind == "code" and v.function_name:
            code_by_fn.setdefault(v.function_name, []).append(v)
    code_vars = [v for v in variables if v.kind == "code"]

    out: dict[str, list[_Candidate]] = {}
    for order, (raw_key, value) in enumerate(mapping.items()):
        key = str(raw_key)
        norm = _norm_key(key)
        if top_level and norm in _CHATTER_KEYS:
            continue
        spec: VariableSpec | None = None
        rank = 0
        if key in by_name:
            spec = by_name[key]
        elif key.lower() in lower:
            spec, rank = lower[key.lower()], 1
        elif norm in lower:
            spec, rank = lower[norm], 2
        elif len(digitless.get(norm, ())) == 1:
            spec, rank = digitless[norm][0], 3
        elif key == "" and len(variables) == 1:
            spec, rank = variables[0], 3
        else:
            spec = _invented_target(key, value, code_by_fn, code_vars)
            rank = 4
            if spec is None and top_level and norm not in _INVENTED_CODE_KEYS:
                continue  # other top-level chatter ("feedback", "confidence", ...)
        if spec is None:
            shown = key if key else "the bare suggestion"
            notes.add(f"suggestion for {shown} ignored (not a trainable variable)")
            continue
        unwrapped, how = _unwrap(value, spec)
        out.setdefault(spec.py_name, []).append(_Candidate(rank, order, key, unwrapped, how))
    return out


def _invented_target(
    key: str,
    value: object,
    code_by_fn: dict[str, list[VariableSpec]],
    code_vars: list[VariableSpec],
) -> VariableSpec | None:
    """An invented key ("code", "fixed_code", the function name, ...) holding a definition."""
    if isinstance(value, dict):
        low = {str(k).strip().lower(): v for k, v in value.items()}
        value = next((low[k] for k in _WRAPPER_KEYS if k in low), value)
    text = _as_text(value)
    if text is None:
        return None
    for fn, specs in code_by_fn.items():
        if len(specs) == 1 and _def_pattern(fn).search(text):
            return specs[0]
    if len(code_vars) == 1 and code_vars[0].function_name is None and "def " in text:
        return code_vars[0]
    return None


# --------------------------------------------------------------------------------------------
# the entry point


def parse_reply(text: str, variables: Sequence[VariableSpec]) -> ParsedReply:
    """Recover every usable suggestion in ``text`` for ``variables``; see the module docstring."""
    notes = _Notes()
    if not isinstance(text, str) or not text.strip():
        notes.add("empty reply")
        return ParsedReply({}, False, tuple(notes.items), False)

    fences = _fences(text)
    truncated = False

    # 1. the reply object: strict JSON, then fenced JSON, then the outermost {...} in the text
    groups: list[list[_Found]] = []
    text_group: list[_Found] = []
    stripped = text.strip()
    try:
        whole = json.loads(stripped)
    except (ValueError, RecursionError):
        whole = None
    if isinstance(whole, dict):
        groups.append([_Found(whole, "strict", None, frozenset(), 0)])
    else:
        truncated = bool(fences) and not fences[-1].closed
        fenced: list[_Found] = []
        for fence in fences:
            if fence.lang not in _PYTHON_LANGS:
                content = text[fence.start : fence.end]
                fenced.extend(_objects_in(content, "fenced", fence.start))
        groups.append(fenced)
        groups.append(text_group)  # searched only when the fences give nothing

    chosen: _Found | None = None
    candidates: dict[str, list[_Candidate]] = {}
    chosen_notes = _Notes()
    fallback: tuple[_Found, _Notes] | None = None
    for group in groups:
        if group is text_group:
            group.extend(_objects_in(text, "text"))
        for found in reversed(group):  # later objects are usually the corrected ones
            mapping, top_level = _suggestion_dict(found.obj)
            if mapping is None:
                continue
            local = _Notes()
            cands = _map_keys(mapping, variables, top_level, local)
            if cands:
                chosen, candidates, chosen_notes = found, cands, local
                break
            if fallback is None:
                fallback = (found, local)
        if chosen is not None:
            break
    if chosen is None and fallback is not None:
        chosen, chosen_notes = fallback
    all_found = [f for g in groups for f in g]
    if any(f.stop == "truncated" for f in all_found):
        truncated = True

    if chosen is None:
        if "{" in text and not all_found:
            notes.add("no JSON object found in the reply")
        elif not all_found:
            notes.add("reply is not JSON")
    else:
        if chosen.origin == "fenced":
            notes.add("JSON taken from a fenced block", lenient=True)
        elif chosen.origin == "text":
            notes.add("JSON object cut out of surrounding text", lenient=True)
        if chosen.used:
            notes.add("lenient JSON: " + ", ".join(sorted(chosen.used)), lenient=True)
        if chosen.stop == "malformed":
            notes.add("malformed JSON: kept the members before the error", lenient=True)
    if truncated:
        notes.add("reply truncated (unbalanced JSON): kept what was complete", lenient=True)
    for item in chosen_notes.items:
        notes.add(item)

    # 2. key mapping and cleaning; 3. scanning the whole reply for missing code
    scanner = _Scanner(text, fences, truncated)
    suggestion: dict[str, object] = {}
    for spec in variables:
        ranked = sorted(candidates.get(spec.py_name, []), key=lambda c: (c.rank, -c.order))
        if spec.kind == "value":
            _take_value(spec, ranked, suggestion, notes)
        else:
            _take_code(spec, ranked, scanner, suggestion, notes)

    # 5. TERMINATE counts only without a usable suggestion
    says_terminate = "TERMINATE" in text
    terminated = says_terminate and not suggestion
    if terminated:
        notes.add("reply says TERMINATE")
    elif says_terminate:
        notes.add("TERMINATE ignored: the reply has a usable suggestion")
    elif not suggestion:
        notes.add("no usable suggestion in the reply")
    return ParsedReply(suggestion, terminated, tuple(notes.items), notes.lenient)


def _rank_note(cand: _Candidate, spec: VariableSpec, notes: _Notes) -> None:
    if cand.rank:
        notes.add(_RANK_NOTES[cand.rank].format(key=cand.key, name=spec.py_name), lenient=True)
    if cand.how:
        notes.add(f"{cand.how} {spec.py_name}", lenient=True)


def _value_label(py_name: str) -> re.Pattern[str]:
    """``(str) greeting0=`` / ``greeting0:`` copied from the #Variables listing."""
    return re.compile(r"\A\s*(?:\(\s*\w+\s*\)\s*)?" + re.escape(py_name) + r"\s*[:=][ \t]*")


def _take_value(
    spec: VariableSpec,
    cands: list[_Candidate],
    suggestion: dict[str, object],
    notes: _Notes,
) -> None:
    for cand in cands:
        value = cand.value
        if isinstance(value, _PartialDict | _PartialList):
            notes.add(f"value for {spec.py_name} was cut off: ignored")
            continue
        if isinstance(value, str):
            cleaned = _value_label(spec.py_name).sub("", value, count=1)
            if cleaned != value and cleaned.strip():
                notes.add(f"label stripped from the value of {spec.py_name}", lenient=True)
                value = cleaned
        _rank_note(cand, spec, notes)
        suggestion[spec.py_name] = value
        return


def _take_code(
    spec: VariableSpec,
    cands: list[_Candidate],
    scanner: _Scanner,
    suggestion: dict[str, object],
    notes: _Notes,
) -> None:
    unusable: tuple[_Candidate, str] | None = None
    for cand in cands:
        text = _as_text(cand.value)
        if text is None or not text.strip():
            if text is None:
                kind = type(cand.value).__name__
                notes.add(f"suggestion for {spec.py_name} is a {kind}, not code: ignored")
            continue
        code, usable, note = _clean_code(text, spec)
        if usable:
            _rank_note(cand, spec, notes)
            if note:
                notes.add(note, lenient=True)
            suggestion[spec.py_name] = code
            return
        if unusable is None:
            unusable = (cand, code)
    if spec.function_name and len(spec.function_name) > 0:
        found = scanner.find(spec.function_name)
        if found is not None:
            code, where = found
            why = " (the suggested code did not parse)" if unusable else ""
            notes.add(f"code for {spec.py_name} recovered from {where}{why}", lenient=True)
            suggestion[spec.py_name] = textwrap.dedent(code).strip("\n")
            return
    if unusable is not None:
        cand, code = unusable
        _rank_note(cand, spec, notes)
        notes.add(f"code for {spec.py_name} does not parse or lacks the function")
        suggestion[spec.py_name] = code  # let the checker explain what is wrong with it
