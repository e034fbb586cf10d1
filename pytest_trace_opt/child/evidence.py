"""What a failing test itself says about the expected behaviour, for the optimizer's prompt:
the arguments it ran with (parametrize values, plain fixture values) and its source, which
holds the expected values, the decorators included. Bounded."""

from __future__ import annotations

import inspect
from typing import Any

from pytest_trace_opt.text import bounded_repr, clip

MAX_SOURCE_LINES = 40
MAX_SOURCE_CHARS = 2400
MAX_ARGUMENT_REPR = 200

# pytest's own fixtures say nothing about the behaviour under test.
_INFRASTRUCTURE = frozenset({
    "request", "pytestconfig", "tmp_path", "tmp_path_factory", "tmpdir", "tmpdir_factory",
    "monkeypatch", "capsys", "capsysbinary", "capfd", "capfdbinary", "caplog", "recwarn",
    "record_property", "record_xml_attribute", "record_testsuite_property", "cache",
    "doctest_namespace", "trace_feedback", "worker_id", "testrun_uid", "pytester", "testdir",
})  # fmt: skip
_PLAIN = (str, bytes, int, float, complex, bool, type(None))


def _is_plain(value: Any, depth: int = 0) -> bool:
    """Values whose repr a reader can take as the expected data (no objects, no handles)."""
    if isinstance(value, _PLAIN):
        return True
    if depth >= 3:
        return False
    if isinstance(value, (list, tuple, set, frozenset)):
        return len(value) <= 50 and all(_is_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return len(value) <= 50 and all(
            _is_plain(k, depth + 1) and _is_plain(v, depth + 1) for k, v in value.items()
        )
    return False


def arguments_of(item: Any) -> dict[str, str]:
    """Parametrize values first, then plain fixture values, as bounded reprs."""
    found: dict[str, str] = {}
    callspec = getattr(item, "callspec", None)
    for name, value in (getattr(callspec, "params", None) or {}).items():
        found[name] = bounded_repr(value, MAX_ARGUMENT_REPR)
    funcargs = getattr(item, "funcargs", None) or {}
    for name, value in funcargs.items():
        if name in found or name in _INFRASTRUCTURE or not _is_plain(value):
            continue
        found[name] = bounded_repr(value, MAX_ARGUMENT_REPR)
    return found


def source_of(item: Any) -> tuple[str, int]:
    """The test function's source with its decorators (bounded), and its first file line."""
    function = getattr(item, "obj", None)
    try:
        lines, start = inspect.getsourcelines(function)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return "", 0
    shown = lines[:MAX_SOURCE_LINES]
    text = "".join(shown).rstrip("\n")
    if len(lines) > MAX_SOURCE_LINES:
        text += f"\n    ... ({len(lines) - MAX_SOURCE_LINES} more lines)"
    return clip(text, MAX_SOURCE_CHARS), start
