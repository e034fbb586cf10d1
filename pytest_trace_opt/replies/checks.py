"""Check a recovered suggestion before anything runs it.

:func:`check_code` decides whether suggested source may replace a trainable function: it must
parse, define the right function with a compatible signature, run nothing at import, and differ
from the current code. :func:`check_value` coerces a suggested value to the current value's type.
Both return a :class:`Check` whose ``reason`` is one line meant to be shown back to the model.
:func:`keep_docstring` and :func:`strip_trailing_strings` tidy accepted code.

Pure and stdlib-only (``black`` is used for normalisation when importable). Never imports ``opto``
and never executes the candidate.
"""

from __future__ import annotations

import ast
import json
import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from pytest_trace_opt.replies.code_rules import (
    FunctionNode,
    imports_into_body,
    is_docstring,
    keep_header,
    runs_at_import,
    short,
    signature_problem,
    statement_shown,
    strip_example_usage,
)
from pytest_trace_opt.replies.reach import reach_problem

UNCHANGED = "unchanged from the current value"  # the reason when a suggestion changes nothing


@dataclass(frozen=True)
class Check:
    """The verdict on one suggested value."""

    ok: bool
    value: object  # normalized value to use (code text, or coerced value)
    reason: str  # "" when ok; else one line


def _fail(value: object, reason: str) -> Check:
    return Check(False, value, reason)


def _shown(value: object) -> str:
    return short(repr(value))


# --------------------------------------------------------------------------------------------
# code


@cache
def _black_formatter() -> Callable[[str], str] | None:
    try:
        import black
    except Exception:  # black missing or broken: keep the dedented text
        return None

    mode = black.Mode()

    def fmt(code: str) -> str:
        return black.format_str(code, mode=mode)

    return fmt


def _normalise(code: str) -> str:
    fmt = _black_formatter()
    if fmt is not None:
        try:
            return fmt(code)
        except Exception:  # black rejects some valid code (e.g. odd target versions)
            pass
    return code.strip("\n") + "\n"


def _parse(code: str) -> tuple[ast.Module | None, str]:
    try:
        return ast.parse(code), ""
    except SyntaxError as err:
        where = f" at line {err.lineno}" if err.lineno else ""
        return None, f"syntax error{where}: {err.msg}"
    except (ValueError, RecursionError, MemoryError) as err:
        return None, f"syntax error: {short(str(err)) or type(err).__name__}"


def _strip_decorators(code: str, node: FunctionNode) -> str:
    if not node.decorator_list:
        return code
    lines = code.split("\n")
    first = min(d.lineno for d in node.decorator_list)
    del lines[first - 1 : node.lineno - 1]
    return "\n".join(lines)


def _strip_main_guard(code: str, tree: ast.Module) -> str:
    """Drop ``if __name__ == "__main__":`` blocks: they never run when the code is loaded."""
    guards = [n for n in tree.body if _is_main_guard(n)]
    if not guards:
        return code
    lines = code.split("\n")
    for node in reversed(guards):
        del lines[node.lineno - 1 : node.end_lineno]
    return "\n".join(lines)


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or node.orelse:
        return False
    test = node.test
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def _kind_word(node: FunctionNode) -> str:
    return "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"


def _top_level_defs(tree: ast.Module, name: str) -> list[FunctionNode]:
    return [n for n in tree.body if isinstance(n, FunctionNode) and n.name == name]


def check_code(candidate: str, current: str, function_name: str, *, is_method: bool) -> Check:
    """Whether ``candidate`` may replace ``current`` (the source of ``function_name``).

    ``value`` is the normalised candidate (dedented, decorators and ``__main__`` guards removed,
    formatted with black when available) whenever it parses.
    """
    if not isinstance(candidate, str):
        return _fail(candidate, f"suggested code is a {type(candidate).__name__}, not text")
    code = textwrap.dedent(candidate.replace("\r\n", "\n")).strip("\n")
    if not code.strip():
        return _fail(candidate, "empty code")
    found = _target_definition(code, function_name)
    if isinstance(found, Check):
        return found
    code, tree, target = found
    if is_method:
        code, tree, target = _imports_into_method(code, tree, target)
    current_code, current_tree, current_def = _current_definition(current, function_name)
    if current_def is not None:
        kept = keep_header(code, target, current_code, current_def)
        reparsed = _parse(kept)[0] if kept != code else None
        if reparsed is not None:  # the header the file has, before it is judged
            code, tree, target = kept, reparsed, _top_level_defs(reparsed, function_name)[0]
    problem = _interface_problem(target, current_def, function_name, is_method)
    problem = problem or _load_problem(tree, target, function_name, is_method)
    problem = problem or reach_problem(tree, current_tree)
    if problem:
        return _fail(code, problem)
    normalised = _normalise(code)
    if current_tree is not None:
        unchanged = normalised == _normalise(current_code) or ast.dump(tree) == ast.dump(
            current_tree
        )
        if unchanged:
            return _fail(normalised, UNCHANGED)
    return Check(True, normalised, "")


def _target_definition(
    code: str, function_name: str
) -> Check | tuple[str, ast.Module, FunctionNode]:
    """The code without ``__main__`` guards and decorators, its tree and the one definition of
    ``function_name`` in it; or the failed :class:`Check` saying why there is none."""
    tree, error = _parse(code)
    if tree is None:
        return _fail(code, error)

    # Each rule removes whole statements, so the code stays valid; reparsed only if changed.
    for rule in (_strip_main_guard, lambda c, t: strip_example_usage(c, t, function_name)):
        changed = rule(code, tree)
        if changed != code:
            code, (tree, error) = changed, _parse(changed)
            if tree is None:  # pragma: no cover - see above
                return _fail(code, error)

    targets = _top_level_defs(tree, function_name)
    if not targets:
        funcs = [n.name for n in tree.body if isinstance(n, FunctionNode)]
        classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
        if funcs:
            return _fail(code, f"defines {funcs[-1]}() instead of {function_name}()")
        if classes:
            return _fail(code, f"defines class {classes[-1]} instead of {function_name}()")
        nested = any(
            isinstance(n, FunctionNode) and n.name == function_name for n in ast.walk(tree)
        )
        where = " at top level" if nested else ""
        return _fail(code, f"does not define {function_name}(){where}")
    if len(targets) > 1:
        return _fail(code, f"defines {function_name}() {len(targets)} times")

    undecorated = _strip_decorators(code, targets[0])
    if undecorated == code:
        return code, tree, targets[0]
    tree, error = _parse(undecorated)
    if tree is None:  # pragma: no cover - removing decorator lines keeps the code valid
        return _fail(undecorated, error)
    return undecorated, tree, _top_level_defs(tree, function_name)[0]


def _imports_into_method(
    code: str, tree: ast.Module, target: FunctionNode
) -> tuple[str, ast.Module, FunctionNode]:
    """A method's imports written above it move into its body (``code_rules``)."""
    moved = imports_into_body(code, tree, target)
    new_tree, _ = _parse(moved) if moved != code else (None, "")
    if new_tree is None:
        return code, tree, target
    return moved, new_tree, _top_level_defs(new_tree, target.name)[0]


def _current_definition(
    current: str, function_name: str
) -> tuple[str, ast.Module | None, FunctionNode | None]:
    """The current code without decorators, its tree, and its definition: what to keep."""
    current_code = textwrap.dedent(str(current).replace("\r\n", "\n")).strip("\n")
    current_tree, _ = _parse(current_code)
    current_def = None
    if current_tree is not None:
        current_defs = _top_level_defs(current_tree, function_name)
        if current_defs:
            current_def = current_defs[-1]
            current_code = _strip_decorators(current_code, current_def)
            current_tree, _ = _parse(current_code)
    return current_code, current_tree, current_def


def _interface_problem(
    target: FunctionNode, current_def: FunctionNode | None, function_name: str, is_method: bool
) -> str:
    """Why the new definition cannot be called as the current one is ("" when it can)."""
    if current_def is None:
        return ""
    if isinstance(current_def, ast.AsyncFunctionDef) != isinstance(target, ast.AsyncFunctionDef):
        return (
            f"{function_name}() must stay '{_kind_word(current_def)}', not '{_kind_word(target)}'"
        )
    return signature_problem(target.args, current_def.args, is_method)


def _load_problem(
    tree: ast.Module, target: FunctionNode, function_name: str, is_method: bool
) -> str:
    """What else the code would do when loaded ("" when nothing): nothing else may run."""
    for node in tree.body:
        if node is target:
            continue
        if is_method:
            if is_docstring(node):
                continue
            return (
                f"only the method {function_name}() may be defined; "
                f"found top-level {statement_shown(node)}"
            )
        if runs_at_import(node):
            return f"top-level statement would run at import: {statement_shown(node)}"
    return ""


# --------------------------------------------------------------------------------------------
# values

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def _unquote(text: str) -> str | None:
    """The string a model meant when it wrote a quoted literal (``'Hello'``), else None."""
    s = text.strip()
    if len(s) < 2 or s[0] not in "\"'" or s[-1] != s[0]:
        return None
    try:
        inner = ast.literal_eval(s)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return inner if isinstance(inner, str) else None


def _literal(text: str) -> object:
    s = text.strip()
    if s.startswith("```"):
        s = s.strip("`").strip()
        if s.split("\n", 1)[0].strip().isalpha():
            s = s.split("\n", 1)[1] if "\n" in s else ""
    try:
        return ast.literal_eval(s)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    return json.loads(s)  # true/false/null spellings; raises ValueError on failure


def _coerce(candidate: object, current: object) -> tuple[object, str]:
    """(coerced value, reason); reason is "" on success."""
    target = type(current)
    name = target.__name__
    got = f"expected {'an' if name[0] in 'aeiou' else 'a'} {name}, got {_shown(candidate)}"

    if current is None:
        return candidate, ""
    if target is bool:
        if isinstance(candidate, bool):
            return candidate, ""
        if isinstance(candidate, int | float) and candidate in (0, 1):
            return bool(candidate), ""
        if isinstance(candidate, str):
            word = (_unquote(candidate) or candidate).strip().lower()
            if word in _TRUE:
                return True, ""
            if word in _FALSE:
                return False, ""
        return None, got
    if target is int:
        if isinstance(candidate, bool):
            return None, got
        if isinstance(candidate, int):
            return candidate, ""
        if isinstance(candidate, float) and candidate.is_integer():
            return int(candidate), ""
        if isinstance(candidate, str):
            s = (_unquote(candidate) or candidate).strip().replace("_", "")
            try:
                return int(s), ""
            except ValueError:
                pass
            try:
                as_float = float(s)
            except ValueError:
                return None, got
            if as_float.is_integer():
                return int(as_float), ""
        return None, got
    if target is float:
        if isinstance(candidate, bool):
            return None, got
        if isinstance(candidate, int | float):
            return float(candidate), ""
        if isinstance(candidate, str):
            try:
                return float((_unquote(candidate) or candidate).strip().replace("_", "")), ""
            except ValueError:
                return None, got
        return None, got
    if target is str:
        if isinstance(candidate, str):
            unquoted = _unquote(candidate)
            current_quoted = _unquote(str(current)) is not None
            if unquoted is not None and not current_quoted:
                return unquoted, ""
            return candidate, ""
        if isinstance(candidate, int | float) and not isinstance(candidate, bool):
            return str(candidate), ""
        return None, got
    if target in (list, tuple, dict, set, frozenset):
        value = candidate
        if isinstance(value, str):
            try:
                value = _literal(value)
            except ValueError:
                return None, f"{got}: not a {name} literal"
        if isinstance(value, target):
            return value, ""
        if target in (list, tuple, set, frozenset) and isinstance(value, list | tuple | set):
            return target(value), ""
        return None, got
    if isinstance(candidate, target):
        return candidate, ""
    try:
        return target(candidate), ""  # type: ignore[call-arg]
    except Exception:
        return None, f"cannot convert {_shown(candidate)} to {name}"


def _same(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b)
    except Exception:
        return False


def check_value(candidate: object, current: object) -> Check:
    """Coerce ``candidate`` to ``type(current)``; reject failures and no-op suggestions."""
    value, reason = _coerce(candidate, current)
    if reason:
        return _fail(candidate, reason)
    if _same(value, current):
        return _fail(value, UNCHANGED)
    return Check(True, value, "")


def keep_docstring(candidate: str, original: str, function_name: str) -> str:
    """Put the original docstring back when a candidate dropped it.

    Models often rewrite a function without its docstring; the patch should change
    behaviour, not delete documentation.
    """
    try:
        cand_tree = ast.parse(candidate)
        orig_tree = ast.parse(textwrap.dedent(original))
    except SyntaxError:
        return candidate

    def find(tree: ast.Module) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                node.name == function_name
            ):
                return node
        return None

    cand_fn, orig_fn = find(cand_tree), find(orig_tree)
    if cand_fn is None or orig_fn is None or not cand_fn.body:
        return candidate
    if ast.get_docstring(cand_fn) is not None or ast.get_docstring(orig_fn) is None:
        return candidate
    doc_node = orig_fn.body[0]
    orig_lines = textwrap.dedent(original).splitlines()
    doc_lines = orig_lines[doc_node.lineno - 1 : doc_node.end_lineno]
    doc_indent = len(doc_lines[0]) - len(doc_lines[0].lstrip())
    cand_lines = candidate.splitlines()
    first = cand_fn.body[0]
    line = cand_lines[first.lineno - 1]
    if first.lineno == cand_fn.lineno:  # one-line def: "def f(x): return x"
        return candidate
    indent = line[: len(line) - len(line.lstrip())]
    moved = [indent + d[doc_indent:] if d.strip() else d for d in doc_lines]
    result = cand_lines[: first.lineno - 1] + moved + cand_lines[first.lineno - 1 :]
    text = "\n".join(result) + ("\n" if candidate.endswith("\n") else "")
    try:
        ast.parse(text)
    except SyntaxError:
        return candidate
    return text


def strip_trailing_strings(code: str, function_name: str) -> str:
    """Drop bare string statements that trail a function's body.

    They are leftovers of a reply's JSON (``\"\"\",`` then ``"__code1": \"\"\"``) that happen
    to parse as a string expression after the last real statement; they never do anything.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    lines = code.splitlines(keepends=True)
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if node.name != function_name:
            continue
        body = list(node.body)
        cut: int | None = None
        while len(body) > 1:
            last = body[-1]
            if not (isinstance(last, ast.Expr) and isinstance(last.value, ast.Constant)):
                break
            if not isinstance(last.value.value, str):
                break
            before = body[-2]
            if before.end_lineno is None or before.end_lineno >= last.lineno:
                break  # shares a line with real code: leave it
            cut = last.lineno
            body.pop()
        if cut is None or node.end_lineno is None:
            return code
        kept = lines[: cut - 1] + lines[node.end_lineno :]
        text = "".join(kept)
        try:
            ast.parse(text)
        except SyntaxError:
            return code
        return text
    return code
