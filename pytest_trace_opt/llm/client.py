"""LLMClient: budgets, record/replay, retries and statistics around one backend."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..secrets import mask
from .backends import Backend, LiteLLMBackend, Transient, unavailable
from .budget import Budget
from .cassette import Cassette, make_request
from .config import LLMConfig
from .errors import BudgetExhausted, CallTimeSpent, CassetteMiss, LLMError, LLMUnavailable
from .local_backend import LocalBackend
from .progress import CallProgress
from .response import ChatCompletion, Choice, Completion, LLMStats, Message, Usage
from .retry import Sleep, backoff_delay

BackendFactory = Callable[[], Backend]


def _wants_json(response_format: Any) -> bool:
    if response_format is None:
        return False
    kind = (
        response_format.get("type")
        if isinstance(response_format, dict)
        else getattr(response_format, "type", None)
    )
    return kind in ("json_object", "json_schema")


# A later sample of a call is not started with less of the call's time left than this.
MIN_SAMPLE_SECONDS = 1.0


class LLMClient:
    """The object handed to trace-opt optimizers as ``llm``.

    ``client(messages=..., response_format=..., max_tokens=...)`` returns an OpenAI-shaped
    object (``.choices[0].message.content``, ``.usage.prompt_tokens``...). ``create`` is the
    same call (OptoPrimeMulti and TextGrad use it).
    """

    def __init__(
        self,
        config: LLMConfig,
        backend_factory: BackendFactory,
        *,
        model_id: str,
        provider: str,
        description: str,
        cassette: Cassette | None = None,
        sleep: Sleep = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        budget: Budget | None = None,
    ) -> None:
        self.config = config
        self.budget = budget or Budget(
            config.max_calls, config.max_total_tokens, config.deadline, clock=clock
        )
        self.stats = LLMStats()
        self.progress = CallProgress()
        self.cassette = cassette
        self.model_id = model_id
        self.provider = provider
        self._description = description
        self._factory = backend_factory
        self._backend: Backend | None = None
        self._dead: LLMUnavailable | None = None
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._lock = threading.RLock()
        self._inflight = 0
        self._closed = False
        self._call_started = clock()  # when the current call's first sample started

    # ------------------------------------------------------------------ public API

    def __call__(
        self,
        messages: list[dict[str, Any]],
        response_format: dict[str, Any] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        **kwargs: Any,
    ) -> ChatCompletion:
        """One chat completion; ``n=k`` asks for k samples of the same prompt.

        In process (llama.cpp) the k samples are one call: the prompt is evaluated once and
        each sample costs only its completion tokens (and its own seed, so that they
        differ). Through LiteLLM each sample is a request of its own, counted as a call.
        ``first_sample=i`` numbers the samples from i: a later draw of a prompt already
        asked (in process, part of the call already counted)."""
        n = int(kwargs.get("n") or 1)
        first = max(0, int(kwargs.get("first_sample") or 0))
        want_json = self.config.json_mode and _wants_json(response_format)
        limit = self.config.max_tokens
        max_tok = limit if max_tokens is None else max(1, min(int(max_tokens), limit))
        temp = self.config.temperature if temperature is None else float(temperature)
        choices: list[Choice] = []
        usage = Usage()
        replayed = True
        for i in range(first, first + max(1, n)):
            try:
                comp, was_replayed = self._one(list(messages), want_json, max_tok, temp, sample=i)
            except CallTimeSpent:
                if not choices:
                    raise
                break  # the call's time is spent: the samples drawn so far answer it
            replayed = replayed and was_replayed
            choices.append(
                Choice(
                    message=Message(content=comp.content), index=i, finish_reason=comp.finish_reason
                )
            )
            if i == 0 or not self.shares_prompt:
                usage.prompt_tokens += comp.prompt_tokens
            usage.completion_tokens += comp.completion_tokens
        return ChatCompletion(choices=choices, usage=usage, model=self.model_id, replayed=replayed)

    create = __call__

    def describe(self) -> str:
        text = self._description
        if self.cassette is not None:
            how = (
                "replay only" if self.cassette.replay_only else f"record mode {self.cassette.mode}"
            )
            text += f" [cassette {self.cassette.path.name}: {how}]"
        return text

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            if self.cassette is not None:
                self.cassette.save()
        finally:
            if self._backend is not None:
                self._backend.close()
                self._backend = None

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<LLMClient {self.describe()}>"

    # ------------------------------------------------------------------ internals

    def _get_backend(self) -> Backend:
        if self._dead is not None:
            raise LLMUnavailable(self._dead.provider, self._dead.cause)
        if self._backend is None:
            try:
                self._backend = self._factory()
            except LLMUnavailable as e:
                self._dead = e
                raise
            if hasattr(self._backend, "on_token"):  # counts tokens as it generates them
                self._backend.on_token = self.progress.token
        return self._backend

    @property
    def can_infill(self) -> bool:
        """Whether a request of ``fim_prefix``/``fim_suffix`` messages may be asked: the
        in-process model fills a hole in code (a model without the tokens for it says so
        with :class:`LLMUnavailable` on the first such request)."""
        return self.provider == "local"

    @property
    def shares_prompt(self) -> bool:
        """Samples of one prompt reuse its evaluation (the in-process model's cache)."""
        return self.provider == "local"

    def _one(
        self,
        messages: list[dict[str, Any]],
        want_json: bool,
        max_tok: int,
        temp: float,
        sample: int = 0,
    ) -> tuple[Completion, bool]:
        if self._closed:
            raise LLMError("LLMClient is closed")
        # No credential leaves in a prompt, the cassette or a reply shown later.
        messages = [
            {**m, "content": mask(m["content"])} if isinstance(m.get("content"), str) else m
            for m in messages
        ]
        request = make_request(self.model_id, messages, temp, max_tok, want_json, sample)
        # A later sample of a shared prompt is part of the call already counted.
        new_call = sample == 0 or not self.shares_prompt
        if new_call:
            self._call_started = self._clock()
        elif self._call_timeout(sample) < MIN_SAMPLE_SECONDS:
            raise CallTimeSpent(f"the call's {self.config.timeout:g} s are spent")
        with self._lock:
            # A later sample is no new call, but the deadline and the token budget still hold.
            self.budget.check(self.stats, self._inflight, calls=new_call)
            if self.cassette is not None:
                hit = self.cassette.lookup(request)
                if hit is not None:
                    usage = hit.get("usage") or {}
                    comp = Completion(
                        content=str(hit.get("content", "")),
                        prompt_tokens=int(usage.get("prompt_tokens", 0)),
                        completion_tokens=int(usage.get("completion_tokens", 0)),
                    )
                    self._count(comp, new_call)
                    self.stats.replayed_calls += int(new_call)
                    return comp, True
                if self.cassette.replay_only:
                    from .cassette import request_key

                    raise CassetteMiss(
                        str(self.cassette.path),
                        request_key(request),
                        f"record mode {self.cassette.mode} replays only; use 'new' to record",
                    )
            self._inflight += 1
        started = time.monotonic()
        try:
            comp = self._call_with_retries(messages, want_json, max_tok, temp, sample)
        finally:
            with self._lock:
                self._inflight -= 1
                self.stats.seconds += time.monotonic() - started
        with self._lock:
            self._count(comp, new_call)
            if comp.cost is not None:
                self.stats.cost = (self.stats.cost or 0.0) + comp.cost
        if self.cassette is not None:
            self.cassette.record(request, comp.content, comp.prompt_tokens, comp.completion_tokens)
        return comp, False

    def _call_timeout(self, sample: int = 0) -> float:
        """``--trace-llm-timeout``, cut to what is left of ``--trace-timeout``: a call that
        starts before the deadline ends by it. Samples of one shared prompt are one call:
        a later one gets what is left of the call's time."""
        timeout = self.config.timeout
        if sample and self.shares_prompt:
            timeout -= self._clock() - self._call_started
        deadline = self.budget.deadline
        if deadline is not None:
            timeout = max(0.1, min(timeout, deadline - self.budget.clock()))
        return timeout

    def _count(self, comp: Completion, new_call: bool) -> None:
        self.stats.samples += 1
        self.stats.completion_tokens += comp.completion_tokens
        if new_call:
            self.stats.calls += 1
            self.stats.prompt_tokens += comp.prompt_tokens

    def _call_with_retries(
        self,
        messages: list[dict[str, Any]],
        want_json: bool,
        max_tok: int,
        temp: float,
        sample: int = 0,
    ) -> Completion:
        backend = self._get_backend()
        self.progress.begin(counts_tokens=bool(getattr(backend, "counts_tokens", False)))
        try:
            return self._retrying(backend, messages, want_json, max_tok, temp, sample)
        finally:
            self.progress.end()

    def _retrying(
        self,
        backend: Backend,
        messages: list[dict[str, Any]],
        want_json: bool,
        max_tok: int,
        temp: float,
        sample: int,
    ) -> Completion:
        cfg = self.config
        attempt = 0
        while True:
            try:
                return backend.complete(
                    messages,
                    temperature=temp,
                    max_tokens=max_tok,
                    json_mode=want_json,
                    timeout=self._call_timeout(sample),
                    seed=cfg.seed + sample,
                )
            except Transient as t:
                if attempt >= cfg.retries:
                    tries = f"after {cfg.retries} retries" if cfg.retries else "(retries disabled)"
                    cause = mask(f"{t.cause} {tries}")
                    err = unavailable(backend.provider, cause, sticky=t.sticky)
                    if t.sticky:
                        self._dead = err
                    if cfg.verbose:
                        raise err from t
                    raise err from None
                delay = backoff_delay(attempt, rng=self._rng)
                if t.retry_after is not None:
                    delay = t.retry_after
                if self.budget.retry_would_pass_deadline(delay):
                    raise BudgetExhausted(
                        "timeout", f"retrying after '{t.cause}' would pass the deadline"
                    ) from None
                with self._lock:
                    self.stats.retries += 1
                self._sleep(delay)
                attempt += 1
            except LLMUnavailable as e:
                if getattr(e, "sticky", False):
                    self._dead = e
                raise


def build_llm(
    config: LLMConfig,
    *,
    sleep: Sleep = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: Callable[[], float] = random.random,
    budget: Budget | None = None,
) -> LLMClient:
    """Build the client for ``config``.

    Raises :class:`LLMUnavailable` at once when the backend cannot work (no model file,
    no llama-cpp-python...) unless a replay-only cassette makes the backend unnecessary;
    the model itself is loaded on the first call that needs it.
    """
    cassette = Cassette(config.cassette, config.record_mode) if config.cassette else None
    factory: BackendFactory
    if config.model == "local":
        from ..local import default_model_path, display_name

        path = (
            str(Path(config.model_path).expanduser())
            if config.model_path
            else str(default_model_path())
        )
        model_id = "local/" + Path(path).name
        provider = "local"
        description = f"local {display_name(path)} (llama.cpp in-process)"

        def factory() -> Backend:
            return LocalBackend(path, n_ctx=config.n_ctx, seed=config.seed)

    else:
        model_id = config.model
        provider = f"{config.model} at {config.base_url}" if config.base_url else config.model
        description = f"{config.model} via LiteLLM" + (
            f" at {config.base_url}" if config.base_url else ""
        )

        def factory() -> Backend:
            return LiteLLMBackend(config.model, config.base_url, verbose=config.verbose)

    client = LLMClient(
        config,
        factory,
        model_id=model_id,
        provider=provider,
        description=description,
        cassette=cassette,
        sleep=sleep,
        clock=clock,
        rng=rng,
        budget=budget,
    )
    if cassette is None or not cassette.replay_only:
        client._get_backend()  # fail fast with a clear LLMUnavailable
    return client
