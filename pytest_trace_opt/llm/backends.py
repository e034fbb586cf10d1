"""Backends: what every backend shares, and any provider through LiteLLM.

The in-process llama.cpp backend is in ``local_backend``. Heavy libraries (llama_cpp,
litellm) are imported only inside the constructors.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import re
import traceback
import warnings
from collections.abc import Mapping
from typing import Any, Protocol

from .calls import WallClockExceeded, quiet_call, within
from .errors import LLMError, LLMUnavailable
from .response import Completion

LOCAL_INSTALL_HINT = 'pip install "pytest-trace-opt[local]"'
_MAX_CAUSE = 240


class Transient(LLMError):
    """A failure worth retrying (internal: the client turns exhaustion into LLMUnavailable)."""

    def __init__(self, cause: str, retry_after: float | None = None, sticky: bool = False) -> None:
        super().__init__(cause)
        self.cause = cause
        self.retry_after = retry_after
        self.sticky = sticky  # once retries are spent, the provider is considered gone


def unavailable(provider: str, cause: str, *, sticky: bool) -> LLMUnavailable:
    e = LLMUnavailable(provider, cause)
    e.sticky = sticky  # type: ignore[attr-defined]
    return e


def _short(text: str, limit: int = _MAX_CAUSE) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Backend(Protocol):
    provider: str  # names the provider in error messages
    model_id: str  # the "model" field of cassette requests

    def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        temperature: float,
        max_tokens: int,
        json_mode: bool,
        timeout: float,
        seed: int,
    ) -> Completion: ...

    def close(self) -> None: ...


def _usage_int(usage: Any, name: str) -> int:
    if usage is None:
        return 0
    value = usage.get(name) if isinstance(usage, Mapping) else getattr(usage, name, None)
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


# --------------------------------------------------------------------------- LiteLLM

_litellm: Any = None


def import_litellm() -> Any:
    """Import LiteLLM quietly: local cost map, no debug prints, its loggers at WARNING."""
    global _litellm
    if _litellm is not None:
        return _litellm
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import litellm
    except ImportError as e:
        raise unavailable(
            "litellm",
            f"LiteLLM is not installed ({_short(str(e), 80)}); run: pip install litellm",
            sticky=True,
        ) from None
    litellm.suppress_debug_info = True
    litellm.set_verbose = False
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm", "httpx"):
        logging.getLogger(name).setLevel(logging.WARNING)
    _litellm = litellm
    return litellm


_REFUSED = re.compile(r"connection refused|connect call failed|errno 111", re.I)
_STATUS_IN_TEXT = re.compile(r"\b(?:error code|status(?: code)?)[:= ]+(\d{3})\b", re.I)


def _status_of(e: BaseException) -> int | None:
    for attr in ("status_code", "http_status"):
        v = getattr(e, attr, None)
        if isinstance(v, int):
            return v
        if isinstance(v, str) and v.isdigit():
            return int(v)
    return None


def _retry_after_of(e: BaseException) -> float | None:
    from .retry import parse_retry_after

    candidates: list[Any] = [
        getattr(e, "litellm_response_headers", None),
        getattr(e, "headers", None),
    ]
    resp = getattr(e, "response", None)
    if resp is not None:
        candidates.append(getattr(resp, "headers", None))
    for headers in candidates:
        if not headers:
            continue
        try:
            value = headers.get("retry-after") or headers.get("Retry-After")
        except AttributeError:
            continue
        if value is not None:
            return parse_retry_after(str(value))
    return None


def _chain(e: BaseException) -> list[BaseException]:
    """e, its __cause__/__context__, and so on (bounded, cycle-safe)."""
    seen: list[BaseException] = []
    cur: BaseException | None = e
    while cur is not None and len(seen) < 20 and all(cur is not s for s in seen):
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def _clean_message(e: BaseException) -> str:
    msg = str(getattr(e, "message", "") or e)
    # LiteLLM prefixes: "litellm.APIConnectionError: APIConnectionError: OpenAIException - ..."
    msg = re.sub(r"^(?:litellm\.\w+:\s*)?(?:\w+Error:\s*)?(?:\w+Exception\s*-\s*)?", "", msg)
    return _short(msg, 160) or type(e).__name__


_MISSING_KEY = re.compile(
    r"missing credentials|api_key client option must be set|no api key|api key is (missing|"
    r"not set)|set the `?[A-Z0-9_]+_(API_)?KEY`? environment variable",
    re.I,
)
_KEY_NAME = re.compile(r"\b[A-Z][A-Z0-9_]*_API_KEY\b")


def _missing_keys(litellm: Any, model: str) -> list[str]:
    try:  # the key variables LiteLLM says this model needs and the environment lacks
        found = litellm.validate_environment(model)
    except Exception:  # noqa: BLE001 - a best effort for the message only
        return []
    missing = found.get("missing_keys") if isinstance(found, dict) else None
    return [str(k) for k in missing or []]


def classify_litellm_error(
    e: BaseException, litellm: Any, provider: str, timeout: float, model: str = ""
) -> LLMError:
    """Map a LiteLLM exception to Transient (retry) or LLMUnavailable (stop now)."""
    status = _status_of(e)
    name = type(e).__name__
    text = str(e)
    chain = _chain(e)
    chain_names = {type(c).__name__ for c in chain}

    # A missing key (LiteLLM calls it HTTP 500, before any request): name it, never retry.
    if _MISSING_KEY.search(text):
        missing = _missing_keys(litellm, model) or sorted(set(_KEY_NAME.findall(text)))[:2]
        names = " or ".join(missing) or "the provider's API key variable"
        return unavailable(provider, f"no API key: set {names} in the environment", sticky=True)
    # Transport-level causes first: LiteLLM wraps them in varying classes (a refused
    # connection surfaces as InternalServerError "Connection error." with status 500).
    if any(isinstance(c, ConnectionRefusedError) for c in chain) or _REFUSED.search(text):
        return Transient("connection refused", sticky=True)
    if chain_names & {"ReadTimeout", "ConnectTimeout", "WriteTimeout", "PoolTimeout",
                      "TimeoutException", "APITimeoutError", "TimeoutError"}:  # fmt: skip
        return Transient(f"no answer within the {timeout:g} s timeout")
    if chain_names & {"RemoteProtocolError", "IncompleteRead", "ReadError"}:
        return Transient("reply cut off (connection closed mid-body)")
    if chain_names & {"JSONDecodeError"}:
        return Transient("malformed reply body (not JSON)")
    if chain_names & {"ConnectError", "gaierror"}:
        return Transient(f"cannot connect: {_short(str(chain[-1]), 120)}", sticky=True)

    def is_(cls_name: str) -> bool:
        cls = getattr(litellm, cls_name, None)
        return isinstance(cls, type) and isinstance(e, cls)

    if is_("Timeout"):
        return Transient(f"no answer within the {timeout:g} s timeout")
    if is_("RateLimitError") or status == 429:
        return Transient("rate limited (HTTP 429)", retry_after=_retry_after_of(e))
    if is_("AuthenticationError") or status == 401:
        return unavailable(
            provider,
            "authentication failed (HTTP 401): check the API key in the provider's "
            "environment variable (e.g. OPENAI_API_KEY)",
            sticky=True,
        )
    if is_("PermissionDeniedError") or status == 403:
        return unavailable(provider, "permission denied (HTTP 403) for this API key", sticky=True)
    if is_("NotFoundError") or status == 404:
        return unavailable(
            provider, f"unknown model or endpoint (HTTP 404): {_clean_message(e)}", sticky=True
        )
    if is_("ContextWindowExceededError"):
        return unavailable(provider, f"prompt too long: {_clean_message(e)}", sticky=False)
    if is_("APIConnectionError") and not is_("Timeout"):
        if _REFUSED.search(text):
            return Transient("connection refused", sticky=True)
        if status is None or status == 500:
            # LiteLLM raises APIConnectionError (status 500) for bodies it cannot parse too.
            return Transient(f"connection failed or unreadable reply: {_clean_message(e)}")
    if (
        is_("InternalServerError")
        or is_("ServiceUnavailableError")
        or is_("BadGatewayError")
        or (status is not None and status >= 500)
        or status == 408
    ):
        return Transient(f"server error (HTTP {status or 500}): {_clean_message(e)}")
    if is_("BadRequestError") or status == 400 or status == 422:
        return unavailable(
            provider, f"bad request (HTTP {status or 400}): {_clean_message(e)}", sticky=False
        )
    if is_("APIError") and status is not None and 400 <= status < 500:
        return unavailable(provider, f"HTTP {status}: {_clean_message(e)}", sticky=False)
    # Malformed or truncated bodies, protocol errors and other surprises: worth a retry.
    return Transient(f"unexpected reply ({name}): {_clean_message(e)}")


class LiteLLMBackend:
    """Any provider LiteLLM knows, e.g. ``openai/gpt-4o-mini`` or ``openai/NAME`` + base_url."""

    def __init__(self, model: str, base_url: str | None = None, verbose: bool = False) -> None:
        self._litellm = import_litellm()
        self.model = model
        self.base_url = base_url
        self.verbose = verbose
        self.model_id = model
        self.provider = f"{model} at {base_url}" if base_url else model
        self._client_keys: set[str] = set()  # LiteLLM's cached HTTP clients our calls made

    def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        temperature: float,
        max_tokens: int,
        json_mode: bool,
        timeout: float,
        seed: int,
    ) -> Completion:
        litellm = self._litellm
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": temperature,
            "max_tokens": max_tokens,
            "timeout": timeout,
            "num_retries": 0,
            "max_retries": 0,  # the OpenAI SDK underneath retries on its own otherwise
        }
        if self.base_url:
            kwargs["api_base"] = self.base_url
        if json_mode:
            kwargs["response_format"] = {"type": "json_object"}
        cached_before = _cached_client_keys(litellm)
        try:
            resp = within(timeout, lambda: quiet_call(litellm.completion, kwargs))
        except WallClockExceeded as e:
            raise Transient(str(e)) from None
        except Exception as e:  # noqa: BLE001 - classified below
            err = classify_litellm_error(e, litellm, self.provider, timeout, self.model)
            if self.verbose:
                err.provider_traceback = traceback.format_exc()  # type: ignore[attr-defined]
                raise err from e
            raise err from None
        finally:
            cached_after = _cached_client_keys(litellm)
            if cached_before is not None and cached_after is not None:
                self._client_keys |= cached_after - cached_before
        try:
            choice = resp.choices[0]
            content = choice.message.content
            finish = getattr(choice, "finish_reason", None)
        except (AttributeError, IndexError, TypeError):
            raise Transient("malformed reply: no choices[0].message") from None
        if content is None:
            raise Transient("malformed reply: empty message content")
        usage = getattr(resp, "usage", None)
        cost: float | None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cost = float(litellm.completion_cost(completion_response=resp))
        except Exception:  # noqa: BLE001 - unknown price: report None
            cost = None
        return Completion(
            content=str(content),
            prompt_tokens=_usage_int(usage, "prompt_tokens"),
            completion_tokens=_usage_int(usage, "completion_tokens"),
            finish_reason=finish,
            cost=cost,
        )

    def close(self) -> None:
        """Close the HTTP clients LiteLLM created and cached for this backend's calls.

        LiteLLM keeps them for the life of the process: their kept-alive connections stay
        open until exit, where they are collected with a ResourceWarning (printed as
        "Exception ignored" under ``-W error``). Clients that were cached before our first
        call are someone else's and are left alone; ours leave the cache, so a later call
        in this process builds a new one.
        """
        keys, self._client_keys = self._client_keys, set()
        cache = _client_cache(self._litellm)
        for key in keys:
            with contextlib.suppress(Exception):  # LiteLLM internals: best effort
                client = cache.cache_dict.get(key)
                cache.delete_cache(key)
                close = getattr(client, "close", None)
                if callable(close) and not inspect.iscoroutinefunction(close):
                    close()


def _client_cache(litellm: Any) -> Any:
    """LiteLLM's process-wide cache of the HTTP clients it builds (None if not found)."""
    return getattr(litellm, "in_memory_llm_clients_cache", None)


def _cached_client_keys(litellm: Any) -> frozenset[str] | None:
    """The keys of LiteLLM's cache of HTTP clients; None where they cannot be read (then
    nothing is tracked: a client we cannot tell apart is left to LiteLLM)."""
    cache_dict = getattr(_client_cache(litellm), "cache_dict", None)
    if not isinstance(cache_dict, dict):
        return None
    try:
        return frozenset(tuple(cache_dict))
    except RuntimeError:  # changed size while another thread wrote it
        return None
