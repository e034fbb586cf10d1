"""Wording helpers of the plan: wrapped lines, plurals, shortened text, grouped test ids."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

WIDTH = 100
MAX_IDS = 6  # test ids listed per state


def wrap(text: str, indent: str = "", width: int = WIDTH) -> list[str]:
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent + "    ",
        break_long_words=True,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def short(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def group_ids(ids: Sequence[str]) -> str:
    shown: list[str] = []
    last_file = ""
    for nodeid in ids[:MAX_IDS]:
        file, sep, rest = nodeid.partition("::")
        shown.append(f"::{rest}" if sep and file == last_file else nodeid)
        last_file = file
    text = ", ".join(shown)
    if len(ids) > MAX_IDS:
        text += f" (+{len(ids) - MAX_IDS} more)"
    return text
