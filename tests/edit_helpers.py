"""Helpers of the edit-kind tests (test_*_edits.py): the edits of one line by their
description, and a function defined by an edited source, to run it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_trace_opt.core.mutants import edits


def edits_of_line(source: str, line: int) -> dict[str, str]:
    """The edits of ``line`` of ``source``: description -> edited source."""
    return {e.description: e.source for e in edits(source, [line])}


def defined(source: str, name: str, **module: Any) -> Callable[..., Any]:
    """Function ``name`` as ``source`` defines it, beside the globals ``module`` gives."""
    namespace: dict[str, Any] = dict(module)
    exec(compile(source, "<edited>", "exec"), namespace)
    function: Callable[..., Any] = namespace[name]
    return function
