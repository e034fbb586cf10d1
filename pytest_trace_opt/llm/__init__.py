"""The LLM layer of pytest-trace-opt.

Nothing heavy is imported here: llama_cpp and litellm are imported only inside the
backend constructors, and only when a call actually needs them.
"""

from __future__ import annotations

from .client import LLMClient, build_llm
from .config import LLMConfig
from .errors import BudgetExhausted, CassetteMiss, LLMError, LLMUnavailable
from .response import ChatCompletion, LLMStats

__all__ = [
    "BudgetExhausted",
    "CassetteMiss",
    "ChatCompletion",
    "LLMClient",
    "LLMConfig",
    "LLMError",
    "LLMStats",
    "LLMUnavailable",
    "build_llm",
]
