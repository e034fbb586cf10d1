"""Calls to a provider bounded by wall-clock time. Stdlib only."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any

HARD_LIMIT_GRACE = 1.0  # seconds past the timeout before the call is abandoned


class WallClockExceeded(TimeoutError):
    """The whole call outlived its timeout (a reply trickled in slowly is cut here)."""


def quiet_call(fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(**kwargs)


def within(timeout: float, call: Callable[[], Any]) -> Any:
    """``call()`` bounded by wall-clock time. The HTTP client's timeout bounds each read,
    not the call: a server that sends a byte a second never trips it. Past the limit the
    call is left to finish in a daemon thread and its answer is dropped."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=run, name="trace-opt-llm-call", daemon=True)
    worker.start()
    worker.join(timeout + HARD_LIMIT_GRACE)
    if worker.is_alive():
        raise WallClockExceeded(f"no complete reply within {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]
