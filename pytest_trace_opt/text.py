"""Bounded text: every value shown to the optimizer or a report goes through here.

Pure and stdlib-only; both the controller and the evaluation children use it.
"""

from __future__ import annotations

import re

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]{4,}")


def mask_addresses(text: str) -> str:
    """Memory addresses differ per run; they defeat caches and cassettes."""
    return _ADDRESS.sub("", text)


def clip(text: str, limit: int) -> str:
    """Keep head and tail of long text, saying how much was cut."""
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head - 30
    cut = len(text) - head - max(tail, 0)
    end = text[-tail:] if tail > 0 else ""
    return f"{text[:head]}…[{cut} chars cut]…{end}"


def bounded_repr(value: object, limit: int = 300) -> str:
    """repr() that stays short whatever the value (trace-opt itself never truncates)."""
    try:
        text = repr(value)
    except Exception as exc:  # a user __repr__ may raise
        text = f"<{type(value).__name__} object; repr() raised {type(exc).__name__}>"
    return mask_addresses(clip(text, limit))
