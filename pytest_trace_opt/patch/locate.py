"""Find a function's exact line span, or the literal passed to a ``node(...)`` call.

:func:`locate_function` / :func:`locate_function_at` return a :class:`FunctionLocation`;
:func:`locate_node_literal` returns a :class:`LiteralLocation`. Both are what the splicing
and literal rewriting modules change, and nothing else.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_trace_opt.patch._text import (
    BOM,
    FuncDef,
    NotALiteralError,
    SourceError,
    char_col,
    dedent_line,
    indent_width,
    leading_ws,
    parse_source,
    split_lines,
    strip_eol,
)
from pytest_trace_opt.patch.files import read_source


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


def child_bodies(stmt: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The statement lists nested in a compound statement (branches, handlers, cases)."""
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
) -> Iterator[tuple[FuncDef, str, bool]]:
    """Yield ``(node, qualname, is_method)`` for every function, in source order."""
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            qualname = prefix + stmt.name
            yield stmt, qualname, in_class
            yield from _iter_defs(stmt.body, qualname + ".<locals>.", False)
        elif isinstance(stmt, ast.ClassDef):
            yield from _iter_defs(stmt.body, prefix + stmt.name + ".", True)
        else:
            for child in child_bodies(stmt):
                yield from _iter_defs(child, prefix, in_class)


def decorator_start(node: FuncDef, lines: Sequence[str]) -> int:
    if not node.decorator_list:
        return node.lineno
    line = min(d.lineno for d in node.decorator_list)
    while line > 1 and not lines[line - 1].lstrip().startswith("@"):
        line -= 1
    return line


def def_end_line(node: ast.stmt, lines: Sequence[str], indent: str) -> int:
    """Last line of a def, including trailing comments indented deeper than the def."""
    end = node.end_lineno or node.lineno
    base = indent_width(indent)
    idx = end  # 0-based index of the line after ``end``
    while idx < len(lines):
        stripped = lines[idx].strip()
        if not stripped:
            idx += 1
            continue
        if stripped.startswith("#") and indent_width(leading_ws(lines[idx])) > base:
            end = idx + 1
            idx += 1
            continue
        break
    return end


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
    path: Path, node: FuncDef, qualname: str, is_method: bool, lines: Sequence[str]
) -> FunctionLocation:
    raw_def = lines[node.lineno - 1]
    indent = leading_ws(strip_eol(raw_def).removeprefix(BOM))
    end = def_end_line(node, lines, indent)
    source = "".join(
        dedent_line(strip_eol(line), indent) + "\n" for line in lines[node.lineno - 1 : end]
    )
    return FunctionLocation(
        path=path,
        qualname=qualname,
        def_line=node.lineno,
        end_line=end,
        decorator_line=decorator_start(node, lines),
        indent=indent,
        source=source,
        is_method=is_method,
        signature=_signature(source),
    )


def _is_bundled(node: FuncDef) -> bool:
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
    tree = parse_source(text, path)
    lines = split_lines(text)
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
    tree = parse_source(text, path)
    lines = split_lines(text)
    for node, qualname, is_method in _iter_defs(tree.body):
        if node.name == name and decorator_start(node, lines) <= line <= node.lineno:
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
    tree = parse_source(text, path)
    lines = split_lines(text)

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
    bom = 1 if text.startswith(BOM) else 0
    start = (arg.lineno, char_col(lines[arg.lineno - 1], arg.col_offset, bom * (arg.lineno == 1)))
    end = (end_lineno, char_col(lines[end_lineno - 1], end_byte, bom * (end_lineno == 1)))
    return LiteralLocation(path=path, start=start, end=end, value=value, target_name=target_name)
