"""Fill in the suspicious statement: the first LLM call, where the model can fill a hole.

A small model asked for the whole corrected function mostly gives it back unchanged. A code
model asked to fill a hole (fill-in-the-middle, as in code completion) writes a new statement
where the code had the suspicious one: the module above the function, the failing tests'
calls as comments, the function up to the statement, and the code after it are around the
hole. Each sample costs a prompt shared with the others and a few completion tokens; every
new one is a candidate, judged like any other (program repair calls this cloze-style).

Which statement: the most suspicious line of the spectrum (Ochiai over the visible tests);
among equally suspicious lines the last, nearest to the result the tests check (in
straight-line code every line ties), passing over a statement that computes nothing
(``return total``, ``break``): the value it hands on was made wrong earlier, and a hole
there gets the statement back unchanged (such a statement goes one group of lines down, after
the next group's statements that compute something). A later fill-in takes the next statement
in that order that was not filled in before. Pure text work; the call is the engine's.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from pytest_trace_opt import statements
from pytest_trace_opt.core.localize import rank_lines
from pytest_trace_opt.core.prompts.evidence import case_size, describe_call, first_error_line
from pytest_trace_opt.model import TestResult
from pytest_trace_opt.text import clip

TEMPERATURES = (0.0, 0.4, 0.6, 0.8, 1.0)  # one sample each, from one prompt evaluation
MAX_TOKENS = 96  # a statement, or two
MAX_BEFORE_CHARS = 2400  # of the module above the function
MAX_AFTER_CHARS = 800  # of the module below it
MAX_FAILING_SHOWN = 3
MAX_PASSING_SHOWN = 2
MAX_HINT_CHARS = 200


@dataclass(frozen=True)
class Hole:
    """The statement to fill in: lines ``first``..``last`` (1-based, of the function's
    source as the engine holds it, dedented)."""

    first: int
    last: int
    text: str  # the statement's lines as they are


def statement_span(source: str, line: int) -> tuple[int, int] | None:
    """The lines of the innermost statement on ``line`` of ``source`` (a function): a
    compound statement's header only (``for x in xs:``), never the ``def`` line."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return None
    node = statements.innermost(tree, line)
    if node is None:
        return None
    start, end = statements.own_lines(node)
    definitions = [n for n in ast.walk(tree) if isinstance(n, statements.DEFINITIONS)]
    if any(start <= statements.own_lines(d)[1] and end >= d.lineno for d in definitions):
        return None  # shares a line with a ``def`` (``def f(x): return x``): no hole there
    return start, end


def pick_hole(
    key: str,
    source: str,
    def_line: int,
    failing: Sequence[TestResult],
    passing: Sequence[TestResult],
    filled: Sequence[str] = (),
) -> Hole | None:
    """The statement to fill in for trainable ``key`` (``source``: its current code, whose
    ``def`` is on file line ``def_line``), or None without line data or a statement.
    ``filled``: statements filled in before (their text), passed over for the next most
    suspicious one."""
    lines = textwrap.dedent(source).splitlines()
    done = {_words(text) for text in filled}
    for span in _hole_order(key, source, def_line, failing, passing):
        if not 1 <= span[0] <= span[1] <= len(lines):
            continue
        text = "\n".join(lines[span[0] - 1 : span[1]])
        if _words(text) not in done:
            return Hole(span[0], span[1], text)
    return None


def _hole_order(
    key: str,
    source: str,
    def_line: int,
    failing: Sequence[TestResult],
    passing: Sequence[TestResult],
) -> list[tuple[int, int]]:
    """Statement spans by suspicion: each group of equally suspicious lines from the last
    (nearest the result the tests check); a statement that only hands a value on goes one
    group down, after the statements of the next group that compute something."""
    ranked = [s for s in rank_lines(key, failing, passing) if s.score > 0]
    lines = textwrap.dedent(source).splitlines()
    order: list[tuple[int, int]] = []
    deferred: list[tuple[int, int]] = []  # the group above's statements that hand on
    for score in sorted({s.score for s in ranked}, reverse=True):
        tied = sorted((s.line for s in ranked if s.score == score), reverse=True)
        spans = [statement_span(source, line - def_line + 1) for line in tied]
        found = [sp for sp in spans if sp is not None and sp not in order + deferred]
        found = list(dict.fromkeys(found))
        order += [sp for sp in found if not _hands_on(lines, sp)] + deferred
        deferred = [sp for sp in found if _hands_on(lines, sp)]
    return order + deferred


def _words(text: str) -> str:
    return " ".join(text.split())


def _hands_on(lines: Sequence[str], span: tuple[int, int]) -> bool:
    """Whether the statement on ``span`` computes nothing: it returns or yields a bare
    name or nothing, or is ``pass``, ``break`` or ``continue``."""
    try:
        tree = ast.parse(textwrap.dedent("\n".join(lines[span[0] - 1 : span[1]])))
    except SyntaxError:
        return False  # a compound statement's header alone: it computes its test
    if len(tree.body) != 1:
        return False
    node = tree.body[0]
    if isinstance(node, ast.Pass | ast.Break | ast.Continue):
        return True
    if isinstance(node, ast.Return):
        value = node.value
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Yield):
        value = node.value.value
    else:
        return False
    return value is None or isinstance(value, ast.Name)


def call_hints(
    function: str, failing: Sequence[TestResult], passing: Sequence[TestResult]
) -> list[str]:
    """Comment lines above the function: the smallest failing calls of ``function`` with
    what the test asserted, then a few passing calls (what must keep working)."""
    hints: list[str] = []
    for result in sorted(failing, key=case_size)[:MAX_FAILING_SHOWN]:
        calls = [c for c in result.calls if c.function.rsplit(".", 1)[-1] == function]
        head = describe_call(calls[0]) if calls else result.nodeid.rsplit("::", 1)[-1]
        hints.append(clip(f"# Failing test: {head}; {first_error_line(result)}", MAX_HINT_CHARS))
    shown = 0
    for result in passing:
        calls = [c for c in result.calls if c.function.rsplit(".", 1)[-1] == function]
        if calls and shown < MAX_PASSING_SHOWN:
            hints.append(clip(f"# Passing test: {describe_call(calls[0])}", MAX_HINT_CHARS))
            shown += 1
    return hints


@dataclass(frozen=True)
class InfillPrompt:
    prefix: str
    suffix: str
    indent: str  # of the ``def`` in the module: the fill's later lines carry it


def prompt_parts(
    module: str, def_line: int, source: str, hole: Hole, hints: Sequence[str]
) -> InfillPrompt | None:
    """The text around the hole: the module above the function (its decorators and the
    hints right above the ``def``), the function as it is now with the hole, the module
    below. None when the function is not found at ``def_line``."""
    try:
        tree = ast.parse(module)
    except SyntaxError:
        return None
    found = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.lineno == def_line
    ]
    if not found:
        return None
    node = found[0]
    lines = module.splitlines(keepends=True)
    top = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    indent = _indentation(lines[node.lineno - 1])
    above = "".join(lines[: top - 1])[-MAX_BEFORE_CHARS:]
    below = "".join(lines[node.end_lineno or node.lineno :])[:MAX_AFTER_CHARS]
    decorators = "".join(lines[top - 1 : node.lineno - 1])
    code = textwrap.indent(textwrap.dedent(source).rstrip("\n") + "\n", indent).splitlines(
        keepends=True
    )
    code = [ln if ln.strip() else "\n" for ln in code]
    if not 1 <= hole.first <= hole.last <= len(code):
        return None
    comments = "".join(f"{indent}{h}\n" for h in hints)
    prefix = (
        above
        + comments
        + decorators
        + "".join(code[: hole.first - 1])
        + _indentation(code[hole.first - 1])
    )
    suffix = "\n" + "".join(code[hole.last :]) + below
    return InfillPrompt(prefix, suffix, indent)


def _indentation(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def filled(source: str, hole: Hole, text: str, indent: str = "") -> str | None:
    """``source`` (dedented) with the hole's statement replaced by ``text``, the model's
    fill: its first line comes after the indentation the prefix ended with, its later
    lines carry the ``def``'s ``indent`` in the module. None when the fill is empty or
    the statement as it was."""
    fill_lines = text.rstrip().splitlines()
    lines = textwrap.dedent(source).splitlines()
    # A model that writes on past the hole repeats the code after it: cut it there.
    following = next((ln.strip() for ln in lines[hole.last :] if ln.strip()), None)
    for k, line in enumerate(fill_lines):
        if following is not None and line.strip() == following:
            fill_lines = fill_lines[:k]
            break
    if not fill_lines or not fill_lines[0].strip():
        return None
    first = lines[hole.first - 1]
    new = [_indentation(first) + fill_lines[0].lstrip()]
    for line in fill_lines[1:]:
        new.append(line[len(indent) :] if indent and line.startswith(indent) else line)
    if "\n".join(new).strip() == hole.text.strip():
        return None
    return "\n".join([*lines[: hole.first - 1], *new, *lines[hole.last :]]) + "\n"
