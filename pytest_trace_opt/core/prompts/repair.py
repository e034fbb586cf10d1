"""The words of the Repair optimizer's prompt: short, concrete, one reply format.

A small code model does best with what a developer would put in front of a colleague:
the code to fix with the suspicious lines pointed at, the module context it depends on,
the failing tests as evidence, and one instruction for the reply (the complete corrected
definition in a ```python block). No JSON, no reasoning section to fill in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

SYSTEM = (
    "You are an expert Python developer. You fix the bug in the code you are shown so "
    "that the failing tests pass and the passing ones keep passing. Fix the root cause for "
    "every input of the kind shown; never special-case test inputs. Reply with the "
    "corrected code in one ```python block."
)

# The mark put on suspicious lines; a reply that copies it has it removed.
_MARK = "  # <- line {line}: suspicious, run by {failing} of {failing_total} failing tests"
# any "# <- line N: ..." comment: replies copy the mark and reword it ("fixed, run by ...")
_MARK_PATTERN = re.compile(r"[ \t]*# <- line \d+:[^\n]*")


@dataclass(frozen=True)
class CodeShown:
    """One trainable as the prompt shows it."""

    name: str  # qualname or value name
    function_name: str | None  # None for a value
    file: str
    line: int
    text: str  # the current code, or the value's literal
    context: str = ""  # from its module (core.context)
    description: str = ""  # a value's own description (node(..., description=...))
    suspicious: tuple[tuple[int, int, int, int], ...] = ()  # line, failing, total, passing


def _marked(code: CodeShown) -> str:
    marks = {line: (failing, total, passing) for line, failing, total, passing in code.suspicious}
    out = []
    for offset, text in enumerate(code.text.splitlines()):
        line = code.line + offset
        if line in marks:
            failing, total, passing = marks[line]
            text += _MARK.format(line=line, failing=failing, failing_total=total)
            if passing:
                text += f" and {passing} passing"
        out.append(text)
    return "\n".join(out)


def code_section(code: CodeShown) -> str:
    if code.function_name is None:
        head = f"## Value to change: {code.name} ({code.file}:{code.line})"
        about = "".join(f"# {ln}\n" for ln in code.description.strip().splitlines()[:6])
        return f"{head}\n```python\n{about}{code.name} = {code.text}\n```"
    head = f"## Code to fix: {code.name} ({code.file}, from line {code.line})"
    return f"{head}\n```python\n{_marked(code)}\n```"


def context_section(code: CodeShown) -> str:
    if not code.context:
        return ""
    return f"## Context from {code.file} (not to be changed)\n```python\n{code.context}\n```"


def reply_instruction(codes: Sequence[CodeShown]) -> str:
    functions = [c for c in codes if c.function_name is not None]
    values = [c for c in codes if c.function_name is None]
    parts = []
    if functions:
        names = ", ".join(f"`{c.function_name}`" for c in functions)
        parts.append(
            f"the complete corrected definition of {names} (same name and parameters; a "
            "helper function or an import may go above it)"
        )
    if values:
        parts.append(" and ".join(f"`{c.name} = <new value>`" for c in values))
    return (
        "Reply with " + " and ".join(parts) + " in one ```python block. Change only what "
        "is needed to fix the failing tests."
    )


def user_prompt(codes: Sequence[CodeShown], feedback: str) -> str:
    sections: list[str] = []
    for code in codes:
        context = context_section(code)
        if context and context not in sections:  # several trainables of one small module
            sections.append(context)
        sections.append(code_section(code))
    if any(c.suspicious for c in codes):
        sections.append(
            "Lines marked `# <- line N: suspicious` ran in the failing tests more than in "
            "the passing ones: look there first."
        )
    sections.append("## Tests\n" + feedback)
    sections.append(reply_instruction(codes))
    return "\n\n".join(sections)


def strip_marks(code: str) -> str:
    """Remove the suspicious-line marks a reply copied from the prompt."""
    return _MARK_PATTERN.sub("", code)
