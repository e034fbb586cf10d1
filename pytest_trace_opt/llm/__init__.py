"""The LLM layer of pytest-trace-opt.

Nothing heavy is imported here: llama_cpp and litellm are imported only inside the
backend constructors, and only when a call actually needs them. The public names are
loaded on first use, so that reading the defaults (``llm.config``) costs nothing more.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .budget import Budget, BudgetedLLM
    from .client import LLMClient, build_llm
    from .config import LLMConfig
    from .errors import BudgetExhausted, CassetteMiss, LLMError, LLMUnavailable
    from .response import ChatCompletion, LLMStats

_HOME = {
    "Budget": "budget",
    "BudgetedLLM": "budget",
    "LLMClient": "client",
    "build_llm": "client",
    "LLMConfig": "config",
    "BudgetExhausted": "errors",
    "CassetteMiss": "errors",
    "LLMError": "errors",
    "LLMUnavailable": "errors",
    "ChatCompletion": "response",
    "LLMStats": "response",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


__all__ = [
    "Budget",
    "BudgetExhausted",
    "BudgetedLLM",
    "CassetteMiss",
    "ChatCompletion",
    "LLMClient",
    "LLMConfig",
    "LLMError",
    "LLMStats",
    "LLMUnavailable",
    "build_llm",
]
