"""Rewrite the literal of a ``node(...)`` call so that it evaluates to a new value.

Only the literal's span changes; the quote style, prefixes and line ends of the original are
kept where the new value allows it.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterator

from pytest_trace_opt.patch._text import SourceChangedError, SourceError, eol_of, split_lines
from pytest_trace_opt.patch.locate import LiteralLocation

_STRING_START_RE = re.compile(r"([rRbBuUfF]{0,2})('''|\"\"\"|'|\")")


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


_SIMPLE_ESCAPES = {"\\": "\\\\", "\r": "\\r", "\n": "\\n", "\t": "\\t", "\0": "\\x00"}


def _escape_str(value: str, quote: str, triple: bool) -> str:
    out: list[str] = []
    last = len(value) - 1
    for i, ch in enumerate(value):
        if ch == quote:
            if not triple or i == last or value[i + 1 : i + 3] == quote * 2:
                out.append("\\" + ch)
            else:
                out.append(ch)
        elif triple and ch in "\n\t":
            out.append(ch)
        elif ch in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[ch])
        elif not ch.isprintable():
            out.append(_escape_char(ch))
        else:
            out.append(ch)
    return "".join(out)


def _str_literal(value: str, quote: str = '"', triple: bool = False) -> str:
    if not triple and quote in value:
        other = "'" if quote == '"' else '"'
        if other not in value:
            quote = other
    delim = quote * 3 if triple else quote
    return delim + _escape_str(value, quote, triple) + delim


def _py_literal(value: object) -> str:
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            raise SourceError("cannot write NaN as a Python literal")
        if math.isinf(value):
            return "1e999" if value > 0 else "-1e999"
        return repr(float(value))
    if isinstance(value, complex):
        if math.isnan(value.real) or math.isnan(value.imag):
            raise SourceError("cannot write NaN as a Python literal")
        return repr(complex(value))
    if isinstance(value, str):
        return _str_literal(str(value))
    if isinstance(value, bytes):
        return repr(bytes(value))
    if isinstance(value, list):
        return "[" + ", ".join(_py_literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        if len(value) == 1:
            return "(" + _py_literal(value[0]) + ",)"
        return "(" + ", ".join(_py_literal(v) for v in value) + ")"
    if isinstance(value, set):
        if not value:
            return "set()"
        return "{" + ", ".join(sorted(_py_literal(v) for v in value)) + "}"
    if isinstance(value, dict):
        items = (f"{_py_literal(k)}: {_py_literal(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    raise SourceError(f"cannot write a value of type {type(value).__name__} as a Python literal")


def _same_value(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


def _roundtrips(literal: str, value: object) -> bool:
    try:
        return _same_value(ast.literal_eval(literal), value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def _string_candidates(value: str, original: str) -> Iterator[str]:
    match = _STRING_START_RE.match(original)
    prefix, delim = (match.group(1), match.group(2)) if match else ("", '"')
    quote = delim[0]
    triple = len(delim) == 3 or "\n" in value
    raw = "r" in prefix.lower() and "b" not in prefix.lower() and "f" not in prefix.lower()
    continuation = (
        len(delim) == 3
        and original[len(prefix) + 3 : len(prefix) + 5] in ("\\\n", "\\\r")
        and not value.startswith("\n")
    )
    lead = "\\\n" if continuation and triple else ""
    if raw and all(ch.isprintable() or ch in "\n\t" for ch in value):
        raw_prefix = "r" if "r" in prefix else "R"
        if triple and not lead:
            yield raw_prefix + quote * 3 + value + quote * 3
        elif not triple:
            yield raw_prefix + quote + value + quote
    if triple:
        yield quote * 3 + lead + _escape_str(value, quote, True) + quote * 3
    yield _str_literal(value, quote, False)
    yield repr(value)


def replace_literal(text: str, loc: LiteralLocation, new_value: object) -> str:
    """Rewrite only the literal span of ``loc`` so that it evaluates to ``new_value``."""
    lines = split_lines(text)
    (sl, sc), (el, ec) = loc.start, loc.end
    if not (1 <= sl <= el <= len(lines)):
        raise SourceChangedError(f"{loc.path}:{sl}: the literal is no longer at this position")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    begin, finish = offsets[sl - 1] + sc, offsets[el - 1] + ec
    original = text[begin:finish]
    try:
        current = ast.literal_eval("(" + original + "\n)")
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        current = _Missing
    if current is _Missing or current != loc.value:
        raise SourceChangedError(f"{loc.path}:{sl}: the literal changed since it was located")

    eol = eol_of(lines[sl - 1]) or "\n"
    if isinstance(new_value, str):
        candidates: Iterator[str] = _string_candidates(str(new_value), original)
        value: object = str(new_value)
    else:
        candidates = iter([_py_literal(new_value)])
        value = new_value
    for candidate in candidates:
        if eol != "\n":
            candidate = candidate.replace("\n", eol)
        if _roundtrips(candidate, value) or (
            not isinstance(value, str) and _roundtrips_loosely(candidate, value)
        ):
            return text[:begin] + candidate + text[finish:]
    raise SourceError(f"{loc.path}:{sl}: cannot write {new_value!r} as a Python literal")


class _Missing:
    pass


def _roundtrips_loosely(literal: str, value: object) -> bool:
    """Containers holding subclasses (e.g. ``str`` enums) compare equal but not identical."""
    try:
        return bool(ast.literal_eval(literal) == value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
