"""The context a trainable's code depends on, read from its module: what a reader of the
whole file would see and the function alone does not show.

A small module is shown whole, the code to be fixed replaced by a comment (the naive "here
is the file" loop won on exactly the cases where the fix needed a helper the buggy code does
not call yet). For a larger one, in order of priority, bounded in size: comments right
above the definition, the module's
documentation (its docstring and prose strings such as a ``SPEC = \"\"\"...\"\"\"``), the
module-level names the body reads (constants, helper functions, classes, imports), and for
a method the class around it (header, docstring, ``__init__``, the other members it uses).
A value (a prompt template, a threshold) gets the same: the module whole when small, else
the code that reads it, since that is where its placeholders and units are decided.
Pure ``ast`` over the source text; nothing is imported or run.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pytest_trace_opt import statements

MAX_CONTEXT_CHARS = 2000
# A module this small (without the code shown to be fixed) is shown whole, as a reader of the
# file would see it: a helper the buggy code should call but does not is in it too.
MAX_WHOLE_MODULE_CHARS = 3000
MAX_HELPER_LINES = 15
MAX_PROSE_CHARS = 1200
_BUILTINS = frozenset(dir(builtins))
_FuncDef = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Located:
    node: _FuncDef
    owner: ast.ClassDef | None  # the class of a method


def find_definition(tree: ast.Module, qualname: str, line: int) -> Located | None:
    """The definition at ``line`` (its ``def`` line) or, failing that, by qualified name."""
    parts = [p for p in qualname.split(".") if p != "<locals>"]
    by_name: Located | None = None
    for owner, node in _definitions(tree.body, None):
        if node.lineno == line:
            return Located(node, owner)
        names = [owner.name, node.name] if owner else [node.name]
        if names == parts[-len(names) :] and by_name is None:
            by_name = Located(node, owner)
    return by_name


def _definitions(
    body: list[ast.stmt], owner: ast.ClassDef | None
) -> Iterator[tuple[ast.ClassDef | None, _FuncDef]]:
    for stmt in body:
        if isinstance(stmt, _FuncDef):
            yield owner, stmt
        elif isinstance(stmt, ast.ClassDef):
            yield from _definitions(stmt.body, stmt)


def _segment(lines: list[str], node: ast.stmt, limit: int | None = None) -> str:
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    end = node.end_lineno or node.lineno
    chunk = lines[start - 1 : end]
    if limit is not None and len(chunk) > limit:
        chunk = [*chunk[:limit], "    ..."]
    return "\n".join(chunk)


def _signature_only(lines: list[str], node: _FuncDef) -> str:
    """The header and the docstring of a long helper."""
    body_start = node.body[0].lineno
    header = lines[node.lineno - 1 : body_start - 1] or [lines[node.lineno - 1]]
    doc = ast.get_docstring(node)
    indent = " " * (node.col_offset + 4)
    text = "\n".join(header)
    if doc:
        text += f'\n{indent}"""{doc.strip()[:300]}"""'
    return text + f"\n{indent}..."


def comments_above(lines: list[str], node: ast.stmt) -> str:
    """The comment block directly above the definition (and its decorators)."""
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    found: list[str] = []
    row = start - 2
    while row >= 0 and lines[row].strip().startswith("#"):
        found.insert(0, lines[row].rstrip())
        row -= 1
    return "\n".join(found)


def _comment_blocks(lines: list[str]) -> list[str]:
    """Module-level comment blocks written as prose (two lines or more, or a long one)."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.startswith("#") and not line.startswith("#!"):
            current.append(line.rstrip())
            continue
        if current and (len(current) >= 2 or len(current[0]) >= 40):
            blocks.append(current)
        current = []
    return ["\n".join(block[:30]) for block in blocks]


def _prose(tree: ast.Module, lines: list[str]) -> list[str]:
    """The module docstring, module-level strings and comment blocks written as prose."""
    found: list[str] = []
    for index, stmt in enumerate(tree.body):
        value = stmt.value if isinstance(stmt, ast.Expr | ast.Assign | ast.AnnAssign) else None
        if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
            continue
        text = value.value.strip()
        if index == 0 and isinstance(stmt, ast.Expr):
            found.append(f'"""{text[:MAX_PROSE_CHARS]}"""')
        elif len(text) >= 30 and " " in text:
            found.append(_segment(lines, stmt, limit=30))
    docstring = found[:1] if tree.body and isinstance(tree.body[0], ast.Expr) else []
    return [*docstring, *_comment_blocks(lines), *found[len(docstring) :]]


def _names_read(node: _FuncDef) -> tuple[list[str], set[str]]:
    """Free names the body reads (in order), and attributes read from ``self``/``cls``."""
    bound = {a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]}
    for extra in (node.args.vararg, node.args.kwarg):
        if extra is not None:
            bound.add(extra.arg)
    read: list[str] = []
    members: set[str] = set()
    # the decorators are not the behaviour: walk the body and the defaults only
    defaults = [d for d in node.args.kw_defaults if d is not None]
    parts: list[ast.AST] = [*node.body, *node.args.defaults, *defaults]
    walked = [inner for part in parts for inner in ast.walk(part)]
    for inner in walked:
        if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
            bound.add(inner.id)
        elif isinstance(inner, _FuncDef | ast.ClassDef):
            bound.add(inner.name)
    for inner in walked:
        if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Load):
            if inner.id not in bound and inner.id not in _BUILTINS and inner.id not in read:
                read.append(inner.id)
        elif (
            isinstance(inner, ast.Attribute)
            and isinstance(inner.value, ast.Name)
            and inner.value.id in ("self", "cls")
        ):
            members.add(inner.attr)
    return read, members


def _module_bindings(tree: ast.Module) -> dict[str, ast.stmt]:
    found: dict[str, ast.stmt] = {}
    for stmt in tree.body:
        if isinstance(stmt, _FuncDef | ast.ClassDef):
            found[stmt.name] = stmt
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        found.setdefault(name.id, stmt)
        elif isinstance(stmt, ast.AnnAssign | ast.AugAssign) and isinstance(stmt.target, ast.Name):
            found.setdefault(stmt.target.id, stmt)
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            for alias in stmt.names:
                found.setdefault((alias.asname or alias.name).split(".")[0], stmt)
    return found


def _helper_text(lines: list[str], stmt: ast.stmt) -> str:
    if isinstance(stmt, _FuncDef):
        length = (stmt.end_lineno or stmt.lineno) - stmt.lineno + 1
        if length > MAX_HELPER_LINES:
            return _signature_only(lines, stmt)
        return _segment(lines, stmt)
    if isinstance(stmt, ast.ClassDef):
        return _class_outline(lines, stmt, set())
    return _segment(lines, stmt, limit=12)


def _class_outline(lines: list[str], cls: ast.ClassDef, members: set[str], skip: str = "") -> str:
    """Header, docstring, class attributes, ``__init__``, the short members the method uses
    in full and the other methods' signatures."""
    out = [_segment(lines, cls, limit=1).splitlines()[0]]
    doc = ast.get_docstring(cls)
    indent = " " * (cls.col_offset + 4)
    if doc:
        out.append(f'{indent}"""{doc.strip()[:400]}"""')
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign):
            out.append(_segment(lines, stmt, limit=3))
        elif isinstance(stmt, _FuncDef) and stmt.name != skip:
            length = (stmt.end_lineno or stmt.lineno) - stmt.lineno + 1
            wanted = stmt.name == "__init__" or stmt.name in members
            short = wanted and length <= MAX_HELPER_LINES
            out.append(_segment(lines, stmt) if short else _signature_only(lines, stmt))
    return "\n".join(out)


def code_context(
    module_text: str,
    qualname: str,
    line: int,
    *,
    exclude: frozenset[str] = frozenset(),
    limit: int = MAX_CONTEXT_CHARS,
    whole_up_to: int = MAX_WHOLE_MODULE_CHARS,
) -> str:
    """The context of the definition at ``line``; ``exclude``: names shown elsewhere (the
    trainables being fixed). A module of at most ``whole_up_to`` characters besides them is
    shown whole; a larger one by what the code reads, within ``limit``. Empty when the
    module does not parse or the definition is not found."""
    try:
        tree = ast.parse(module_text)
    except SyntaxError:
        return ""
    located = find_definition(tree, qualname, line)
    if located is None:
        return ""
    lines = module_text.splitlines()
    node = located.node
    whole = _whole_module(tree, lines, node, exclude)
    if len(whole) <= whole_up_to:
        return whole
    pieces: list[str] = []
    above = comments_above(lines, node)
    if above:
        pieces.append(above)
    pieces += _prose(tree, lines)
    read, members = _names_read(node)
    bindings = _module_bindings(tree)
    shown: set[int] = set()
    for name in read:
        stmt = bindings.get(name)
        if stmt is None or name in exclude or id(stmt) in shown or stmt is node:
            continue
        shown.add(id(stmt))
        pieces.append(_helper_text(lines, stmt))
    if located.owner is not None:
        pieces.append(_class_outline(lines, located.owner, members, skip=node.name))
    return _bounded(pieces, limit)


def _whole_module(
    tree: ast.Module, lines: list[str], node: _FuncDef, exclude: frozenset[str]
) -> str:
    """The module with the code shown to be fixed (``node`` and the definitions named in
    ``exclude``) replaced by one comment line each."""
    shown = [d for _, d in _definitions(tree.body, None) if d is node or d.name in exclude]
    return _blanked(lines, [(d, f"{d.name}: the code to fix, shown below") for d in shown])


def shared_context(
    module_text: str,
    shown: Sequence[tuple[str, int, bool]],
    *,
    whole_up_to: int = MAX_WHOLE_MODULE_CHARS,
) -> str:
    """One context for several trainables of a module shown in one prompt (``shown``: name,
    line, whether it is code): the module whole, each of them replaced by a comment line.
    Empty when the module does not parse, one is not found or holds another, or it is
    larger than ``whole_up_to`` (then each gets a context of its own)."""
    try:
        tree = ast.parse(module_text)
    except SyntaxError:
        return ""
    replaced: list[tuple[ast.stmt, str]] = []
    for name, line, is_code in shown:
        if is_code:
            located = find_definition(tree, name, line)
            if located is None:
                return ""
            replaced.append((located.node, f"{located.node.name}: the code to fix, shown below"))
        else:
            stmt = statements.innermost(tree, line)
            if stmt is None:
                return ""
            replaced.append((stmt, f"{name}: the value to change, shown below"))
    spans = sorted((_first_line(stmt), stmt.end_lineno or stmt.lineno) for stmt, _ in replaced)
    if any(start <= end for (_, end), (start, _) in zip(spans, spans[1:], strict=False)):
        return ""  # one inside another: a value set in a function being fixed
    whole = _blanked(module_text.splitlines(), replaced)
    return whole if len(whole) <= whole_up_to else ""


def _first_line(stmt: ast.stmt) -> int:
    return min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", []))])


def _blanked(lines: list[str], replaced: list[tuple[ast.stmt, str]]) -> str:
    """The module with each statement (decorators included) replaced by one comment line."""
    out = list(lines)
    for stmt, comment in sorted(replaced, key=lambda r: -r[0].lineno):
        start = _first_line(stmt)
        end = stmt.end_lineno or stmt.lineno
        out[start - 1 : end] = [f"{' ' * stmt.col_offset}# {comment}"]
    return "\n".join(out).strip("\n")


def _bounded(pieces: list[str], limit: int) -> str:
    out: list[str] = []
    used = 0
    for piece in dict.fromkeys(p.rstrip() for p in pieces):  # a block shown once
        if not piece:
            continue
        if used + len(piece) > limit:
            out.append("# ... (more of the module not shown)")
            break
        out.append(piece)
        used += len(piece) + 2
    return "\n\n".join(out)


def _readers(tree: ast.Module, name: str) -> list[_FuncDef]:
    """The functions and methods whose body reads ``name`` (as a name or ``self.name``)."""
    found = []
    for _, node in _definitions(tree.body, None):
        for inner in ast.walk(node):
            if (isinstance(inner, ast.Name) and inner.id == name) or (
                isinstance(inner, ast.Attribute)
                and inner.attr == name
                and isinstance(inner.value, ast.Name)
                and inner.value.id in ("self", "cls")
            ):
                found.append(node)
                break
    return found


def value_context(
    module_text: str,
    name: str,
    line: int,
    *,
    limit: int = MAX_CONTEXT_CHARS,
    whole_up_to: int = MAX_WHOLE_MODULE_CHARS,
) -> str:
    """The context of a value (a prompt, a threshold) defined at ``line``: a small module
    whole, the value's statement replaced by a comment; else the comments above it, the
    module's documentation, the code that reads it and the names that code reads. A
    template filled by code the prompt does not show can only be guessed at."""
    try:
        tree = ast.parse(module_text)
    except SyntaxError:
        return ""
    stmt = statements.innermost(tree, line)
    if stmt is None:
        return ""
    lines = module_text.splitlines()
    whole = _blanked(lines, [(stmt, f"{name}: the value to change, shown below")])
    if len(whole) <= whole_up_to:
        return whole
    pieces = [comments_above(lines, stmt), *_prose(tree, lines)]
    bindings = _module_bindings(tree)
    for reader in _readers(tree, name):
        pieces.append(_helper_text(lines, reader))
        read, _ = _names_read(reader)
        for other in read:
            bound = bindings.get(other)
            if bound is not None and other != name and bound is not stmt:
                pieces.append(_helper_text(lines, bound))
    return _bounded(pieces, limit)
