"""Fix patterns for a regular expression written in the code: a repetition it lacks or has
wrong. ``[^a-z0-9]`` where the documentation says "every run of other characters" is
``[^a-z0-9]+``; ``\\d*`` that should be ``\\d+``. Pure string work on the literal as
written; :mod:`.mutants` decides where a pattern is."""

from __future__ import annotations

from collections.abc import Iterator

# re's functions whose first argument is the pattern
REGEX_FUNCTIONS = frozenset(
    {"sub", "subn", "split", "findall", "finditer", "search", "match", "fullmatch", "compile"}
)
_QUANTIFIERS = "+*?{"
MAX_REGEX_EDITS = 6


def _atoms(body: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each character class, escape and ``.`` in a pattern's source text."""
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            yield i, min(i + 2, len(body))
            i += 2
        elif char == "[":
            j = i + 1
            if j < len(body) and body[j] == "^":
                j += 1
            if j < len(body) and body[j] == "]":
                j += 1  # a "]" first in a class is a member
            while j < len(body) and body[j] != "]":
                j += 2 if body[j] == "\\" else 1
            if j >= len(body):
                return  # not a class we can read
            yield i, j + 1
            i = j + 1
        elif char == ".":
            yield i, i + 1
            i += 1
        else:
            i += 1


def repetition_edits(written: str, value: str) -> Iterator[tuple[str, str]]:
    """(description, new literal) for the string literal ``written`` whose value is
    ``value``: ``+`` added after a class, escape or ``.``; ``+`` <-> ``*``; a repetition
    dropped. Nothing unless the literal's text is the pattern itself (a raw string, or one
    with no backslash and no implicit concatenation)."""
    prefix = written[: len(written) - len(written.lstrip("rRbBuU"))]
    opening = written[len(prefix) :]
    quote = opening[:3] if opening[:3] in ('"""', "'''") else opening[:1]
    body = written[len(prefix) + len(quote) : len(written) - len(quote)]
    if not quote or ("\\" in body and "r" not in prefix.lower()) or body != value:
        return
    found = 0
    for a, b in _atoms(body):
        atom, after = body[a:b], body[b : b + 1]
        if after and after in _QUANTIFIERS:
            options = {"+": ["*", ""], "*": ["+", ""]}.get(after, [])
            changes = [(b, b + 1, new, f"`{atom}{after}` -> `{atom}{new}`") for new in options]
        else:
            changes = [(b, b, "+", f"`{atom}` -> `{atom}+`")]
        for start, end, new, description in changes:
            if found >= MAX_REGEX_EDITS:
                return
            found += 1
            edited = body[:start] + new + body[end:]
            yield f"{description} in the pattern", prefix + quote + edited + quote
