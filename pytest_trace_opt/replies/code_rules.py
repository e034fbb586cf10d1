"""What a suggested function must keep and may not do: its interface, and nothing run at import
(what a reply adds below it to try it out is dropped).

Pure and stdlib-only; reads the syntax tree, never runs the code.
"""

from __future__ import annotations

import ast
import copy
import io
import tokenize

MAX_SHOWN = 60  # characters of code quoted in a reason
FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


def _is_literal(node: ast.AST | None) -> bool:
    if node is None:
        return True
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


# decorators that only wrap a helper when it is defined (they call nothing of the model's)
_SAFE_DECORATORS = frozenset(
    {
        "cache",
        "cached_property",
        "classmethod",
        "dataclass",
        "lru_cache",
        "overload",
        "property",
        "staticmethod",
        "total_ordering",
    }
)


def _no_call(node: ast.AST | None) -> bool:
    """An expression evaluated at definition time that calls nothing (names, literals, ...)."""
    return node is None or not any(isinstance(n, ast.Call) for n in ast.walk(node))


def _safe_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Name):
        name = target.id
    elif isinstance(target, ast.Attribute) and _no_call(target.value):
        name = target.attr
    else:
        return False
    if name not in _SAFE_DECORATORS:
        return False
    if isinstance(node, ast.Call):
        return all(_is_literal(a) for a in node.args) and all(
            _is_literal(k.value) for k in node.keywords
        )
    return True


def _definition_time_code(node: FunctionNode) -> bool:
    """Whether defining this helper runs code: decorators, defaults and annotations."""
    args = node.args
    evaluated: list[ast.expr | None] = [*args.defaults, *args.kw_defaults, node.returns]
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
        if arg is not None:
            evaluated.append(arg.annotation)
    return not (
        all(_safe_decorator(d) for d in node.decorator_list) and all(_no_call(e) for e in evaluated)
    )


def statement_shown(node: ast.stmt) -> str:
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        return f"{short(ast.unparse(node.value.func))}(...)"
    try:
        text = ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles every parsed node
        return type(node).__name__
    first = text.split("\n", 1)[0]
    return short(first + (" ..." if "\n" in text else ""))


def runs_at_import(node: ast.stmt) -> bool:
    """True when a module-level statement (other than the target def) executes code."""
    if isinstance(node, ast.Import | ast.ImportFrom) or is_docstring(node):
        return False
    if isinstance(node, FunctionNode):
        return _definition_time_code(node)
    if isinstance(node, ast.ClassDef):
        evaluated = [*node.bases, *(k.value for k in node.keywords)]
        if not all(_no_call(e) for e in evaluated):
            return True
        if not all(_safe_decorator(d) for d in node.decorator_list):
            return True
        return any(runs_at_import(stmt) for stmt in node.body)
    if isinstance(node, ast.Assign):
        return not (
            _is_literal(node.value)
            and all(isinstance(t, ast.Name | ast.Tuple) for t in node.targets)
        )
    if isinstance(node, ast.AnnAssign):
        return not (
            isinstance(node.target, ast.Name)
            and _is_literal(node.value)
            and _no_call(node.annotation)
        )
    return not isinstance(node, ast.Pass)


def signature_problem(cand: ast.arguments, cur: ast.arguments, is_method: bool) -> str:
    """Why ``cand`` cannot be called the way ``cur`` is, or "" when compatible."""
    cur_pos = [*cur.posonlyargs, *cur.args]
    cand_pos = [*cand.posonlyargs, *cand.args]
    cur_names = [a.arg for a in cur_pos]
    cand_names = [a.arg for a in cand_pos]
    cand_kwonly = [a.arg for a in cand.kwonlyargs]
    if is_method and cur_names and (not cand_names or cand_names[0] != cur_names[0]):
        return f"'{cur_names[0]}' must stay the first parameter"

    def has_default(args: ast.arguments, index: int) -> bool:
        n_pos = len(args.posonlyargs) + len(args.args)
        return index >= n_pos - len(args.defaults)

    for i, name in enumerate(cur_names):
        if i >= len(cand_names) or cand_names[i] != name:
            if name in cand_kwonly:
                return f"signature changed: parameter '{name}' became keyword-only"
            if name in cand_names:
                return f"signature changed: parameter '{name}' moved"
            if i < len(cand_names) and cand_names[i] not in cur_names:
                return f"signature changed: parameter '{name}' renamed to '{cand_names[i]}'"
            return f"signature changed: parameter '{name}' removed"
        cur_posonly = i < len(cur.posonlyargs)
        cand_posonly = i < len(cand.posonlyargs)
        if cur_posonly != cand_posonly:
            kind = "positional-only" if cand_posonly else "positional-or-keyword"
            return f"signature changed: parameter '{name}' became {kind}"
        if has_default(cur, i) and not has_default(cand, i):
            return f"signature changed: parameter '{name}' lost its default"
    for i in range(len(cur_names), len(cand_names)):
        if not has_default(cand, i):
            return f"signature changed: new parameter '{cand_names[i]}' needs a default"
    if cur.vararg is not None and cand.vararg is None:
        return f"signature changed: parameter '*{cur.vararg.arg}' removed"
    if cur.kwarg is not None and cand.kwarg is None:
        return f"signature changed: parameter '**{cur.kwarg.arg}' removed"
    cur_kw = {a.arg: d for a, d in zip(cur.kwonlyargs, cur.kw_defaults, strict=True)}
    cand_kw = {a.arg: d for a, d in zip(cand.kwonlyargs, cand.kw_defaults, strict=True)}
    for name, default in cur_kw.items():
        if name not in cand_kw:
            if name in cand_names:
                continue  # keyword-only -> positional-or-keyword still accepts name=...
            return f"signature changed: parameter '{name}' removed"
        if default is not None and cand_kw[name] is None:
            return f"signature changed: parameter '{name}' lost its default"
    for name, default in cand_kw.items():
        if name not in cur_kw and default is None:
            return f"signature changed: new parameter '{name}' needs a default"
    return ""


def imports_into_body(code: str, tree: ast.Module, target: FunctionNode) -> str:
    """``code`` with its top-level imports moved to the top of ``target``'s body (after its
    docstring): a method is compiled inside its class, where an import written above the
    ``def`` would not reach it. Unchanged when there is no such import."""
    imports = [
        n
        for n in tree.body
        if isinstance(n, ast.Import | ast.ImportFrom)
        and not (isinstance(n, ast.ImportFrom) and n.module == "__future__")
    ]
    if not imports:
        return code
    lines = code.split("\n")
    moved = [" ".join("\n".join(lines[n.lineno - 1 : n.end_lineno]).split()) for n in imports]
    body = target.body
    documented = is_docstring(body[0])
    if documented and len(body) == 1:  # after the docstring, at its indentation
        at, indent = (body[0].end_lineno or body[0].lineno), body[0].col_offset
    else:
        first = body[1] if documented else body[0]
        at, indent = first.lineno - 1, first.col_offset
    lines[at:at] = [" " * indent + text for text in moved]
    for node in reversed(imports):
        del lines[node.lineno - 1 : node.end_lineno]
    return "\n".join(lines)


def _without_annotations(args: ast.arguments, *, drop_first: bool = False) -> str:
    bare = copy.deepcopy(args)
    if drop_first:
        (bare.posonlyargs or bare.args).pop(0)
    for arg in [*bare.posonlyargs, *bare.args, *bare.kwonlyargs, bare.vararg, bare.kwarg]:
        if arg is not None:
            arg.annotation = None
    return ast.dump(bare)


def _header_span(code: str, node: FunctionNode) -> tuple[int, int] | None:
    """Offsets in ``code`` of ``node``'s header, from ``def`` (or ``async``) to its colon."""
    lines = code.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    first = node.lineno  # decorators are stripped before this runs; the def is on lineno
    source = "\n".join(lines[first - 1 :])
    depth = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type != tokenize.OP:
                continue
            if tok.string in "([{":
                depth += 1
            elif tok.string in ")]}":
                depth -= 1
            elif tok.string == ":" and depth == 0:
                row, col = tok.end
                return starts[first - 1] + node.col_offset, starts[first - 2 + row] + col
    except (tokenize.TokenError, SyntaxError):
        return None
    return None


def _added_receiver(suggested: ast.arguments, current: ast.arguments) -> bool:
    """The suggestion put ``self``/``cls`` in front of parameters that had none: a static
    method (or a function) the reply wrote back inside its class, as a method."""
    mine = [a.arg for a in [*suggested.posonlyargs, *suggested.args]]
    theirs = [a.arg for a in [*current.posonlyargs, *current.args]]
    return (
        bool(mine)
        and mine[0] in ("self", "cls")
        and mine[1:] == theirs
        and (not theirs or theirs[0] not in ("self", "cls"))
    )


def keep_header(
    code: str,
    target: FunctionNode,
    current_code: str,
    current: FunctionNode,
) -> str:
    """``code`` with the current header back when the suggestion changed only the header's
    annotations, or only added ``self``/``cls`` in front: a small model adds ``List[int]``
    without importing ``List`` (the written file then fails to import), or wraps a static
    method back into its class with ``self``; a reviewer wants the fix, not a new header."""
    added = _added_receiver(target.args, current.args)
    if _without_annotations(target.args, drop_first=added) != _without_annotations(current.args):
        return code
    if ast.dump(target.args) == ast.dump(current.args) and ast.dump(
        target.returns or ast.Constant(None)
    ) == ast.dump(current.returns or ast.Constant(None)):
        return code
    new_span, old_span = _header_span(code, target), _header_span(current_code, current)
    if new_span is None or old_span is None:
        return code
    header = current_code[old_span[0] : old_span[1]]
    return code[: new_span[0]] + header + code[new_span[1] :]


def _names_used(nodes: list[ast.stmt]) -> set[str]:
    return {
        n.id
        for node in nodes
        for n in ast.walk(node)
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Store)
    }


def _calls_or_checks(node: ast.stmt, function_name: str) -> bool:
    """The statement asserts, prints or calls ``function_name``: it tries the code out."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Assert):
            return True
        called = sub.func if isinstance(sub, ast.Call) else None
        if isinstance(called, ast.Name) and called.id in (function_name, "print"):
            return True
    return False


def _is_example_usage(node: ast.stmt, function_name: str) -> bool:
    if isinstance(node, ast.Assert | ast.Expr) and not is_docstring(node):
        return True
    if isinstance(node, FunctionNode):
        return node.name.startswith("test")
    if isinstance(node, ast.ClassDef):
        return node.name.startswith("Test")
    if isinstance(node, ast.Import | ast.ImportFrom):
        return False
    return _calls_or_checks(node, function_name)


def strip_example_usage(code: str, tree: ast.Module, function_name: str) -> str:
    """Drop what a reply adds below the definition to try it out: asserts, prints, calls,
    test functions, and the literals and imports only they use. They would run at import
    (and be refused) or be written into the user's module as noise."""
    targets = [n for n in tree.body if isinstance(n, FunctionNode) and n.name == function_name]
    if len(targets) != 1:
        return code
    after = tree.body[tree.body.index(targets[0]) + 1 :]
    dropped = [n for n in after if _is_example_usage(n, function_name)]
    if not dropped:
        return code
    kept = [n for n in tree.body if n not in dropped]
    needed = _names_used(kept)
    only_for_examples = _names_used(dropped) - needed
    for node in kept:
        if isinstance(node, ast.Import | ast.ImportFrom):  # used by nothing that is kept
            bound = [(a.asname or a.name).split(".")[0] for a in node.names]
            if not any(name in needed for name in bound):
                dropped.append(node)
        elif isinstance(node, ast.Assign):  # test data the examples used
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if names and len(names) == len(node.targets) and set(names) <= only_for_examples:
                dropped.append(node)
    lines = code.split("\n")
    for node in sorted(dropped, key=lambda n: -n.lineno):
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        while first > 1 and lines[first - 2].startswith("#"):
            first -= 1  # "# Test cases" above it goes with it
        del lines[first - 1 : node.end_lineno]
    return "\n".join(lines)
