"""Edits of what a statement does with a value: the wrong exception class raised or caught
(or an ``assert`` where a ``ValueError`` is promised), a result computed and thrown away
(``n // 10`` for ``n //= 10``, ``name.strip()`` for ``name = name.strip()``: strings do not
change in place), a function that computes its result last and never returns it, text read
as typed where the rule wants it stripped or lower-cased, a dictionary entry used before it
exists, a statement that should not be there. Pure text edits for :mod:`.mutants`.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

from pytest_trace_opt.core.edit_kinds import DISCARDED, IDIOM, NAME, REMOVAL, Found
from pytest_trace_opt.core.identifier_edits import own_nodes
from pytest_trace_opt.core.source_text import Change, SourceText

_EXCEPTIONS = ("ValueError", "TypeError", "KeyError", "IndexError", "LookupError", "RuntimeError")
# Methods and builtins that return a new value and leave their input as it was.
_RETURNS_NEW = frozenset(
    {"strip", "lstrip", "rstrip", "lower", "upper", "replace", "title", "capitalize",
     "casefold", "removeprefix", "removesuffix", "zfill", "ljust", "rjust", "center"}
)  # fmt: skip
_BUILTINS_RETURNING_NEW = frozenset({"sorted", "abs", "round", "int", "float", "str"})
_REMOVABLE = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Raise)


def exception_edits(text: SourceText, node: ast.AST) -> Found:
    """The wrong exception class raised or caught: one of the common builtin ones for another;
    an ``assert`` that validates input (an AssertionError, and nothing at all under
    ``python -O``) where the caller is promised a ValueError."""
    if isinstance(node, ast.Assert):
        yield from _assert_as_raise(text, node)
        return
    if isinstance(node, ast.Raise):
        named = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    elif isinstance(node, ast.ExceptHandler):
        named = node.type
    else:
        return
    if isinstance(named, ast.Name) and named.id in _EXCEPTIONS:
        for other in _EXCEPTIONS:
            if other != named.id:
                edited = text.replace(*text.span(named), other)
                yield NAME, f"`{named.id}` -> `{other}`", edited


def _assert_as_raise(text: SourceText, node: ast.Assert) -> Found:
    line = text.lines[node.lineno - 1]
    indent = line[: len(line) - len(line.lstrip())]
    test = text.text(*text.span(node.test))
    message = text.text(*text.span(node.msg)) if node.msg is not None else ""
    if isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not):
        condition = text.text(*text.span(node.test.operand))
    elif isinstance(node.test, ast.BoolOp | ast.IfExp | ast.NamedExpr):
        condition = f"not ({test})"  # binds looser than ``not``
    else:
        condition = f"not {test}"
    new = f"if {condition}:\n{indent}    raise ValueError({message})"
    yield NAME, "`assert` -> `raise ValueError`", text.replace(*text.span(node), new)


def discarded_result_edits(text: SourceText, node: ast.AST) -> Found:
    """A statement whose value is thrown away, kept: ``n // 10`` -> ``n //= 10``,
    ``s.strip()`` -> ``s = s.strip()``, ``sorted(xs)`` -> ``xs = sorted(xs)``."""
    if not isinstance(node, ast.Expr):
        return
    value = node.value
    shown = text.text(*text.span(node))
    if isinstance(value, ast.BinOp) and isinstance(value.left, ast.Name):
        operator = text.text(*text.between(value.left, value.right)).strip("() \t")
        new = f"{value.left.id} {operator}= {text.text(*text.span(value.right))}"
    elif (target := _changed_copy_of(value)) is not None:
        new = f"{target} = {shown}"
    else:
        return
    yield DISCARDED, f"`{shown}` -> `{new}`", text.replace(*text.span(node), new)


def _changed_copy_of(value: ast.expr) -> str | None:
    """The variable ``value`` (a call) makes a changed copy of, if it is one of those."""
    if not isinstance(value, ast.Call):
        return None
    func = value.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id if func.attr in _RETURNS_NEW else None
    if isinstance(func, ast.Name) and func.id in _BUILTINS_RETURNING_NEW and value.args:
        first = value.args[0]
        return first.id if isinstance(first, ast.Name) else None
    return None


MAX_RETURNED_NAMES = 3  # variables tried as the forgotten result after a closing loop


def unreturned_results(tree: ast.AST) -> dict[int, list[str]]:
    """For the last statement of each function that returns nothing: the variables it may
    have meant to return (``total = sum(xs)`` as the last line; after a closing loop, the
    variables the function sets, the last set first). Keyed by the statement's id."""
    found: dict[int, list[str]] = {}
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef) or not func.body:
            continue
        own = list(own_nodes(func))
        if any(
            isinstance(n, ast.Yield | ast.YieldFrom) or (isinstance(n, ast.Return) and n.value)
            for n in own
        ):
            continue
        last = func.body[-1]
        names = [n for n in [_set_name(last)] if n]
        if not names and isinstance(last, ast.For | ast.While | ast.If | ast.With | ast.Try):
            loop_targets = {
                n.id
                for f in own
                if isinstance(f, ast.For)
                for n in ast.walk(f.target)
                if isinstance(n, ast.Name)
            }
            sets = sorted(
                (s for s in own if isinstance(s, ast.stmt) and _set_name(s)),
                key=lambda s: -s.lineno,
            )
            for stmt in sets:
                name = _set_name(stmt)
                if name and name not in loop_targets and name not in names:
                    names.append(name)
        if names:
            found[id(last)] = names[:MAX_RETURNED_NAMES]
    return found


def missing_return_edits(text: SourceText, node: ast.stmt, names: list[str]) -> Found:
    """A function whose result never leaves it: ``return NAME`` added after ``node``, its
    last statement, at that statement's indentation."""
    line = text.lines[node.lineno - 1]
    indent = line[: len(line) - len(line.lstrip())]
    start, end = text.span(node)
    shown = text.text(start, end)
    for name in names:
        edited = text.replace(start, end, f"{shown}\n{indent}return {name}")
        yield DISCARDED, f"`return {name}` added at the end", edited


def _set_name(node: ast.stmt) -> str | None:
    """The variable a simple statement sets (or names alone, ``total``), if one."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target: ast.expr | None = node.targets[0]
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        target = node.target
    elif isinstance(node, ast.Expr):
        target = node.value
    else:
        target = None
    return target.id if isinstance(target, ast.Name) else None


# Methods that read a string as it is: text typed by a person (surrounding blanks, capitals)
# often has to be normalized before them.
_READS_TEXT = frozenset(
    {"startswith", "endswith", "split", "partition", "rpartition", "find", "index", "count",
     "isdigit", "isdecimal", "isnumeric", "isalpha", "isalnum"}
)  # fmt: skip


def normalization_edits(text: SourceText, node: ast.AST, entry: Entry | None) -> Found:
    """Text read as typed where the rule wants it normalized first: ``raw.startswith("+")``
    -> ``raw.strip().startswith("+")``, ``answer == "yes"`` -> ``answer.lower() == "yes"``,
    ``word not in self.stopwords`` -> ``word.lower() not in self.stopwords`` (lower-casing
    only where every string it is compared with is lower case, or unknown); a parameter
    normalized once at ``entry``, when the function has one."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _READS_TEXT
    ):
        read: ast.expr = node.func.value
        literals = [s for arg in node.args for s in _strings(arg) or []]
    elif (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.ops[0], ast.Eq | ast.NotEq | ast.In | ast.NotIn)
        and (found := _strings(node.comparators[0]))
    ):
        read, literals = node.left, found
    elif (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.ops[0], ast.In | ast.NotIn)
        and isinstance(node.comparators[0], ast.Name | ast.Attribute)
    ):
        read, literals = node.left, ["?"]  # a set of words, say: its case is not in the text
    else:
        return
    if not isinstance(read, ast.Name | ast.Attribute | ast.Subscript):
        return  # a call (already normalized, or not text), a literal
    shown = text.text(*text.span(read))
    wanted = ["strip()"]
    if literals == ["?"] or (
        all(s == s.lower() for s in literals) and any(ch.isalpha() for s in literals for ch in s)
    ):
        wanted += ["lower()", "strip().lower()"]
    for method in wanted:
        edited = text.replace(*text.span(read), f"{shown}.{method}")
        yield IDIOM, f"`{shown}` -> `{shown}.{method}`", edited
    if isinstance(read, ast.Name) and entry is not None and read.id in entry.parameters:
        for method in wanted:  # a parameter read raw in several places: once, on entry
            yield from _normalized_on_entry(text, read.id, method, entry)


class Entry(NamedTuple):
    """Where a function's own statements start (after its docstring), and its parameters."""

    line: int
    parameters: frozenset[str]


def entry_of(tree: ast.Module) -> Entry | None:
    """The :class:`Entry` of the function ``tree`` defines (the source of one trainable);
    None when it has no line of its own for a statement before its first (``def f(x): ...``)."""
    func = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)), None
    )
    if func is None:
        return None
    body = func.body
    first = body[1] if len(body) > 1 and ast.get_docstring(func) is not None else body[0]
    if first.lineno == func.lineno:
        return None
    args = func.args
    return Entry(
        first.lineno, frozenset(a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs])
    )


def on_entry(text: SourceText, entry: Entry, *lines: str) -> Change:
    """The change that puts ``lines`` before the function's first statement, at its
    indentation; a line's own leading four spaces (a block's body) become one step of it."""
    first = text.lines[entry.line - 1]
    indent = first[: len(first) - len(first.lstrip())]
    step = "\t" if indent.startswith("\t") else "    "
    body = "".join(
        f"{indent}{step}{line[4:]}\n" if line.startswith("    ") else f"{indent}{line}\n"
        for line in lines
    )
    start = text.offset(entry.line, 0)
    return start, start, body


def _normalized_on_entry(text: SourceText, name: str, method: str, entry: Entry) -> Found:
    """``name = name.<method>`` as the function's first statement."""
    statement = f"{name} = {name}.{method}"
    edited = text.replace(*on_entry(text, entry, statement))
    yield IDIOM, f"`{statement}` added on entry", edited


def _strings(node: ast.expr) -> list[str] | None:
    """The strings ``node`` holds when it is a string literal or a tuple, list or set of
    them; None otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set) and node.elts:
        items = [e.value for e in node.elts if isinstance(e, ast.Constant)]
        if len(items) == len(node.elts) and all(isinstance(v, str) for v in items):
            return [str(v) for v in items]
    return None


def removal_edits(text: SourceText, node: ast.AST) -> Found:
    """A statement that should not be there (a docstring is not one)."""
    if not isinstance(node, _REMOVABLE):
        return
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return
    shown = text.text(*text.span(node))
    yield REMOVAL, f"`{shown.splitlines()[0]}` removed", text.replace(*text.span(node), "pass")


# A new entry's empty value for the methods that fill one in place.
_EMPTY_FOR = {"append": "[]", "extend": "[]", "insert": "[]", "add": "set()", "update": "{}"}


def missing_entry_edits(text: SourceText, node: ast.AST) -> Found:
    """A dictionary entry used before it exists (the KeyError of a first occurrence):
    ``counts[k] += 1`` -> ``counts[k] = counts.get(k, 0) + 1``, ``groups[k].append(x)`` ->
    ``groups.setdefault(k, []).append(x)``; or made anew where it should grow:
    ``groups[k] = [x]`` -> ``groups.setdefault(k, []).append(x)``."""
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add | ast.Sub):
        keyed = _keyed(text, node.target)
        if keyed is None:
            return
        entry, mapping, key = keyed
        value = text.text(*text.span(node.value))
        if not isinstance(node.value, ast.Constant | ast.Name | ast.Attribute):
            value = f"({value})"
        sign = "+" if isinstance(node.op, ast.Add) else "-"
        new = f"{text.text(*text.span(entry))} = {mapping}.get({key}, 0) {sign} {value}"
        edited = text.replace(*text.span(node), new)
        yield IDIOM, f"`{mapping}.get({key}, 0)` for a missing entry", edited
    elif (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.value, ast.List | ast.Set)
        and len(node.value.elts) == 1
    ):  # ``groups[k] = [x]``: each item overwrites the one before instead of joining it
        keyed = _keyed(text, node.targets[0])
        if keyed is None:
            return
        _, mapping, key = keyed
        item = text.text(*text.span(node.value.elts[0]))
        empty, add = ("[]", "append") if isinstance(node.value, ast.List) else ("set()", "add")
        new = f"{mapping}.setdefault({key}, {empty}).{add}({item})"
        yield IDIOM, f"`{new}` instead of a new entry", text.replace(*text.span(node), new)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        keyed = _keyed(text, node.func.value)
        if keyed is None or node.func.attr not in _EMPTY_FOR:
            return
        entry, mapping, key = keyed
        new = f"{mapping}.setdefault({key}, {_EMPTY_FOR[node.func.attr]})"
        yield IDIOM, f"`{new}` for a missing entry", text.replace(*text.span(entry), new)


def _keyed(text: SourceText, node: ast.AST) -> tuple[ast.Subscript, str, str] | None:
    """``node``, its mapping and its key as written, when it is ``mapping[key]`` as far as the
    text tells: not a slice, not a list index (a literal number, ``i + 1``, ``-1``)."""
    if not isinstance(node, ast.Subscript) or isinstance(node.slice, ast.Slice):
        return None
    index = node.slice
    if isinstance(index, ast.Constant) and isinstance(index.value, int):
        return None
    if isinstance(index, ast.UnaryOp | ast.BinOp) or not isinstance(
        node.value, ast.Name | ast.Attribute
    ):
        return None
    return node, text.text(*text.span(node.value)), text.text(*text.span(index))
