"""Configuration of the LLM layer."""

from __future__ import annotations

from dataclasses import dataclass

RECORD_MODES = ("none", "once", "new", "all")


@dataclass(frozen=True)
class LLMConfig:
    """Everything :func:`pytest_trace_opt.llm.build_llm` needs.

    Credentials are never part of the configuration: LiteLLM reads them from the
    provider's usual environment variables (``OPENAI_API_KEY``...).
    """

    model: str = "local"  # "local" or a LiteLLM model string ("openai/gpt-4o-mini", "openai/NAME")
    model_path: str | None = None  # GGUF file for "local"; default: the cached 1.5B file
    base_url: str | None = None
    temperature: float = 0.0
    max_tokens: int = 1024  # per call completion limit (a caller asking for more gets this)
    json_mode: bool = False  # True: ask for a JSON object (grammar-constrained locally)
    timeout: float = 180.0  # per call, seconds
    retries: int = 3  # retries for transient errors
    cassette: str | None = None  # record/replay file
    record_mode: str = "once"  # none | once | new | all
    max_calls: int | None = None  # session budgets
    max_total_tokens: int | None = None
    deadline: float | None = None  # time.monotonic() value after which no new call starts
    seed: int = 0
    n_ctx: int = 8192
    verbose: bool = False  # True: error messages may include the provider's traceback

    def __post_init__(self) -> None:
        if self.record_mode not in RECORD_MODES:
            raise ValueError(
                f"record_mode must be one of {', '.join(RECORD_MODES)}, not {self.record_mode!r}"
            )
        if self.max_tokens < 1:
            raise ValueError("max_tokens must be >= 1")
        if self.retries < 0:
            raise ValueError("retries must be >= 0")
        if self.timeout <= 0:
            raise ValueError("timeout must be > 0")
        if not self.model:
            raise ValueError("model must not be empty")
