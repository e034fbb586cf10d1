"""Parts of an LLM candidate's change, tried on their own.

A small model often makes the right change in too many places (every field of a format
padded where one must not be, every operator of a line flipped) or makes a right change next to
a wrong one (the bug fixed, and a passing case "tidied" into a failure). The candidate then
fixes nothing, though a part of it would. Like delta debugging of a patch, the change is split
into its parts (runs of changed tokens) and two kinds of variant are tried: the change without
one of its parts, and one part alone. A change of one part has no variants; a change of many
parts is a rewrite, whose parts do not stand alone.

Pure functions over source text, no opto, no pytest.
"""

from __future__ import annotations

import ast
import difflib
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from pytest_trace_opt.core.mutants import Edit

MAX_PARTS = 6  # more parts than this: a rewrite, not a fix with an extra
# a word or one other character; a line continuation is layout, like space
_TOKEN = re.compile(r"\w+|\\(?!\n)|[^\w\s\\]")
_SHOWN = 30  # characters of a part's text in its description


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int

    @property
    def key(self) -> str:
        # a quote style changed by reformatting is not a change of the code
        return '"' if self.text == "'" else self.text


@dataclass(frozen=True)
class _Part:
    """Tokens ``old[i1:i2]`` of the code before became ``new[j1:j2]`` of the candidate."""

    i1: int
    i2: int
    j1: int
    j2: int


def _tokens(source: str) -> list[_Token]:
    return [_Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(source)]


def _parts(old: Sequence[_Token], new: Sequence[_Token]) -> list[_Part]:
    """The changed runs of tokens (space is not a token: a line indented anew or wrapped is
    no change; ``a + b`` to ``a - c`` is one part)."""
    matcher = difflib.SequenceMatcher(
        None, [t.key for t in old], [t.key for t in new], autojunk=False
    )
    parts: list[_Part] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        parts.append(_Part(i1, i2, j1, j2))
    return parts


def _apply(
    before: str, after: str, old: list[_Token], new: list[_Token], parts: list[_Part]
) -> str:
    """``before`` with ``parts`` (in order) made as the candidate made them. A part that
    adds or removes tokens takes the space before them along (a whole line comes or goes)."""
    pieces: list[str] = []
    cursor = 0
    for part in parts:
        if part.i1 == part.i2:  # added after the token before it
            start = end = old[part.i1 - 1].end if part.i1 else 0
            text = after[new[part.j1 - 1].end if part.j1 else 0 : new[part.j2 - 1].end]
        elif part.j1 == part.j2:  # removed with the space before it
            start, end = (old[part.i1 - 1].end if part.i1 else 0), old[part.i2 - 1].end
            text = ""
        else:
            start, end = old[part.i1].start, old[part.i2 - 1].end
            text = after[new[part.j1].start : new[part.j2 - 1].end]
        pieces += [before[cursor:start], text]
        cursor = end
    pieces.append(before[cursor:])
    return "".join(pieces)


def _shown(tokens: Sequence[_Token], source: str) -> str:
    if not tokens:
        return ""
    text = " ".join(source[tokens[0].start : tokens[-1].end].split())
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _describe(part: _Part, old: list[_Token], new: list[_Token], before: str, after: str) -> str:
    was, now = _shown(old[part.i1 : part.i2], before), _shown(new[part.j1 : part.j2], after)
    # the token before says where, when the same text changes in several places
    where = f" after `{old[part.i1 - 1].text}`" if part.i1 else ""
    if not was:
        return f"`{now}` added{where}"
    if not now:
        return f"`{was}` removed{where}"
    return f"`{was}` -> `{now}`{where}"


def _line_of(source: str, offset: int) -> int:
    return source.count("\n", 0, offset) + 1


def partial_changes(before: str, after: str) -> list[Edit]:
    """Variants of the change from ``before`` to ``after`` (sources of one function): first
    the change without each of its parts, then each part alone; each parses and differs from
    both. Empty when the change has one part, or more than :data:`MAX_PARTS`."""
    before, after = textwrap.dedent(before), textwrap.dedent(after)
    old, new = _tokens(before), _tokens(after)
    parts = _parts(old, new)
    if not 2 <= len(parts) <= MAX_PARTS:
        return []
    try:
        seen = {ast.dump(ast.parse(before)), ast.dump(ast.parse(after))}
    except SyntaxError:
        return []
    variants: list[tuple[str, str, int]] = []
    for part in parts:
        rest = [p for p in parts if p is not part]
        described = _describe(part, old, new, before, after)
        source = _apply(before, after, old, new, rest)
        line = _line_of(before, old[min(part.i1, len(old) - 1)].start)
        variants.append((f"the LLM's change without {described}", source, line))
    for part in parts:
        described = _describe(part, old, new, before, after)
        source = _apply(before, after, old, new, [part])
        line = _line_of(after, new[min(part.j1, len(new) - 1)].start)
        variants.append((f"the LLM's change with only {described}", source, line))
    found: list[Edit] = []
    for description, source, line in variants:
        try:
            dumped = ast.dump(ast.parse(source))
        except SyntaxError:
            continue
        if dumped not in seen:
            seen.add(dumped)
            found.append(Edit(line, description, source))
    return found
