"""The in-process llama.cpp backend (llama_cpp is imported on first use only)."""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .backends import LOCAL_INSTALL_HINT, _short, _usage_int, unavailable
from .response import Completion

_LLAMA_CACHE: dict[tuple[str, int], Any] = {}
_LLAMA_CACHE_LOCK = threading.Lock()
_LLAMA_CALL_LOCK = threading.Lock()  # one Llama object is not thread-safe


def _import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as e:
        raise unavailable(
            "local",
            f"llama-cpp-python is not installed ({_short(str(e), 80)}); run: {LOCAL_INSTALL_HINT}",
            sticky=True,
        ) from None
    except OSError as e:  # the package is there but its shared library does not load
        raise unavailable(
            "local",
            f"llama-cpp-python cannot load its native library ({_short(str(e), 120)}); "
            f"reinstall it: {LOCAL_INSTALL_HINT}",
            sticky=True,
        ) from None
    # on import, not on model load: a process may import llama_cpp and never load a model
    _quiet_llama_devnull_files()
    return llama_cpp


def load_llama(model_path: str, n_ctx: int, seed: int) -> Any:
    """The process-wide llama.cpp model for this file (loaded once, then reused)."""
    key = (os.path.realpath(model_path), int(n_ctx))
    with _LLAMA_CACHE_LOCK:
        llm = _LLAMA_CACHE.get(key)
        if llm is not None:
            return llm
        llama_cpp = _import_llama_cpp()
        try:
            from ..local import plain_cpu_buffers

            with plain_cpu_buffers(llama_cpp):
                llm = llama_cpp.Llama(
                    model_path=key[0],
                    n_ctx=n_ctx,
                    n_threads=os.cpu_count() or 2,
                    verbose=False,
                    seed=seed,
                )
        except Exception as e:  # corrupt or unsupported GGUF, out of memory...
            raise unavailable(
                "local", f"cannot load model {model_path}: {_short(str(e), 160)}", sticky=True
            ) from None
        if not _LLAMA_CACHE:
            # Free the models before interpreter teardown: left to their finalizers, they
            # run after llama_cpp's module globals are gone and print a traceback.
            atexit.register(free_cached_models)
        _LLAMA_CACHE[key] = llm
        return llm


def free_cached_models() -> None:
    with _LLAMA_CACHE_LOCK:
        models = list(_LLAMA_CACHE.values())
        _LLAMA_CACHE.clear()
    for llm in models:
        close = getattr(llm, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):  # best effort at exit
                close()


@functools.cache
def _quiet_llama_devnull_files() -> None:
    """Swap llama_cpp's two /dev/null files for ones that cannot warn at exit.

    llama_cpp opens them at import for its destructors and never closes them. Collected at
    interpreter teardown they raise ResourceWarning, and which warnings filters apply
    then is not ours to decide (the C side may still hold a list from inside pytest's
    ``filterwarnings = error``): a run ended with two "Exception ignored" lines. The
    replacements do not own their descriptor (``closefd=False``), so they never warn;
    the descriptors close with the process.
    """
    try:
        from llama_cpp import _utils
    except ImportError:  # another layout: nothing to swap
        return
    for name in ("outnull_file", "errnull_file"):
        previous = getattr(_utils, name, None)
        if previous is None:
            continue
        # open for the rest of the process, as llama_cpp's own were
        devnull = open(os.open(os.devnull, os.O_WRONLY), "w", closefd=False)  # noqa: SIM115
        setattr(_utils, name, devnull)
        previous.close()


class _GenerationDeadline:
    """A llama.cpp logits processor that ends the reply once ``seconds`` have passed.

    llama.cpp has no time limit of its own; past the deadline only the end-of-sequence
    token is left possible, so the reply stops there, like one cut by the token limit.
    It runs once per generated token, so it also tells ``on_token`` (the live progress).
    """

    def __init__(
        self,
        seconds: float,
        eos_token: int,
        clock: Any = time.monotonic,
        on_token: Callable[[], None] | None = None,
    ) -> None:
        self.clock = clock
        self.deadline = clock() + seconds
        self.eos_token = eos_token
        self.fired = False
        self.on_token = on_token

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self.on_token is not None:
            self.on_token()
        if self.clock() < self.deadline:
            return scores
        self.fired = True
        eos = float(scores[self.eos_token])
        scores[:] = -float("inf")
        scores[self.eos_token] = max(eos, 0.0)
        return scores


def _eos_token(llm: Any) -> int | None:
    try:
        return int(llm.token_eos())
    except Exception:  # noqa: BLE001 - a model without an EOS token gets no time cap
        return None


# An infill request: the code before and after a hole, as two messages of these roles.
FIM_PREFIX, FIM_SUFFIX = "fim_prefix", "fim_suffix"
_FIM_TOKENS = ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>")  # Qwen2.5-Coder's
_FIM_STOPS = ["<|endoftext|>", "<|fim_pad|>", "<|file_sep|>", "<|im_end|>", "\n\n"]


def infill_parts(messages: list[dict[str, Any]]) -> tuple[str, str] | None:
    """(prefix, suffix) when ``messages`` ask to fill a hole in code, else None."""
    roles = [m.get("role") for m in messages]
    if roles != [FIM_PREFIX, FIM_SUFFIX]:
        return None
    return str(messages[0].get("content") or ""), str(messages[1].get("content") or "")


def has_fim_tokens(llm: Any) -> bool:
    """Whether the model knows the fill-in-the-middle tokens (each one token of its own)."""
    try:
        return all(len(llm.tokenize(t.encode(), add_bos=False, special=True)) == 1
                   for t in _FIM_TOKENS)  # fmt: skip
    except Exception:  # noqa: BLE001 - a tokenizer that cannot say: no infill
        return False


class LocalBackend:
    """Qwen2.5-Coder (or any chat GGUF) through llama.cpp, inside this process."""

    provider = "local"
    counts_tokens = True  # tokens are counted while they are generated

    def __init__(self, model_path: str, n_ctx: int = 8192, seed: int = 0) -> None:
        if not Path(model_path).is_file():
            from ..local import FETCH_HINT

            raise unavailable(
                "local", f"model file not found at {model_path}; run: {FETCH_HINT}", sticky=True
            )
        _import_llama_cpp()  # fail early, with the fix, if the runtime is missing
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.seed = seed
        self.model_id = "local/" + Path(model_path).name
        self._llm: Any = None
        self.on_token: Callable[[], None] | None = None  # set by the client per call

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
        if self._llm is None:
            self._llm = load_llama(self.model_path, self.n_ctx, self.seed)
        kwargs: dict[str, Any] = {
            "temperature": temperature,
            "max_tokens": max_tokens,
            "seed": seed,
        }
        hole = infill_parts(messages)
        if hole is not None:  # raw completion of the code between prefix and suffix
            if not has_fim_tokens(self._llm):
                raise unavailable(
                    "local", f"{Path(self.model_path).name} cannot fill in code", sticky=False
                )
            kwargs["prompt"] = f"{_FIM_TOKENS[0]}{hole[0]}{_FIM_TOKENS[1]}{hole[1]}{_FIM_TOKENS[2]}"
            kwargs["stop"] = _FIM_STOPS
        else:
            kwargs["messages"] = messages
        if json_mode and hole is None:
            kwargs["response_format"] = {"type": "json_object"}
        deadline: _GenerationDeadline | None = None
        eos = _eos_token(self._llm)
        if eos is not None:
            import llama_cpp

            deadline = _GenerationDeadline(timeout, eos, on_token=self.on_token)
            kwargs["logits_processor"] = llama_cpp.LogitsProcessorList([deadline])
        try:
            with _LLAMA_CALL_LOCK:
                if deadline is not None:  # the wait for the lock does not count
                    deadline.deadline = deadline.clock() + timeout
                if hole is not None:
                    resp = self._llm.create_completion(**kwargs)
                else:
                    resp = self._llm.create_chat_completion(**kwargs)
        except ValueError as e:  # e.g. "Requested tokens (9000) exceed context window of 8192"
            raise unavailable("local", _short(str(e)), sticky=False) from None
        except Exception as e:  # noqa: BLE001 - llama.cpp failures have no common base
            raise unavailable(
                "local", f"llama.cpp failed: {type(e).__name__}: {_short(str(e))}", sticky=False
            ) from e
        choice = resp["choices"][0]
        if hole is not None:
            content = choice.get("text") or ""
        else:
            content = (choice.get("message") or {}).get("content") or ""
        usage = resp.get("usage")
        return Completion(
            content=content,
            prompt_tokens=_usage_int(usage, "prompt_tokens"),
            completion_tokens=_usage_int(usage, "completion_tokens"),
            finish_reason="length" if deadline and deadline.fired else choice.get("finish_reason"),
            cost=None,
        )

    def close(self) -> None:
        self._llm = None  # the model stays in the process-wide cache for reuse
