"""OpenAI-shaped response objects and usage statistics."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


class _Mapping:
    """Allow ``resp["choices"][0]["message"]["content"]`` as well as attribute access."""

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


@dataclass
class Message(_Mapping):
    content: str
    role: str = "assistant"


@dataclass
class Choice(_Mapping):
    message: Message
    index: int = 0
    finish_reason: str | None = "stop"


@dataclass
class Usage(_Mapping):
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class ChatCompletion(_Mapping):
    """What :class:`LLMClient` returns: ``.choices[0].message.content`` and ``.usage``."""

    choices: list[Choice]
    usage: Usage
    model: str = ""
    replayed: bool = False
    object: str = "chat.completion"

    @property
    def content(self) -> str:
        return self.choices[0].message.content if self.choices else ""


@dataclass
class Completion:
    """One answer from a backend (internal)."""

    content: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = "stop"
    cost: float | None = None


@dataclass
class LLMStats:
    """Totals for the whole session (replayed calls included; they take no time)."""

    calls: int = 0  # requests; with n > 1 samples from one prompt evaluated once: one call
    samples: int = 0  # completions received (more than calls when n > 1)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    cost: float | None = None  # None until a call reports a price
    replayed_calls: int = 0
    retries: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["total_tokens"] = self.total_tokens
        return d
