"""Replace one function of a file by new source, keeping every other byte identical.

:func:`splice_function` keeps the file's line endings, indentation style and missing final
newline; lines equal to the old function are copied byte for byte.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import io
import textwrap
import tokenize
from dataclasses import dataclass

from pytest_trace_opt.patch._text import (
    BOM,
    FuncDef,
    SourceChangedError,
    SourceError,
    dedent_line,
    default_eol,
    eol_of,
    indent_width,
    leading_ws,
    parse_source,
    split_lines,
    strip_eol,
)
from pytest_trace_opt.patch.locate import FunctionLocation, decorator_start, def_end_line


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
    ws = leading_ws(first)
    if ws:
        source = "\n".join(dedent_line(ln, ws) for ln in lines)
    return source


def _body_unit(source: str, func: FuncDef) -> str | None:
    """Indentation of the first body statement relative to the def, if on its own line."""
    first = func.body[0]
    if first.lineno == func.lineno:
        return None
    lines = source.split("\n")
    def_ws = leading_ws(lines[func.lineno - 1])
    body_ws = leading_ws(lines[first.lineno - 1])
    if body_ws.startswith(def_ws) and len(body_ws) > len(def_ws):
        return body_ws[len(def_ws) :]
    return None


def _convert_ws(ws: str, from_unit: str, to_unit: str) -> str:
    if from_unit == "\t":
        levels = len(ws) - len(ws.lstrip("\t"))
        rest = ws[levels:]
    else:
        width = indent_width(ws)
        levels, rem = divmod(width, len(from_unit))
        rest = " " * rem
    return to_unit * levels + rest


@dataclass(frozen=True)
class _Reindent:
    """Turns rows of the (dedented) new source into lines of the file."""

    new_lines: list[str]
    interior: set[int]  # rows inside multi-line strings: their indentation is data
    indent: str  # the def's indentation in the file
    eol: str
    units: tuple[str, str] | None  # (the new source's indent unit, the file's), when they differ

    def row(self, row: int) -> str:
        """Re-indent row ``row`` (1-based) of the new source for the file."""
        line = self.new_lines[row - 1]
        if row in self.interior:
            return (self.indent + line if line else "") + self.eol
        if not line.strip():
            return self.eol
        if self.units:
            ws = leading_ws(line)
            line = _convert_ws(ws, *self.units) + line[len(ws) :]
        return self.indent + line + self.eol

    def block(self, first: int, last: int, drop_rows: set[int]) -> list[str]:
        out = [self.row(r) for r in range(first, last + 1) if r not in drop_rows]
        return out if any(line != self.eol for line in out) else []

    def with_eol(self, line: str) -> str:
        return line if eol_of(line) else line + self.eol


def _current_region(lines: list[str], loc: FunctionLocation) -> list[str]:
    """The lines of the function at ``loc``, refusing when they are no longer what was located."""
    region = lines[loc.def_line - 1 : loc.end_line]
    if (
        loc.end_line > len(lines)
        or "".join(dedent_line(strip_eol(ln), loc.indent) + "\n" for ln in region) != loc.source
    ):
        raise SourceChangedError(
            f"{loc.path}: {loc.qualname} changed since it was located (lines "
            f"{loc.def_line}-{loc.end_line})"
        )
    return region


def _normalised_new_source(new_source: str, loc: FunctionLocation) -> tuple[str, ast.Module]:
    """LF endings, no surrounding blank lines, dedented; and its syntax tree."""
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
    return new, tree


def _new_definition(tree: ast.Module, loc: FunctionLocation) -> tuple[FuncDef, list[ast.stmt]]:
    """The (last) definition of the function in the new source, and the statements around it."""
    name = loc.qualname.rsplit(".", 1)[-1]
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
    return main, extras


def _known_import_rows(text: str, loc: FunctionLocation, extras: list[ast.stmt]) -> set[int]:
    """Rows of the new source importing what the module already imports at top level."""
    drop_rows: set[int] = set()
    existing = {
        ast.dump(s)
        for s in parse_source(text, loc.path).body
        if isinstance(s, ast.Import | ast.ImportFrom)
    }
    for s in extras:
        if isinstance(s, ast.Import | ast.ImportFrom) and ast.dump(s) in existing:
            drop_rows.update(range(s.lineno, (s.end_lineno or s.lineno) + 1))
    return drop_rows


def _indent_units(loc: FunctionLocation, new: str, main: FuncDef) -> tuple[str, str] | None:
    """(new unit, file unit) when the new source indents its body otherwise than the file."""
    try:
        old_body = ast.parse(loc.source).body
    except SyntaxError:
        old_body = []
    old_func = old_body[0] if old_body else None
    file_unit = _body_unit(loc.source, old_func) if isinstance(old_func, FuncDef) else None
    new_unit = _body_unit(new, main)
    if new_unit and file_unit and new_unit != file_unit:
        return new_unit, file_unit
    return None


def _merged_body(
    loc: FunctionLocation, region: list[str], new_main: list[str], first_row: int, fresh: _Reindent
) -> list[str]:
    """The new function: lines equal to the old function's are copied from the file."""
    old_main = loc.source.split("\n")[:-1]
    body: list[str] = []
    matcher = difflib.SequenceMatcher(None, old_main, new_main, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            body.extend(fresh.with_eol(ln) for ln in region[i1:i2])
        else:
            body.extend(fresh.row(first_row + j) for j in range(j1, j2))
    return body


def splice_function(
    text: str, loc: FunctionLocation, new_source: str, *, imports: list[str] | None = None
) -> str:
    """Replace the function at ``loc`` by ``new_source``; every other byte stays identical.

    ``new_source`` is dedented, re-indented to ``loc.indent`` and converted to the file's
    indent unit and line endings.  Lines identical to the old function are copied byte for
    byte.  Decorators in ``new_source`` are ignored (the file's decorators are kept).  For a
    function that is not a method, statements before the def (imports, helpers) are inserted
    above its decorators and statements after it below it; imports the module already has
    at top level are dropped. With ``imports`` (a list), the new imports are appended there
    instead, for :func:`add_imports` to put them with the module's own.
    """
    lines = split_lines(text)
    region = _current_region(lines, loc)
    eol = eol_of(region[0]) or default_eol(lines)
    new, tree = _normalised_new_source(new_source, loc)
    new_lines = new.split("\n")[:-1]
    main, extras = _new_definition(tree, loc)
    drop_rows = set() if loc.is_method else _known_import_rows(text, loc, extras)
    if imports is not None and not loc.is_method:
        for stmt in extras:
            rows = set(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
            if isinstance(stmt, ast.Import | ast.ImportFrom) and not rows & drop_rows:
                imports.append("\n".join(new_lines[min(rows) - 1 : max(rows)]))
                drop_rows |= rows
    main_start = decorator_start(main, new_lines)
    main_end = def_end_line(main, new_lines, "")
    fresh = _Reindent(
        new_lines, _interior_rows(new), loc.indent, eol, _indent_units(loc, new, main)
    )

    leading = fresh.block(1, main_start - 1, drop_rows)
    while leading and leading[0] == eol:  # left over from dropped imports
        leading.pop(0)
    trailing = fresh.block(main_end + 1, len(new_lines), drop_rows)
    body = _merged_body(loc, region, new_lines[main.lineno - 1 : main_end], main.lineno, fresh)
    decorators = [fresh.with_eol(ln) for ln in lines[loc.decorator_line - 1 : loc.def_line - 1]]
    out = [*lines[: loc.decorator_line - 1], *leading, *decorators, *body, *trailing]
    rest = lines[loc.end_line :]
    if not rest and not eol_of(lines[-1]) and out:
        out[-1] = strip_eol(out[-1])
    result = "".join(out + rest)
    try:
        ast.parse(result.removeprefix(BOM))
    except SyntaxError as exc:
        raise SourceError(
            f"{loc.path}: the new {loc.qualname} would not parse in place: "
            f"{exc.msg} (line {exc.lineno})"
        ) from exc
    return result


def add_imports(text: str, statements: list[str], path: str = "<module>") -> str:
    """``text`` with the import ``statements`` it lacks added after the module's leading
    imports (or its docstring): an import placed above one function is not seen by the
    functions above it, whose annotations and defaults run first."""
    tree = parse_source(text, path)
    known = {ast.dump(s) for s in tree.body if isinstance(s, ast.Import | ast.ImportFrom)}
    wanted: list[str] = []
    for statement in statements:
        parsed = ast.parse(statement).body
        dumped = ast.dump(parsed[0]) if parsed else ""
        if parsed and dumped not in known:
            known.add(dumped)
            wanted.append(" ".join(statement.split()))
    if not wanted:
        return text
    lines = split_lines(text)
    eol = default_eol(lines)
    body = list(tree.body)
    at, blank_before = 0, False
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        at, blank_before = body[0].end_lineno or body[0].lineno, True
        body = body[1:]
    leading = [s for s in _leading_imports(body)]
    if leading:
        at, blank_before = leading[-1].end_lineno or leading[-1].lineno, False
    if at and at <= len(lines) and not eol_of(lines[at - 1]):
        lines[at - 1] += eol
    added = [line + eol for line in wanted]
    if blank_before:
        added.insert(0, eol)
    if not leading and at < len(lines) and lines[at].strip():
        added.append(eol)
    return "".join([*lines[:at], *added, *lines[at:]])


def _leading_imports(body: list[ast.stmt]) -> list[ast.stmt]:
    found: list[ast.stmt] = []
    for stmt in body:
        if not isinstance(stmt, ast.Import | ast.ImportFrom):
            break
        found.append(stmt)
    return found
