"""Baseline 3: a naive repair loop, as chat-based coding tools (aider's "whole file" edit
format, a test command fed back) do it.

* Prompt: the module(s) holding the trainable code, in full, and pytest's output for the
  failing visible tests (the FAILURES section, bounded to 4000 characters); asks for the
  complete corrected module in a ```python block (the module rather than the function, so
  node values such as a prompt template or a threshold are fixed the same way as code).
* The last ```python block of the reply is written over the module. If the reply holds
  only some of the module's top-level definitions (a model that answers with just the
  function), those definitions are spliced into the original module instead (the
  original decorators are kept when the reply has none).
* The visible tests are re-run (plain pytest, subprocess). While some fail and calls are
  left, the chat continues: the previous reply stays in the conversation and a new user
  message gives the new pass count and failures.
* At most ``budget`` calls; the attempt with the most passing visible tests is kept
  (ties: the earlier one; the buggy original counts as attempt 0). Holdouts are never
  run or shown here.
"""

from __future__ import annotations

import ast
import re
import textwrap
import time
from pathlib import Path
from typing import Any

from .common import failures_section, run_tests, test_kinds, trainable_modules

SYSTEM = (
    "You are an expert Python developer. You fix bugs in the code you are given so that "
    "its tests pass, without changing the tests."
)
FENCE = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.S)


def _top_level(tree: ast.Module) -> dict[str, ast.stmt]:
    out: dict[str, ast.stmt] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out[stmt.name] = stmt
        elif isinstance(stmt, ast.Assign):
            for t in stmt.targets:
                if isinstance(t, ast.Name):
                    out[t.id] = stmt
    return out


def _first_line(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", [])
    return min([stmt.lineno, *(d.lineno for d in decorators)])


def merge(original: str, code: str) -> str:
    """The new module text for a reply's code block (whole module, or spliced)."""
    try:
        new_tree = ast.parse(code)
        old_tree = ast.parse(original)
    except SyntaxError:
        return code  # written as is: the tests will report the syntax error
    old_defs, new_defs = _top_level(old_tree), _top_level(new_tree)
    wanted = {n for n, s in old_defs.items() if not isinstance(s, ast.Assign)}
    if wanted <= set(new_defs):
        return code if code.endswith("\n") else code + "\n"
    old_lines, new_lines = original.splitlines(), code.splitlines()
    replacements = []
    for name, stmt in old_defs.items():
        if name not in new_defs or type(new_defs[name]) is not type(stmt):
            continue
        new = new_defs[name]
        keep_decorators = bool(getattr(stmt, "decorator_list", [])) and not getattr(
            new, "decorator_list", []
        )
        start = stmt.lineno if keep_decorators else _first_line(stmt)
        body = new_lines[(new.lineno if keep_decorators else _first_line(new)) - 1 : new.end_lineno]
        replacements.append((start, stmt.end_lineno or stmt.lineno, body))
    methods = {  # a reply that holds just a method, as a top-level function
        sub.name: (cls, sub)
        for cls in old_tree.body
        if isinstance(cls, ast.ClassDef)
        for sub in cls.body
        if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    for name, new in new_defs.items():
        if name in old_defs or name not in methods or isinstance(new, ast.Assign):
            continue
        sub = methods[name][1]
        keep_decorators = bool(sub.decorator_list) and not getattr(new, "decorator_list", [])
        start = sub.lineno if keep_decorators else _first_line(sub)
        body = "\n".join(
            new_lines[(new.lineno if keep_decorators else _first_line(new)) - 1 : new.end_lineno]
        )
        indented = textwrap.indent(textwrap.dedent(body), " " * sub.col_offset).splitlines()
        replacements.append((start, sub.end_lineno or sub.lineno, indented))
    for start, end, body in sorted(replacements, reverse=True):
        old_lines[start - 1 : end] = body
    return "\n".join(old_lines) + "\n"


def _files_block(files: dict[Path, str]) -> str:
    return "\n\n".join(
        f"File `{p.name}`:\n```python\n{text.rstrip()}\n```" for p, text in files.items()
    )


def run(case_dir: Path, llm: Any, budget: int, log=print) -> dict[str, Any]:
    case_dir = Path(case_dir)
    started = time.monotonic()
    modules = list(trainable_modules(case_dir))
    originals = {m: m.read_text() for m in modules}
    visible = [i for i, k in test_kinds(case_dir).items() if k == "visible"]
    notes: list[str] = []
    one = len(modules) == 1
    ask = (
        f"Reply with the complete corrected module `{modules[0].name}` in one ```python code block."
        if one
        else "Reply with each corrected module in its own ```python code block whose first "
        "line is `# file: NAME.py`."
    )

    run_ = run_tests(case_dir, visible)
    history = [run_.passed(visible)]
    best = (history[0], 0, dict(originals))
    messages: list[dict[str, str]] = [{"role": "system", "content": SYSTEM}]
    messages.append(
        {
            "role": "user",
            "content": (
                f"{_files_block(originals)}\n\nThe tests fail. pytest output:\n```\n"
                f"{failures_section(run_.output)}\n```\n\nFix the bug so that the tests pass. "
                f"Keep the public names and signatures. {ask}"
            ),
        }
    )
    calls = 0
    while calls < budget and run_.passed(visible) < len(visible):
        calls += 1
        try:
            reply = llm(messages=messages, temperature=0.0).choices[0].message.content or ""
        except Exception as e:  # noqa: BLE001 - budget spent or LLM down: stop
            notes.append(f"call {calls}: {type(e).__name__}: {str(e)[:200]}")
            break
        messages.append({"role": "assistant", "content": reply})
        blocks = FENCE.findall(reply)
        current = {m: m.read_text() for m in modules}
        if not blocks:
            notes.append(f"call {calls}: no code block in the reply")
        elif one:
            current[modules[0]] = merge(originals[modules[0]], blocks[-1])
        else:
            for block in blocks:
                head = block.lstrip().splitlines()[0] if block.strip() else ""
                for m in modules:
                    if head.startswith("# file:") and m.name in head:
                        current[m] = merge(originals[m], block)
        for m, text in current.items():
            m.write_text(text)
        run_ = run_tests(case_dir, visible)
        passed = run_.passed(visible)
        history.append(passed)
        log(f"  naive call {calls}: {passed}/{len(visible)} visible")
        if passed > best[0]:
            best = (passed, calls, current)
        messages.append(
            {
                "role": "user",
                "content": (
                    f"With your change {passed} of {len(visible)} tests pass. pytest output:\n```\n"
                    f"{failures_section(run_.output)}\n```\n\nFix the remaining failures. {ask}"
                ),
            }
        )
    for m, text in best[2].items():
        m.write_text(text)
    return {
        "calls_made": calls,
        "visible_history": history,
        "visible_total": len(visible),
        "kept_attempt": best[1],
        "notes": notes,
        "seconds": time.monotonic() - started,
    }
