"""LLM use between two moments of the round loop, from any object with LLM statistics."""

from __future__ import annotations

from typing import Any, Protocol


class LLMStatsLike(Protocol):
    calls: int
    samples: int
    prompt_tokens: int
    completion_tokens: int
    seconds: float


Usage = tuple[int, int, int, int, float]


def usage_now(stats: LLMStatsLike | None) -> Usage:
    if stats is None:
        return (0, 0, 0, 0, 0.0)
    samples = getattr(stats, "samples", stats.calls)
    return (stats.calls, samples, stats.prompt_tokens, stats.completion_tokens, stats.seconds)


def usage_between(a: Usage, b: Usage) -> dict[str, Any]:
    return {
        "llm_calls": b[0] - a[0],
        "samples": b[1] - a[1],
        "prompt_tokens": b[2] - a[2],
        "completion_tokens": b[3] - a[3],
        "llm_seconds": round(b[4] - a[4], 3),
    }
