"""Exceptions raised by the LLM layer. All derive from :class:`LLMError`."""

from __future__ import annotations


class LLMError(Exception):
    """Base class of every error raised by :mod:`pytest_trace_opt.llm`."""


class LLMUnavailable(LLMError):
    """A permanent failure: the provider cannot answer (bad key, unknown model, dead server...).

    ``str()`` is one line naming the provider and the cause.
    """

    def __init__(self, provider: str, cause: str) -> None:
        self.provider = provider
        self.cause = " ".join(str(cause).split())  # always a single line
        super().__init__(f"{provider}: {self.cause}")

    def __reduce__(self) -> tuple[type[LLMUnavailable], tuple[str, str]]:
        return (type(self), (self.provider, self.cause))


_BUDGET_TEXT = {
    "llm-calls": "LLM call budget spent",
    "tokens": "LLM token budget spent",
    "timeout": "time budget spent: no new LLM call starts after the deadline",
}


class BudgetExhausted(LLMError):
    """Raised before a call when a session budget is spent.

    ``which`` is one of ``"llm-calls"``, ``"tokens"``, ``"timeout"``.
    """

    WHICH = frozenset(_BUDGET_TEXT)

    def __init__(self, which: str, detail: str = "") -> None:
        if which not in self.WHICH:
            raise ValueError(f"unknown budget {which!r}")
        self.which = which
        self.detail = detail
        text = _BUDGET_TEXT[which]
        super().__init__(f"{text} ({detail})" if detail else text)

    def __reduce__(self) -> tuple[type[BudgetExhausted], tuple[str, str]]:
        return (type(self), (self.which, self.detail))


class CallTimeSpent(LLMError):
    """A later sample of a call would start after the call's ``--trace-llm-timeout``: the
    samples drawn so far are the call's answer."""


class CassetteMiss(LLMError):
    """Replay-only cassette and no recorded answer for this request."""

    def __init__(self, path: str, key: str, hint: str = "") -> None:
        self.path = path
        self.key = key
        msg = f"no recorded LLM answer in cassette {path} for request {key[:12]}"
        if hint:
            msg += f" ({hint})"
        super().__init__(msg)

    def __reduce__(self) -> tuple[type[CassetteMiss], tuple[str, str]]:
        return (type(self), (self.path, self.key))
