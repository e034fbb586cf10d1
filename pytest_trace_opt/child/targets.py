"""Targets a test names in its marker: ``@pytest.mark.trainable(obj_or_dotted_name, ...)``."""

from __future__ import annotations

import importlib
from typing import Any

from pytest_trace_opt.child.trace_patch import key_of


def explicit_targets(item: Any) -> tuple[list[str], list[str]]:
    """Keys of the targets named in the test's markers, and why others were not found."""
    keys: list[str] = []
    errors: list[str] = []
    for marker in item.iter_markers("trainable"):
        named = marker.kwargs.get("targets", ())
        if not isinstance(named, (list, tuple)):
            named = (named,)
        for target in (*marker.args, *named):
            obj = target
            if isinstance(target, str):
                try:
                    obj = resolve_dotted(target)
                except (ImportError, AttributeError) as exc:
                    errors.append(f"trainable target {target!r} not found: {exc}")
                    continue
            key = key_of(obj)
            if key is None:
                shown = target if isinstance(target, str) else getattr(obj, "__qualname__", obj)
                errors.append(
                    f"trainable target {shown!r} is not trainable: decorate it with "
                    "@trainable or @bundle(trainable=True), or make it "
                    "node(..., trainable=True)"
                )
            elif key not in keys:
                keys.append(key)
    return keys, errors


def resolve_dotted(name: str) -> Any:
    """``pkg.module.obj.attr`` → the object (the longest importable module prefix wins)."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            if cut == 1:
                raise
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(name)
