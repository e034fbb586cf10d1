"""From a failing test report to the feedback text the optimizer reads (in the child).

The default of the ``pytest_trace_opt_feedback`` hook: test id, assertion or exception,
user frames only, bounded captured output.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from pytest_trace_opt.text import clip, mask_addresses

# Frames from these packages are noise to the optimizer.
_INTERNAL_PATH = re.compile(
    r"(?:^|[/\\])(_pytest|pytest|pluggy|opto|pytest_trace_opt|xdist|execnet)[/\\]"
    r"|<frozen |^<string>$"
)

MAX_LINE = 240
MAX_TEST_FEEDBACK = 1600
MAX_CAPTURED = 400


def _clip_lines(text: str) -> str:
    return "\n".join(clip(line, MAX_LINE) for line in text.splitlines())


def _traceback_text(longrepr: Any) -> str:
    """Short traceback restricted to user frames (pytest, pluggy and opto frames dropped)."""
    chain = getattr(longrepr, "chain", None)
    if not chain:
        return str(longrepr)
    parts: list[str] = []
    for reprtraceback, reprcrash, description in chain:
        frames: list[tuple[str, str]] = []
        for entry in getattr(reprtraceback, "reprentries", []):
            loc = getattr(entry, "reprfileloc", None)
            if loc is not None and _INTERNAL_PATH.search(str(loc.path)):
                continue
            lines = [line for line in getattr(entry, "lines", []) if line.strip()]
            where = f"{loc.path}:{loc.lineno}" if loc is not None else ""
            frames.append((where, (where + ("\n" if where else "") + "\n".join(lines)).rstrip()))
        entries = collapse_repeats(frames)
        if reprcrash is not None and not any("\nE   " in "\n" + e for e in entries[-1:]):
            # The raising frame was internal (e.g. a timeout handler): keep its message.
            entries.append("E   " + reprcrash.message.replace("\n", "\nE   "))
        parts.append("\n".join(entries))
        if description:
            parts.append(description.strip())
    return "\n".join(p for p in parts if p)


def collapse_repeats(frames: list[tuple[str, str]]) -> list[str]:
    """Frames as text, a recursion shown once: a frame (or a pair of frames calling each
    other) repeated at the same place is followed by how many times it repeated."""
    out: list[str] = []
    i = 0
    while i < len(frames):
        for width in (1, 2):
            block = [where for where, _ in frames[i : i + width]]
            if len(block) < width or not all(block):
                continue
            repeats = 1
            while [w for w, _ in frames[i + repeats * width : i + (repeats + 1) * width]] == block:
                repeats += 1
            if repeats >= 3:
                out += [text for _, text in frames[i : i + width]]
                places = " and ".join(block)
                out.append(
                    f"... the call at {places} repeated {repeats - 1} more time(s) (recursion)"
                )
                i += repeats * width
                break
        else:
            out.append(frames[i][1])
            i += 1
    return out


def default_feedback(report: pytest.TestReport) -> str:
    """Feedback text for a failing report: id, assertion or exception, user frames, output."""
    phase = "" if report.when == "call" else f" during {report.when}"
    lines = [f"{report.nodeid} failed{phase}:"]
    body = _traceback_text(report.longrepr)
    lines.append(_clip_lines(mask_addresses(body)))
    for title, content in (("stdout", report.capstdout), ("stderr", report.capstderr)):
        if content and content.strip():
            lines.append(f"captured {title}: {clip(content.strip(), MAX_CAPTURED)}")
    return clip("\n".join(lines), MAX_TEST_FEEDBACK)
