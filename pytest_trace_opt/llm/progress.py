"""What the LLM call in flight is doing, for a live line on the terminal.

The client (or the budget wrapper around a hook's LLM) marks a call's start and end; the
in-process backend counts each token it generates; the round loop names what is asked.
The terminal reads ``snapshot()`` from another thread: plain attribute writes under the
GIL are enough, nothing here blocks the call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class CallSnapshot:
    label: str  # what is asked, e.g. "round 2 [calc.add]"
    number: int  # 1-based count of calls begun so far
    elapsed: float  # seconds since the call began
    tokens: int  # completion tokens generated so far
    counts_tokens: bool  # whether the backend reports tokens while it generates
    round: int = 0  # the round the call belongs to (0: not named)

    @property
    def tokens_per_second(self) -> float | None:
        if not self.counts_tokens or self.elapsed <= 0 or not self.tokens:
            return None
        return self.tokens / self.elapsed

    def text(self) -> str:
        what = f"{self.label}: " if self.label else ""
        line = f"{what}waiting for the LLM, {self.elapsed:.0f} s"
        if self.counts_tokens:
            line += f", {self.tokens} tokens"
            rate = self.tokens_per_second
            if rate is not None:
                line += f" ({rate:.1f}/s)"
        return line


class CallProgress:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.label = ""
        self.round = 0
        self.calls = 0
        self._started: float | None = None
        self._tokens = 0
        self.counts_tokens = False

    def begin(self, counts_tokens: bool = False) -> None:
        self.calls += 1
        self._tokens = 0
        self.counts_tokens = counts_tokens
        self._started = self.clock()

    def token(self) -> None:
        self._tokens += 1

    def end(self) -> None:
        self._started = None

    @property
    def active(self) -> bool:
        return self._started is not None

    def snapshot(self) -> CallSnapshot | None:
        started = self._started
        if started is None:
            return None
        return CallSnapshot(
            label=self.label,
            number=self.calls,
            elapsed=max(0.0, self.clock() - started),
            tokens=self._tokens,
            counts_tokens=self.counts_tokens,
            round=self.round,
        )
