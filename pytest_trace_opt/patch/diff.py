"""Git-style unified diffs that ``git apply`` and ``patch -p1`` accept, and reading them back."""

from __future__ import annotations

import difflib
import re

from pytest_trace_opt.patch._text import split_lines


def git_quote(prefix: str, rel: str) -> str:
    """``prefix + rel`` as git writes a path in a diff header: C-quoted when it must be."""
    name = prefix + rel
    if any(ch in name for ch in '"\\') or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        escaped = "".join(
            {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n"}.get(ch)
            or (f"\\{ord(ch):03o}" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch)
            for ch in name
        )
        return f'"{escaped}"'
    return name


def unified_diff(old_text: str, new_text: str, relpath: str) -> str:
    """A git-style unified diff (3 lines of context) of one file; ``""`` when equal."""
    if old_text == new_text:
        return ""
    rel = str(relpath).replace("\\", "/")
    while rel.startswith("./"):
        rel = rel[2:]
    rel = rel.lstrip("/")
    a_name, b_name = git_quote("a/", rel), git_quote("b/", rel)
    tab = "\t" if " " in rel and not a_name.startswith('"') else ""
    out = [f"diff --git {a_name} {b_name}\n", f"--- {a_name}{tab}\n", f"+++ {b_name}{tab}\n"]
    hunks = difflib.unified_diff(split_lines(old_text), split_lines(new_text), n=3)
    for i, line in enumerate(hunks):
        if i < 2:  # difflib's own ---/+++ header
            continue
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def first_changed_line(patch: str) -> int | None:
    """Line number, in the original file, of the first line the patch removes or adds before."""
    old = None
    for line in patch.splitlines():
        match = re.match(r"@@ -(\d+)(?:,(\d+))? ", line)
        if match:
            old = int(match.group(1))
            if match.group(2) == "0":  # pure insertion after line ``old``
                old += 1
            continue
        if old is None:
            continue
        if line.startswith(("-", "+")):
            return max(old, 1)
        if line.startswith(" "):
            old += 1
    return None
