"""A lenient JSON / Python-literal decoder that keeps whatever was complete.

Strict JSON first, then a recursive-descent parser for what small models write; on a
truncated or malformed object every complete member is kept. Linear in the size of the text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_MAX_DEPTH = 64  # nesting depth of the lenient JSON parser
_MAX_OBJECT_STARTS = 2_000  # candidate "{" positions tried by the object search
_MAX_OBJECTS = 50  # objects kept per text


class PartialDict(dict):  # type: ignore[type-arg]
    """An object cut short (truncated or malformed): its complete members only."""


class PartialList(list):  # type: ignore[type-arg]
    """An array cut short: its complete items only."""


_MISSING = object()
WS = re.compile(r"\s*")
DQ_BODY = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*', re.S)  # unrolled: no catastrophic backtracking
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


def unescape(raw: str) -> str:
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
    (as ``PartialDict`` / ``PartialList``); ``stop`` says why.
    """

    def __init__(self, text: str, pos: int) -> None:
        self.text = text
        self.pos = pos
        self.stop: str | None = None  # "truncated" | "malformed"
        self.used: set[str] = set()

    def _ws(self) -> None:
        text = self.text
        while True:
            self.pos = WS.match(text, self.pos).end()  # type: ignore[union-attr]
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
            return PartialDict(out)

        while True:
            self._ws()
            if self.pos >= len(text):
                self.stop = "truncated"
                return PartialDict(out)
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
                    return PartialDict(out) if self.stop == "truncated" else malformed()
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
                return PartialDict(out)
            if text[self.pos] not in ":=":
                return malformed()
            self.pos += 1
            val = self.value(depth + 1)
            if val is _MISSING:
                return PartialDict(out) if self.stop == "truncated" else malformed()
            out[str(key)] = val
            pending = str(key)
            if self.stop:
                return PartialDict(out)

    def _array(self, depth: int) -> object:
        text = self.text
        self.pos += 1
        out: list[object] = []
        while True:
            self._ws()
            if self.pos >= len(text):
                self.stop = "truncated"
                return PartialList(out)
            c = text[self.pos]
            if c == ",":
                self.pos += 1
                continue
            if c == "]":
                self.pos += 1
                return out
            val = self.value(depth + 1)
            if val is _MISSING:
                return PartialList(out)
            out.append(val)
            if self.stop:
                return PartialList(out)

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
            return unescape(raw)
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
                out = unescape(text[self.pos + 1 : j])
                self.pos = j + 1
                return out
            i = j + 1


_STRICT = json.JSONDecoder()
_LOOSE = json.JSONDecoder(strict=False)
_OBJ_START = re.compile(r"\{\s*[\"'A-Za-z_}]")


@dataclass
class Found:
    obj: dict  # type: ignore[type-arg]
    origin: str  # "strict" | "fenced" | "text"
    stop: str | None
    used: frozenset[str]
    start: int


def decode_at(text: str, pos: int) -> tuple[object, int, str | None, frozenset[str]]:
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


def objects_in(text: str, origin: str, offset: int = 0) -> list[Found]:
    """Outermost objects in ``text`` (non-overlapping, in order).

    A ``{`` that starts no object (``{name}`` in prose) costs little, so many are tried; the
    characters examined by all attempts together are capped at a small multiple of the text.
    """
    found: list[Found] = []
    pos = 0
    budget = 2 * len(text) + 100_000
    for _ in range(_MAX_OBJECT_STARTS):
        m = _OBJ_START.search(text, pos)
        if m is None or budget <= 0:
            break
        obj, end, stop, used = decode_at(text, m.start())
        if stop == "truncated":
            end = len(text)
        budget -= max(end - m.start(), 1)
        if isinstance(obj, dict) and (obj or stop is None):
            found.append(Found(obj, origin, stop, used, offset + m.start()))
            if stop == "truncated" or len(found) >= _MAX_OBJECTS:
                break
            pos = max(end, m.start() + 1)
        else:
            pos = m.start() + 1
    return found
