"""Retries and error mapping through LiteLLM against a fault-injecting local HTTP server."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from llm_server import (
    FaultServer,
    closed_port,
    malformed,
    ok,
    slow,
    status,
    trickle,
    truncated,
)

from pytest_trace_opt.llm import LLMClient, LLMConfig, LLMUnavailable, build_llm

MSG = [{"role": "user", "content": "hi"}]
JSON = {"type": "json_object"}


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    srv = FaultServer().start()
    yield srv
    srv.stop()


_CLIENTS: list[LLMClient] = []  # closed after each test, as the plugin closes its own


@pytest.fixture(autouse=True)
def _fresh(server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-dummy")
    server.script.clear()
    server.requests.clear()
    yield
    while _CLIENTS:
        _CLIENTS.pop().close()


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(base_url: str, sleeps: Sleeps, **cfg: object) -> LLMClient:
    config = LLMConfig(
        model="openai/fake",
        base_url=base_url,
        timeout=cfg.pop("timeout", 2.0),  # type: ignore[arg-type]
        retries=cfg.pop("retries", 3),  # type: ignore[arg-type]
        **cfg,  # type: ignore[arg-type]
    )
    client = build_llm(config, sleep=sleeps)
    _CLIENTS.append(client)
    return client


def test_success_passes_request_through(server: FaultServer) -> None:
    sleeps = Sleeps()
    client = client_for(server.base_url, sleeps, json_mode=True)
    resp = client(messages=MSG, response_format=JSON, max_tokens=99, temperature=0.2)
    assert resp.choices[0].message.content == '{"answer": 42}'
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens) == (11, 7)
    body = server.requests[0]["json"]
    assert body["model"] == "fake" and body["max_tokens"] == 99
    assert body["response_format"] == JSON and body["temperature"] == 0.2
    assert client.stats.calls == 1 and client.stats.retries == 0
    assert client.describe() == f"openai/fake via LiteLLM at {server.base_url}"


def test_json_mode_off_sends_no_response_format(server: FaultServer) -> None:
    client = client_for(server.base_url, Sleeps(), json_mode=False)
    client(messages=MSG, response_format=JSON)
    assert "response_format" not in server.requests[0]["json"]


def test_connection_refused(server: FaultServer) -> None:
    sleeps = Sleeps()
    url = f"http://127.0.0.1:{closed_port()}/v1"
    client = client_for(url, sleeps)
    t = time.monotonic()
    with pytest.raises(LLMUnavailable) as ei:
        client(messages=MSG, response_format=JSON)
    assert str(ei.value) == f"openai/fake at {url}: connection refused after 3 retries"
    assert len(sleeps) == 3 and all(0 <= s <= 8 for s in sleeps)
    assert sleeps[0] <= 0.5 and sleeps[1] <= 1.0 and sleeps[2] <= 2.0  # full jitter bounds
    # OptoPrime retries once without response_format: no second round of retries
    with pytest.raises(LLMUnavailable, match="connection refused"):
        client(messages=MSG)
    assert len(sleeps) == 3
    assert time.monotonic() - t < 10


def test_slow_reply_times_out_then_succeeds(server: FaultServer) -> None:
    sleeps = Sleeps()
    server.push(slow(1.5), ok("late but fine"))
    client = client_for(server.base_url, sleeps, timeout=0.5)
    resp = client(messages=MSG)
    assert resp.choices[0].message.content == "late but fine"
    assert server.posts == 2 and client.stats.retries == 1


def test_slow_reply_exhausts_retries(server: FaultServer) -> None:
    server.push(slow(1.0), slow(1.0))
    client = client_for(server.base_url, Sleeps(), timeout=0.3, retries=1)
    with pytest.raises(LLMUnavailable) as ei:
        client(messages=MSG)
    assert "no answer within the 0.3 s timeout after 1 retries" in str(ei.value)


def test_429_honours_retry_after(server: FaultServer) -> None:
    sleeps = Sleeps()
    server.push(status(429, {"Retry-After": "7"}), ok("after the wait"))
    client = client_for(server.base_url, sleeps)
    assert client(messages=MSG).choices[0].message.content == "after the wait"
    assert sleeps == [7.0]
    assert server.posts == 2


def test_429_without_retry_after_uses_backoff(server: FaultServer) -> None:
    sleeps = Sleeps()
    server.push(status(429), ok())
    client = client_for(server.base_url, sleeps)
    client(messages=MSG)
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.5


@pytest.mark.parametrize("code", [500, 502, 503])
def test_5xx_then_success(server: FaultServer, code: int) -> None:
    sleeps = Sleeps()
    server.push(status(code), ok("recovered"))
    client = client_for(server.base_url, sleeps)
    assert client(messages=MSG).choices[0].message.content == "recovered"
    assert client.stats.retries == 1 and len(sleeps) == 1


def test_500_exhausted(server: FaultServer) -> None:
    server.push(*[status(500)] * 3)
    client = client_for(server.base_url, Sleeps(), retries=2)
    with pytest.raises(LLMUnavailable) as ei:
        client(messages=MSG)
    assert "server error (HTTP 500)" in str(ei.value) and "after 2 retries" in str(ei.value)
    assert server.posts == 3


def test_malformed_body_then_success(server: FaultServer) -> None:
    server.push(malformed(), ok("good json"))
    client = client_for(server.base_url, Sleeps())
    assert client(messages=MSG).choices[0].message.content == "good json"
    assert server.posts == 2


def test_truncated_body_then_success(server: FaultServer) -> None:
    server.push(truncated(), ok("whole"))
    client = client_for(server.base_url, Sleeps())
    assert client(messages=MSG).choices[0].message.content == "whole"
    assert server.posts == 2


def test_401_is_permanent_and_quick(server: FaultServer) -> None:
    sleeps = Sleeps()
    server.push(status(401, message="Incorrect API key provided: sk-dummy"))
    client = client_for(server.base_url, sleeps)
    t = time.monotonic()
    with pytest.raises(LLMUnavailable) as ei:
        client(messages=MSG, response_format=JSON)
    assert time.monotonic() - t < 2
    msg = str(ei.value)
    assert msg.startswith(f"openai/fake at {server.base_url}: authentication failed (HTTP 401)")
    assert "\n" not in msg and "Traceback" not in msg and "sk-dummy" not in msg
    assert ei.value.__cause__ is None and ei.value.__suppress_context__  # no provider traceback
    assert sleeps == [] and server.posts == 1
    with pytest.raises(LLMUnavailable):  # sticky: no second request
        client(messages=MSG)
    assert server.posts == 1


def test_verbose_keeps_provider_traceback(server: FaultServer) -> None:
    server.push(status(401))
    client = client_for(server.base_url, Sleeps(), verbose=True)
    with pytest.raises(LLMUnavailable) as ei:
        client(messages=MSG)
    assert ei.value.__cause__ is not None
    assert "\n" not in str(ei.value)


@pytest.mark.parametrize(("code", "words"), [(404, "unknown model"), (400, "bad request")])
def test_other_permanent_errors(server: FaultServer, code: int, words: str) -> None:
    sleeps = Sleeps()
    server.push(status(code))
    client = client_for(server.base_url, sleeps)
    with pytest.raises(LLMUnavailable, match=words):
        client(messages=MSG)
    assert sleeps == [] and server.posts == 1


def test_a_trickled_reply_is_cut_at_the_timeout(server: FaultServer) -> None:
    """Each byte arrives well within the read timeout; the whole call still ends on time."""
    server.push(trickle(0.05))
    client = client_for(server.base_url, Sleeps(), timeout=0.5, retries=0)
    started = time.monotonic()
    with pytest.raises(LLMUnavailable) as ei:
        client(messages=MSG)
    assert "0.5 s" in str(ei.value)
    # the reply takes about 10 s to trickle in (about 200 bytes); the call gave up long before
    assert time.monotonic() - started < 8


def test_a_missing_api_key_is_named_and_never_retried(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    sleeps = Sleeps()
    client = client_for(server.base_url, sleeps, retries=3)
    with pytest.raises(LLMUnavailable) as ei:
        client(messages=MSG)
    assert "no API key: set OPENAI_API_KEY" in str(ei.value)
    assert "HTTP 500" not in str(ei.value) and "retries" not in str(ei.value)
    assert sleeps == []  # not retried
    assert server.posts == 0


def test_closing_the_client_closes_the_connection_litellm_kept_alive() -> None:
    own = FaultServer().start()  # its own address: a client LiteLLM caches for it alone
    try:
        client = client_for(own.base_url, Sleeps())
        client(messages=MSG)  # HTTP/1.1: LiteLLM's client keeps the connection for its next call
        client.close()
        deadline = time.monotonic() + 10
        while own.open_connections and time.monotonic() < deadline:
            time.sleep(0.05)
        assert own.open_connections == 0
        # a client for the same address, built after, opens a connection of its own and works
        again = client_for(own.base_url, Sleeps())
        assert again(messages=MSG).choices[0].message.content == '{"answer": 42}'
    finally:
        own.stop()
