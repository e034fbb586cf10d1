"""Which collected tests are tagged ``@pytest.mark.trainable``, and in which role."""

from __future__ import annotations

from collections.abc import Sequence

import pytest


def split_tagged(items: Sequence[pytest.Item]) -> tuple[list[str], list[str]]:
    """Node ids of the visible and of the holdout tagged tests, in collection order."""
    visible: list[str] = []
    holdout: list[str] = []
    for item in items:
        markers = list(item.iter_markers("trainable"))
        if not markers:
            continue
        if any(m.kwargs.get("holdout") for m in markers):
            holdout.append(item.nodeid)
        else:
            visible.append(item.nodeid)
    return visible, holdout


def deselect_all(config: pytest.Config, items: list[pytest.Item]) -> None:
    """No test is tagged: run none of them (pytest then reports 'no tests ran', exit 5)."""
    config.hook.pytest_deselected(items=list(items))
    items[:] = []


def collection_error_message(session: pytest.Session) -> str:
    count = session.testsfailed
    return f"{count} error{'s' if count != 1 else ''} during collection"
