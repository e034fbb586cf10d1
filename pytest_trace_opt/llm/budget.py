"""The one LLM budget: calls, tokens and a deadline, checked before every call.

:class:`LLMClient` checks it around its own backend; :class:`BudgetedLLM` puts the same
budget and the same statistics around any duck-typed LLM object (one returned by the
``pytest_trace_opt_make_llm`` hook), so that every optimization is counted alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import BudgetExhausted
from .progress import CallProgress
from .response import LLMStats


@dataclass
class Budget:
    max_calls: int | None = None
    max_tokens: int | None = None  # prompt + completion
    deadline: float | None = None  # time.monotonic() value after which no call starts
    # How each limit is named in a message (the option that set it, for the plugin).
    names: dict[str, str] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic

    def check(self, stats: LLMStats, inflight: int = 0, *, calls: bool = True) -> None:
        """Raise :class:`BudgetExhausted` when no further call may start; ``calls=False``:
        another sample of a call already counted (only the deadline and tokens apply)."""
        if self.deadline is not None and self.clock() >= self.deadline:
            raise BudgetExhausted("timeout", self.names.get("timeout", ""))
        if calls and self.max_calls is not None and stats.calls + inflight >= self.max_calls:
            detail = self.names.get("llm-calls", f"{stats.calls} of {self.max_calls} calls made")
            raise BudgetExhausted("llm-calls", detail)
        if self.max_tokens is not None and stats.total_tokens >= self.max_tokens:
            used = f"{stats.total_tokens} of {self.max_tokens} tokens used"
            raise BudgetExhausted("tokens", self.names.get("tokens", used))

    def retry_would_pass_deadline(self, delay: float) -> bool:
        return self.deadline is not None and self.clock() + delay >= self.deadline


def count_usage(stats: LLMStats, response: Any) -> None:
    """Add a response's ``usage`` (a dict or an object, as clients differ) to ``stats``."""
    usage = getattr(response, "usage", None)
    if usage is None and isinstance(response, dict):
        usage = response.get("usage")
    if isinstance(usage, dict):
        stats.prompt_tokens += int(usage.get("prompt_tokens") or 0)
        stats.completion_tokens += int(usage.get("completion_tokens") or 0)
    elif usage is not None:
        stats.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
        stats.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)


class BudgetedLLM:
    """Any LLM object with the budget checked before, and statistics counted after, a call."""

    def __init__(self, llm: Any, budget: Budget) -> None:
        self.llm = llm
        self.budget = budget
        self.stats = LLMStats()
        self.progress = CallProgress()

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.budget.check(self.stats)
        started = time.monotonic()
        self.progress.begin()
        try:
            response = fn(*args, **kwargs)
        finally:
            self.progress.end()
            self.stats.seconds += time.monotonic() - started
        self.stats.calls += 1
        self.stats.samples += max(1, len(getattr(response, "choices", None) or []))
        count_usage(self.stats, response)
        return response

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(self.llm, *args, **kwargs)

    def create(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(getattr(self.llm, "create", None) or self.llm, *args, **kwargs)

    def close(self) -> None:
        close = getattr(self.llm, "close", None)
        if close is not None:
            close()
