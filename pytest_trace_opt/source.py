"""Map optimized Trace parameters back onto the user's real source files.

Everything here is pure text manipulation (stdlib only):

* :func:`locate_function` / :func:`locate_function_at` find a function's exact line span;
* :func:`locate_node_literal` finds the literal passed to a ``node(...)`` call;
* :func:`splice_function` / :func:`replace_literal` rewrite just that span, keeping every
  other byte of the file identical (line endings, indentation style, missing final newline);
* :func:`unified_diff` renders a git-style patch that ``git apply`` and ``patch -p1`` accept;
* :func:`atomic_write` writes the result back safely, refusing if the file changed meanwhile.

Line numbers are 1-based; columns are 0-based *character* offsets (not the UTF-8 byte
offsets that :mod:`ast` reports).
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import hashlib
import io
import math
import os
import re
import stat
import tempfile
import textwrap
import tokenize
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "FunctionLocation",
    "LiteralLocation",
    "NotALiteralError",
    "SourceChangedError",
    "SourceError",
    "atomic_write",
    "locate_function",
    "locate_function_at",
    "locate_node_literal",
    "read_source",
    "replace_literal",
    "sha256_file",
    "sha256_text",
    "splice_function",
    "unified_diff",
]


class SourceError(Exception):
    """A source file cannot be located, parsed or rewritten; ``str()`` is a one-line reason."""


class SourceChangedError(SourceError):
    """The file changed on disk (or the text no longer matches a location) since the run began."""


class NotALiteralError(SourceError):
    """The value passed to ``node(...)`` is not a literal that can be rewritten in place."""


@dataclass(frozen=True)
class FunctionLocation:
    path: Path
    qualname: str
    def_line: int
    end_line: int
    decorator_line: int
    indent: str
    source: str
    is_method: bool
    signature: str


@dataclass(frozen=True)
class LiteralLocation:
    path: Path
    start: tuple[int, int]
    end: tuple[int, int]
    value: object
    target_name: str | None


_FuncDef = ast.FunctionDef | ast.AsyncFunctionDef
_LINE_RE = re.compile(r"[^\n]*\n|[^\n]+")
_COOKIE_RE = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_STRING_START_RE = re.compile(r"([rRbBuUfF]{0,2})('''|\"\"\"|'|\")")
_BOM = "\ufeff"


# --------------------------------------------------------------------------- text helpers


def _split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only, keeping line ends (``str.splitlines`` also splits on ``\\f`` etc.)."""
    return _LINE_RE.findall(text)


def _strip_eol(line: str) -> str:
    if line.endswith("\r\n"):
        return line[:-2]
    if line.endswith("\n"):
        return line[:-1]
    return line


def _eol_of(line: str) -> str:
    if line.endswith("\r\n"):
        return "\r\n"
    if line.endswith("\n"):
        return "\n"
    return ""


def _default_eol(lines: Sequence[str]) -> str:
    for line in lines:
        eol = _eol_of(line)
        if eol:
            return eol
    return "\n"


def _leading_ws(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t\f"))]


def _width(ws: str) -> int:
    return len(ws.expandtabs(8))


def _parse(text: str, path: Path | str) -> ast.Module:
    if re.search(r"\r(?!\n)", text):
        raise SourceError(f"{path}: bare carriage-return line endings are not supported")
    try:
        return ast.parse(text.removeprefix(_BOM))
    except SyntaxError as exc:
        raise SourceError(f"{path}: cannot parse: {exc.msg} (line {exc.lineno})") from exc


def _char_col(line_text: str, byte_col: int, bom_offset: int = 0) -> int:
    """Convert an :mod:`ast` UTF-8 byte column into a character column."""
    raw = line_text.removeprefix(_BOM) if bom_offset else line_text
    col = len(raw.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))
    return col + bom_offset


# --------------------------------------------------------------------------- reading / hashing


def read_source(path: Path) -> str:
    """Return the exact text of ``path``: line endings preserved, PEP 263 cookie honoured."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        raise SourceError(f"cannot decode {path}: {exc}") from exc


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def sha256_file(path: Path) -> str:
    """sha256 of the file's raw bytes (equal to ``sha256_text(read_source(path))`` for UTF-8)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc


# --------------------------------------------------------------------------- locating functions


def _child_bodies(stmt: ast.stmt) -> Iterator[list[ast.stmt]]:
    for field in ("body", "orelse", "finalbody"):
        value = getattr(stmt, field, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            yield value
    for handler in getattr(stmt, "handlers", None) or []:
        yield handler.body
    for case in getattr(stmt, "cases", None) or []:
        yield case.body


def _iter_defs(
    body: list[ast.stmt], prefix: str = "", in_class: bool = False
) -> Iterator[tuple[_FuncDef, str, bool]]:
    """Yield ``(node, qualname, is_method)`` for every function, in source order."""
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            qualname = prefix + stmt.name
            yield stmt, qualname, in_class
            yield from _iter_defs(stmt.body, qualname + ".<locals>.", False)
        elif isinstance(stmt, ast.ClassDef):
            yield from _iter_defs(stmt.body, prefix + stmt.name + ".", True)
        else:
            for child in _child_bodies(stmt):
                yield from _iter_defs(child, prefix, in_class)


def _decorator_start(node: _FuncDef, lines: Sequence[str]) -> int:
    if not node.decorator_list:
        return node.lineno
    line = min(d.lineno for d in node.decorator_list)
    while line > 1 and not lines[line - 1].lstrip().startswith("@"):
        line -= 1
    return line


def _end_line(node: ast.stmt, lines: Sequence[str], indent: str) -> int:
    """Last line of a def, including trailing comments indented deeper than the def."""
    end = node.end_lineno or node.lineno
    base = _width(indent)
    idx = end  # 0-based index of the line after ``end``
    while idx < len(lines):
        stripped = lines[idx].strip()
        if not stripped:
            idx += 1
            continue
        if stripped.startswith("#") and _width(_leading_ws(lines[idx])) > base:
            end = idx + 1
            idx += 1
            continue
        break
    return end


def _dedent_line(line: str, indent: str) -> str:
    if line.startswith(indent):
        return line[len(indent) :]
    if not line.strip():
        return ""
    return line


def _signature(source: str) -> str:
    depth = 0
    seen_def = False
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.NAME and tok.string == "def":
                seen_def = True
            elif tok.type == tokenize.OP and seen_def:
                if tok.string in "([{":
                    depth += 1
                elif tok.string in ")]}":
                    depth -= 1
                elif tok.string == ":" and depth == 0:
                    row, col = tok.end
                    lines = source.split("\n")
                    return "\n".join([*lines[: row - 1], lines[row - 1][:col]])
    except (tokenize.TokenError, SyntaxError):
        pass
    return source.split("\n", 1)[0]


def _make_location(
    path: Path, node: _FuncDef, qualname: str, is_method: bool, lines: Sequence[str]
) -> FunctionLocation:
    raw_def = lines[node.lineno - 1]
    indent = _leading_ws(_strip_eol(raw_def).removeprefix(_BOM))
    end = _end_line(node, lines, indent)
    source = "".join(
        _dedent_line(_strip_eol(line), indent) + "\n" for line in lines[node.lineno - 1 : end]
    )
    return FunctionLocation(
        path=path,
        qualname=qualname,
        def_line=node.lineno,
        end_line=end,
        decorator_line=_decorator_start(node, lines),
        indent=indent,
        source=source,
        is_method=is_method,
        signature=_signature(source),
    )


def _is_bundled(node: _FuncDef) -> bool:
    for dec in node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "bundle":
            return True
    return False


def locate_function(path: Path, qualname: str, text: str | None = None) -> FunctionLocation:
    """Find the function ``qualname`` (``"f"``, ``"A.m"``, ``"A.B.m"``) in ``path``.

    When a qualname is defined several times (``if``/``else`` variants, ``@overload``),
    a ``@bundle``-decorated definition wins, then the last one (the binding Python keeps).
    """
    path = Path(path)
    if text is None:
        text = read_source(path)
    if "<locals>" in qualname:
        raise SourceError(
            f"{path}: {qualname} is nested inside a function; nested functions are not supported"
        )
    tree = _parse(text, path)
    lines = _split_lines(text)
    found = [d for d in _iter_defs(tree.body) if d[1] == qualname]
    if not found:
        nested = [d for d in _iter_defs(tree.body) if d[1].replace("<locals>.", "") == qualname]
        if nested:
            raise SourceError(
                f"{path}: {qualname} is nested inside a function; "
                "nested functions are not supported"
            )
        raise SourceError(f"{path}: no function named {qualname}")
    bundled = [d for d in found if _is_bundled(d[0])]
    node, name, is_method = (bundled or found)[-1]
    return _make_location(path, node, name, is_method, lines)


def locate_function_at(
    path: Path, name: str, line: int, text: str | None = None
) -> FunctionLocation:
    """Find the function ``name`` whose ``def`` line or any decorator line is ``line``."""
    path = Path(path)
    if text is None:
        text = read_source(path)
    tree = _parse(text, path)
    lines = _split_lines(text)
    for node, qualname, is_method in _iter_defs(tree.body):
        if node.name == name and _decorator_start(node, lines) <= line <= node.lineno:
            if "<locals>" in qualname:
                raise SourceError(
                    f"{path}:{line}: {qualname} is nested inside a function; "
                    "nested functions are not supported"
                )
            return _make_location(path, node, qualname, is_method, lines)
    raise SourceError(f"{path}: no function named {name} defined at line {line}")


# --------------------------------------------------------------------------- node literals


def _is_node_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == "node") or (
        isinstance(func, ast.Attribute) and func.attr == "node"
    )


def _is_trainable(call: ast.Call) -> bool:
    return any(
        kw.arg == "trainable" and isinstance(kw.value, ast.Constant) and kw.value.value is True
        for kw in call.keywords
    )


def _describe(expr: ast.expr) -> str:
    if isinstance(expr, ast.Name):
        return f"the name {expr.id}, not a literal; rewrite it where it is defined"
    if isinstance(expr, ast.Attribute):
        return f"the attribute {ast.unparse(expr)}, not a literal; rewrite it where it is defined"
    if isinstance(expr, ast.JoinedStr):
        return "an f-string, not a literal"
    if isinstance(expr, ast.Call):
        return f"a call to {ast.unparse(expr.func)}(...), not a literal"
    text = ast.unparse(expr)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"the expression {text}, not a literal"


def locate_node_literal(path: Path, line: int, text: str | None = None) -> LiteralLocation:
    """Find the literal first argument (or ``data=``) of the ``node(...)`` call at ``line``."""
    path = Path(path)
    if text is None:
        text = read_source(path)
    tree = _parse(text, path)
    lines = _split_lines(text)

    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _is_node_call(n)]
    starting = sorted((c for c in calls if c.lineno == line), key=lambda c: c.col_offset)
    if starting:
        candidates = starting
    else:
        spanning = [c for c in calls if c.lineno <= line <= (c.end_lineno or c.lineno)]
        # innermost first
        candidates = sorted(spanning, key=lambda c: (-c.lineno, (c.end_lineno or c.lineno)))
    if not candidates:
        raise SourceError(f"{path}:{line}: no node(...) call on this line")
    call = next((c for c in candidates if _is_trainable(c)), candidates[0])

    arg: ast.expr | None = call.args[0] if call.args else None
    if arg is None:
        arg = next((kw.value for kw in call.keywords if kw.arg == "data"), None)
    if arg is None:
        raise NotALiteralError(f"{path}:{call.lineno}: node(...) is called without a value")
    if isinstance(arg, ast.Starred):
        raise NotALiteralError(f"{path}:{call.lineno}: the value is a *-argument, not a literal")
    try:
        value = ast.literal_eval(arg)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as exc:
        raise NotALiteralError(f"{path}:{call.lineno}: the value is {_describe(arg)}") from exc

    target_name: str | None = None
    for parent in ast.walk(tree):
        if isinstance(parent, ast.Assign | ast.AnnAssign) and parent.value is call:
            target = parent.targets[0] if isinstance(parent, ast.Assign) else parent.target
            if isinstance(target, ast.Name):
                target_name = target.id
            elif isinstance(target, ast.Attribute):
                target_name = target.attr
            break

    end_lineno = arg.end_lineno or arg.lineno
    end_byte = arg.end_col_offset if arg.end_col_offset is not None else arg.col_offset
    bom = 1 if text.startswith(_BOM) else 0
    start = (arg.lineno, _char_col(lines[arg.lineno - 1], arg.col_offset, bom * (arg.lineno == 1)))
    end = (end_lineno, _char_col(lines[end_lineno - 1], end_byte, bom * (end_lineno == 1)))
    return LiteralLocation(path=path, start=start, end=end, value=value, target_name=target_name)


# --------------------------------------------------------------------------- literal rendering


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
    lines = _split_lines(text)
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

    eol = _eol_of(lines[sl - 1]) or "\n"
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


# --------------------------------------------------------------------------- splicing functions


def _interior_rows(source: str) -> set[int]:
    """1-based rows that start inside a multi-line string (their indentation is data)."""
    rows: set[int] = set()
    string_types = {tokenize.STRING}
    fstring_middle = getattr(tokenize, "FSTRING_MIDDLE", None)
    if fstring_middle is not None:
        string_types.add(fstring_middle)
    with contextlib.suppress(tokenize.TokenError, SyntaxError):
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in string_types and tok.end[0] > tok.start[0]:
                rows.update(range(tok.start[0] + 1, tok.end[0] + 1))
    return rows


def _dedent_new(source: str) -> str:
    lines = source.split("\n")
    first = next((ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")), "")
    ws = _leading_ws(first)
    if ws:
        source = "\n".join(_dedent_line(ln, ws) for ln in lines)
    return source


def _body_unit(source: str, func: _FuncDef) -> str | None:
    """Indentation of the first body statement relative to the def, if on its own line."""
    first = func.body[0]
    if first.lineno == func.lineno:
        return None
    lines = source.split("\n")
    def_ws = _leading_ws(lines[func.lineno - 1])
    body_ws = _leading_ws(lines[first.lineno - 1])
    if body_ws.startswith(def_ws) and len(body_ws) > len(def_ws):
        return body_ws[len(def_ws) :]
    return None


def _convert_ws(ws: str, from_unit: str, to_unit: str) -> str:
    if from_unit == "\t":
        levels = len(ws) - len(ws.lstrip("\t"))
        rest = ws[levels:]
    else:
        width = _width(ws)
        levels, rem = divmod(width, len(from_unit))
        rest = " " * rem
    return to_unit * levels + rest


def splice_function(text: str, loc: FunctionLocation, new_source: str) -> str:
    """Replace the function at ``loc`` by ``new_source``; every other byte stays identical.

    ``new_source`` is dedented, re-indented to ``loc.indent`` and converted to the file's
    indent unit and line endings.  Lines identical to the old function are copied byte for
    byte.  Decorators in ``new_source`` are ignored (the file's decorators are kept).  For a
    function that is not a method, statements before the def (imports, helpers) are inserted
    above its decorators and statements after it below it; imports the module already has
    at top level are dropped.
    """
    lines = _split_lines(text)
    region = lines[loc.def_line - 1 : loc.end_line]
    if (
        loc.end_line > len(lines)
        or "".join(_dedent_line(_strip_eol(ln), loc.indent) + "\n" for ln in region) != loc.source
    ):
        raise SourceChangedError(
            f"{loc.path}: {loc.qualname} changed since it was located (lines "
            f"{loc.def_line}-{loc.end_line})"
        )
    name = loc.qualname.rsplit(".", 1)[-1]
    eol = _eol_of(region[0]) or _default_eol(lines)

    # Normalise the new source: LF endings, no surrounding blank lines, dedented.
    new = new_source.replace("\r\n", "\n")
    new_lines = new.split("\n")
    while new_lines and not new_lines[0].strip():
        new_lines.pop(0)
    while new_lines and not new_lines[-1].strip():
        new_lines.pop()
    if not new_lines:
        raise SourceError(f"{loc.path}: the new source for {loc.qualname} is empty")
    new = _dedent_new("\n".join(new_lines)) + "\n"
    try:
        tree = ast.parse(new)
    except SyntaxError:
        try:
            new = textwrap.dedent(new)
            tree = ast.parse(new)
        except SyntaxError as exc:
            raise SourceError(
                f"the new source for {loc.qualname} does not parse: {exc.msg} (line {exc.lineno})"
            ) from exc
    new_lines = new.split("\n")[:-1]

    mains = [
        (i, s)
        for i, s in enumerate(tree.body)
        if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) and s.name == name
    ]
    if not mains:
        raise SourceError(f"the new source for {loc.qualname} does not define {name}")
    main_index, main = mains[-1]
    extras = [s for i, s in enumerate(tree.body) if i != main_index]
    if loc.is_method and extras:
        raise SourceError(
            f"the new source for method {loc.qualname} contains statements besides the method"
        )

    # Drop imports the module already has at top level.
    drop_rows: set[int] = set()
    if not loc.is_method:
        existing = {
            ast.dump(s)
            for s in _parse(text, loc.path).body
            if isinstance(s, ast.Import | ast.ImportFrom)
        }
        for s in extras:
            if isinstance(s, ast.Import | ast.ImportFrom) and ast.dump(s) in existing:
                drop_rows.update(range(s.lineno, (s.end_lineno or s.lineno) + 1))

    main_start = _decorator_start(main, new_lines)
    main_end = _end_line(main, new_lines, "")
    interior = _interior_rows(new)

    try:
        old_body = ast.parse(loc.source).body
    except SyntaxError:
        old_body = []
    old_func = old_body[0] if old_body else None
    file_unit = _body_unit(loc.source, old_func) if isinstance(old_func, _FuncDef) else None
    new_unit = _body_unit(new, main)
    units = (new_unit, file_unit) if new_unit and file_unit and new_unit != file_unit else None

    def fresh(row: int) -> str:
        """Re-indent row ``row`` (1-based) of the new source for the file."""
        line = new_lines[row - 1]
        if row in interior:
            return (loc.indent + line if line else "") + eol
        if not line.strip():
            return eol
        if units:
            ws = _leading_ws(line)
            line = _convert_ws(ws, *units) + line[len(ws) :]
        return loc.indent + line + eol

    def fresh_block(first: int, last: int) -> list[str]:
        out = [fresh(r) for r in range(first, last + 1) if r not in drop_rows]
        return out if any(line != eol for line in out) else []

    def with_eol(line: str) -> str:
        return line if _eol_of(line) else line + eol

    leading = fresh_block(1, main_start - 1)
    while leading and leading[0] == eol:  # left over from dropped imports
        leading.pop(0)
    trailing = fresh_block(main_end + 1, len(new_lines))

    old_main = loc.source.split("\n")[:-1]
    new_main = new_lines[main.lineno - 1 : main_end]
    body: list[str] = []
    matcher = difflib.SequenceMatcher(None, old_main, new_main, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            body.extend(with_eol(ln) for ln in region[i1:i2])
        else:
            body.extend(fresh(main.lineno + j) for j in range(j1, j2))

    decorators = [with_eol(ln) for ln in lines[loc.decorator_line - 1 : loc.def_line - 1]]
    out = [
        *lines[: loc.decorator_line - 1],
        *leading,
        *decorators,
        *body,
        *trailing,
    ]
    rest = lines[loc.end_line :]
    if not rest and not _eol_of(lines[-1]) and out:
        out[-1] = _strip_eol(out[-1])
    result = "".join(out + rest)
    try:
        ast.parse(result.removeprefix(_BOM))
    except SyntaxError as exc:
        raise SourceError(
            f"{loc.path}: the new {loc.qualname} would not parse in place: "
            f"{exc.msg} (line {exc.lineno})"
        ) from exc
    return result


# --------------------------------------------------------------------------- diffs


def _git_path(prefix: str, rel: str) -> str:
    name = prefix + rel
    if any(ch in name for ch in '"\\') or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        escaped = "".join(
            {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n"}.get(ch)
            or (f"\\{ord(ch):03o}" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch)
            for ch in name
        )
        return f'"{escaped}"'
    return name


def unified_diff(old_text: str, new_text: str, relpath: str) -> str:
    """A git-style unified diff (3 lines of context) of one file; ``""`` when equal."""
    if old_text == new_text:
        return ""
    rel = str(relpath).replace("\\", "/")
    while rel.startswith("./"):
        rel = rel[2:]
    rel = rel.lstrip("/")
    a_name, b_name = _git_path("a/", rel), _git_path("b/", rel)
    tab = "\t" if " " in rel and not a_name.startswith('"') else ""
    out = [f"diff --git {a_name} {b_name}\n", f"--- {a_name}{tab}\n", f"+++ {b_name}{tab}\n"]
    hunks = difflib.unified_diff(_split_lines(old_text), _split_lines(new_text), n=3)
    for i, line in enumerate(hunks):
        if i < 2:  # difflib's own ---/+++ header
            continue
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


# --------------------------------------------------------------------------- writing


def _encoding_for(new_text: str, old_bytes: bytes) -> str:
    for line in new_text.split("\n", 2)[:2]:
        match = _COOKIE_RE.match(line)
        if match:
            try:
                encoding, _ = tokenize.detect_encoding(
                    io.BytesIO(new_text.encode("utf-8", errors="replace")).readline
                )
            except SyntaxError:
                return "utf-8"
            return "utf-8" if encoding == "utf-8-sig" else encoding
        if line.strip() and not line.lstrip().startswith("#"):
            break
    if old_bytes.startswith(b"\xef\xbb\xbf") and not new_text.startswith(_BOM):
        return "utf-8-sig"
    return "utf-8"


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _replace_atomically(target: Path, data: bytes, mode: int | None) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(target.parent)


def free_backup_path(path: Path, suffix: str) -> Path:
    """``m.py.orig``, or ``m.py.orig.1``, ``.2``... when earlier backups exist: a second
    apply must not overwrite the first backup, which may be the only pristine copy."""
    backup = path.with_name(path.name + suffix)
    number = 0
    while backup.exists() or backup.is_symlink():
        number += 1
        backup = path.with_name(f"{path.name}{suffix}.{number}")
    return backup


def atomic_write(
    path: Path, new_text: str, expected_sha256: str, backup_suffix: str | None = ".orig"
) -> Path | None:
    """Atomically replace ``path`` with ``new_text`` if it still has ``expected_sha256``.

    ``expected_sha256`` may be :func:`sha256_file` (raw bytes) or
    ``sha256_text(read_source(path))``.  The file's permission bits and encoding (PEP 263
    cookie, UTF-8 BOM) are kept; a symlink is followed, not replaced.  With ``backup_suffix``
    the previous content is first written (atomically) to ``path + backup_suffix`` and that
    backup path is returned; otherwise ``None``.
    """
    path = Path(path)
    target = Path(os.path.realpath(path))

    def current() -> tuple[bytes, set[str]]:
        try:
            data = target.read_bytes()
        except FileNotFoundError as exc:
            raise SourceChangedError(f"{path} no longer exists; not writing") from exc
        except OSError as exc:
            raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
        hashes = {hashlib.sha256(data).hexdigest()}
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            hashes.add(sha256_text(data.decode(encoding)))
        except (SyntaxError, UnicodeDecodeError, LookupError):
            pass
        return data, hashes

    old_bytes, hashes = current()
    if expected_sha256 not in hashes:
        raise SourceChangedError(f"{path} changed on disk since the run began; not writing")
    encoding = _encoding_for(new_text, old_bytes)
    try:
        new_bytes = new_text.encode(encoding)
    except (UnicodeEncodeError, LookupError) as exc:
        raise SourceError(f"cannot encode the new text of {path} as {encoding}: {exc}") from exc

    try:
        mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except OSError:
        mode = None
    backup: Path | None = None
    try:
        if backup_suffix:
            backup = free_backup_path(path, backup_suffix)
            _replace_atomically(backup, old_bytes, mode)
        if current()[1] != hashes:
            raise SourceChangedError(f"{path} changed on disk while writing; not writing")
        _replace_atomically(target, new_bytes, mode)
    except OSError as exc:
        raise SourceError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return backup
