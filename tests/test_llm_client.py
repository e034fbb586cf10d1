"""LLMClient without a real model: budgets, cassettes, masking, scrubbing, API shape."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_trace_opt.llm import (
    BudgetExhausted,
    CassetteMiss,
    LLMClient,
    LLMConfig,
    LLMError,
    LLMStats,
    LLMUnavailable,
    build_llm,
)
from pytest_trace_opt.llm.backends import Transient, unavailable
from pytest_trace_opt.llm.cassette import make_request, mask_addresses, request_key
from pytest_trace_opt.llm.errors import CallTimeSpent
from pytest_trace_opt.llm.response import Completion
from pytest_trace_opt.llm.retry import backoff_delay, parse_retry_after

MSG = [{"role": "system", "content": "sys"}, {"role": "user", "content": "fix it"}]


class FakeBackend:
    provider = "fake"
    model_id = "fake-model"

    def __init__(self, answers: list[Any] | None = None) -> None:
        self.answers = list(answers or [])
        self.calls: list[dict[str, Any]] = []

    def complete(self, messages: list[dict[str, Any]], **kw: Any) -> Completion:
        self.calls.append({"messages": messages, **kw})
        if self.answers:
            a = self.answers.pop(0)
            if isinstance(a, BaseException):
                raise a
            return Completion(a, prompt_tokens=10, completion_tokens=5)
        return Completion(f"answer {len(self.calls)}", prompt_tokens=10, completion_tokens=5)

    def close(self) -> None:
        pass


def make_client(
    backend: FakeBackend | None = None, clock: Any = None, **cfg: Any
) -> tuple[LLMClient, FakeBackend]:
    backend = backend or FakeBackend()
    config = LLMConfig(model="fake-model", **cfg)
    from pytest_trace_opt.llm.cassette import Cassette

    cassette = Cassette(config.cassette, config.record_mode) if config.cassette else None
    kwargs: dict[str, Any] = {}
    if clock is not None:
        kwargs["clock"] = clock
    client = LLMClient(
        config,
        lambda: backend,
        model_id="fake-model",
        provider="fake",
        description="fake backend",
        cassette=cassette,
        sleep=lambda s: None,
        **kwargs,
    )
    return client, backend


# ------------------------------------------------------------------ API shape


def test_response_is_openai_shaped_and_stats_count() -> None:
    client, backend = make_client(json_mode=True)
    resp = client(messages=MSG, response_format={"type": "json_object"}, max_tokens=4096)
    assert resp.choices[0].message.content == "answer 1"
    assert resp["choices"][0]["message"]["content"] == "answer 1"
    assert resp.usage.prompt_tokens == 10 and resp.usage.completion_tokens == 5
    assert resp.usage.total_tokens == 15
    # the config's max_tokens is a per-call limit; json mode is passed when asked for
    assert backend.calls[0]["max_tokens"] == 1024
    assert backend.calls[0]["json_mode"] is True
    assert backend.calls[0]["temperature"] == 0.0
    resp2 = client.create(messages=MSG, max_tokens=50, temperature=0.7)
    assert resp2.choices[0].message.content == "answer 2"
    assert backend.calls[1]["max_tokens"] == 50 and backend.calls[1]["json_mode"] is False
    assert backend.calls[1]["temperature"] == 0.7
    st = client.stats
    assert isinstance(st, LLMStats)
    assert (st.calls, st.prompt_tokens, st.completion_tokens, st.replayed_calls) == (2, 20, 10, 0)
    assert st.cost is None
    assert client.describe() == "fake backend"
    client.close()
    client.close()  # idempotent


def test_json_mode_false_never_sends_response_format() -> None:
    client, backend = make_client(json_mode=False)
    client(messages=MSG, response_format={"type": "json_object"})
    assert backend.calls[0]["json_mode"] is False


def test_n_makes_several_counted_calls() -> None:
    client, backend = make_client()
    resp = client.create(messages=MSG, n=3, response_format={"type": "json_object"})
    assert [c.message.content for c in resp.choices] == ["answer 1", "answer 2", "answer 3"]
    assert client.stats.calls == 3 and resp.usage.prompt_tokens == 30


def test_a_later_draw_of_a_shared_prompt_is_no_new_call_but_stays_in_budget() -> None:
    client, backend = make_client(max_calls=1, max_total_tokens=25)
    client.provider = "local"  # in process: samples of one prompt share its evaluation
    client(messages=MSG)
    later = client(messages=MSG, first_sample=1, temperature=0.8)
    assert later.usage.prompt_tokens == 0 and later.usage.completion_tokens == 5
    assert backend.calls[1]["seed"] == backend.calls[0]["seed"] + 1  # a sample of its own
    assert (client.stats.calls, client.stats.samples, client.stats.prompt_tokens) == (1, 2, 10)
    client(messages=MSG, first_sample=2)  # 20 of 25 tokens used: still allowed
    with pytest.raises(BudgetExhausted):  # the token budget holds for later samples too
        client(messages=MSG, first_sample=3)
    with pytest.raises(BudgetExhausted):  # and a new call is one past --trace-max-llm-calls
        client(messages=MSG)


def test_later_draws_share_the_call_time() -> None:
    now = [0.0]
    client, backend = make_client(clock=lambda: now[0], timeout=30.0)
    client.provider = "local"
    client(messages=MSG)
    now[0] = 20.0
    client(messages=MSG, first_sample=1)
    assert backend.calls[1]["timeout"] == pytest.approx(10.0)  # what is left of the call's 30 s
    now[0] = 29.5
    with pytest.raises(CallTimeSpent):
        client(messages=MSG, first_sample=2)
    resp = client(messages=MSG, n=3)  # a new call has 30 s of its own
    assert len(resp.choices) == 3


def test_a_later_draw_through_a_server_is_a_call() -> None:
    client, _ = make_client(max_calls=1)
    client(messages=MSG)
    with pytest.raises(BudgetExhausted):
        client(messages=MSG, first_sample=1)


def test_errors_hierarchy() -> None:
    for cls in (LLMUnavailable, BudgetExhausted, CassetteMiss):
        assert issubclass(cls, LLMError)
    e = LLMUnavailable("openai/x at http://h/v1", "connection refused\nafter 3 retries")
    assert str(e) == "openai/x at http://h/v1: connection refused after 3 retries"
    assert "\n" not in str(e)
    with pytest.raises(ValueError):
        BudgetExhausted("bogus")


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="record_mode"):
        LLMConfig(record_mode="sometimes")


# ------------------------------------------------------------------ budgets


def test_call_budget() -> None:
    client, backend = make_client(max_calls=2)
    client(messages=MSG)
    client(messages=MSG)
    with pytest.raises(BudgetExhausted) as ei:
        client(messages=MSG)
    assert ei.value.which == "llm-calls"
    assert len(backend.calls) == 2  # raised before the call


def test_token_budget() -> None:
    client, backend = make_client(max_total_tokens=30)
    client(messages=MSG)  # 15
    client(messages=MSG)  # 30
    with pytest.raises(BudgetExhausted) as ei:
        client(messages=MSG)
    assert ei.value.which == "tokens"
    assert len(backend.calls) == 2


def test_deadline_budget() -> None:
    now = [100.0]
    client, backend = make_client(clock=lambda: now[0], deadline=105.0)
    client(messages=MSG)
    now[0] = 105.0
    with pytest.raises(BudgetExhausted) as ei:
        client(messages=MSG)
    assert ei.value.which == "timeout"
    assert len(backend.calls) == 1


def test_deadline_stops_retries() -> None:
    now = [0.0]

    def sleep(s: float) -> None:
        now[0] += s

    backend = FakeBackend([Transient("server error", retry_after=30.0), "late"])
    config = LLMConfig(model="fake-model", deadline=10.0)
    client = LLMClient(
        config,
        lambda: backend,
        model_id="m",
        provider="fake",
        description="d",
        sleep=sleep,
        clock=lambda: now[0],
    )
    with pytest.raises(BudgetExhausted) as ei:
        client(messages=MSG)
    assert ei.value.which == "timeout"
    assert len(backend.calls) == 1


def test_budget_applies_to_replayed_calls(tmp_path: Path) -> None:
    cas = tmp_path / "c.json"
    c1, _ = make_client(cassette=str(cas), record_mode="once")
    c1(messages=MSG)
    c1(messages=MSG)
    c1.close()
    c2, b2 = make_client(cassette=str(cas), record_mode="none", max_calls=1)
    c2(messages=MSG)
    with pytest.raises(BudgetExhausted):
        c2(messages=MSG)
    assert b2.calls == []


# ------------------------------------------------------------------ retries (no network)


def test_transient_then_success_counts_retries() -> None:
    backend = FakeBackend([Transient("server error (HTTP 500)"), "fine"])
    client, _ = make_client(backend)
    assert client(messages=MSG).choices[0].message.content == "fine"
    assert client.stats.retries == 1 and client.stats.calls == 1


def test_retries_exhausted_gives_one_line_unavailable() -> None:
    backend = FakeBackend([Transient("server error (HTTP 500)")] * 4)
    client, _ = make_client(backend, retries=3)
    with pytest.raises(LLMUnavailable) as ei:
        client(messages=MSG)
    assert str(ei.value) == "fake: server error (HTTP 500) after 3 retries"
    assert len(backend.calls) == 4 and client.stats.retries == 3


def test_sticky_failure_is_not_retried_again() -> None:
    backend = FakeBackend([unavailable("fake", "authentication failed (HTTP 401)", sticky=True)])
    client, _ = make_client(backend)
    with pytest.raises(LLMUnavailable):
        client(messages=MSG, response_format={"type": "json_object"})
    # OptoPrime retries once without response_format: answer at once, no new request
    with pytest.raises(LLMUnavailable, match="401"):
        client(messages=MSG)
    assert len(backend.calls) == 1


def test_non_sticky_failure_allows_next_call() -> None:
    backend = FakeBackend([unavailable("fake", "bad request (HTTP 400)", sticky=False), "ok"])
    client, _ = make_client(backend)
    with pytest.raises(LLMUnavailable):
        client(messages=MSG, response_format={"type": "json_object"})
    assert client(messages=MSG).choices[0].message.content == "ok"


def test_backoff_full_jitter_bounds() -> None:
    assert backoff_delay(0, rng=lambda: 1.0) == 0.5
    assert backoff_delay(2, rng=lambda: 1.0) == 2.0
    assert backoff_delay(10, rng=lambda: 1.0) == 8.0  # capped
    assert backoff_delay(3, rng=lambda: 0.0) == 0.0
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("garbage") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after("100000") == 60.0  # capped


# ------------------------------------------------------------------ cassettes


def test_mask_addresses_and_key_stability() -> None:
    a = "<opto.trace.nodes.Node object at 0x7f3a2b1c9d10> and 0xdeadbeef12"
    b = "<opto.trace.nodes.Node object at 0x7f00000000ff> and 0xabcdef9999"
    assert mask_addresses(a) == mask_addresses(b)
    assert "0x12" in mask_addresses("value 0x12")  # short hex literals stay
    ra = make_request("m", [{"role": "user", "content": a}], 0.0, 100, True)
    rb = make_request("m", [{"role": "user", "content": b}], 0.0, 100, True)
    assert request_key(ra) == request_key(rb)
    rc = make_request("m", [{"role": "user", "content": a}], 0.0, 100, False)
    assert request_key(ra) != request_key(rc)


def test_record_once_then_replay(tmp_path: Path) -> None:
    cas = tmp_path / "sub" / "cassette.json"
    c1, b1 = make_client(cassette=str(cas), record_mode="once")
    assert "record mode once" in c1.describe()
    msgs = [{"role": "user", "content": "node at 0x7f3a2b1c9d10"}]
    r1 = c1(messages=msgs, response_format={"type": "json_object"})
    # written after each recorded call, before close()
    data = json.loads(cas.read_text())
    assert data["version"] == 1 and len(data["interactions"]) == 1
    c1(messages=msgs, response_format={"type": "json_object"})
    c1.close()
    data = json.loads(cas.read_text())
    it = data["interactions"][0]
    assert set(it) == {"key", "request", "response"}
    assert set(it["request"]) == {"model", "messages", "temperature", "max_tokens", "json_mode"}
    assert it["request"]["messages"][0]["content"] == "node at 0x…"
    assert it["response"] == {
        "content": "answer 1",
        "usage": {"prompt_tokens": 10, "completion_tokens": 5},
    }
    assert cas.read_text().startswith('{\n  "version": 1')  # pretty-printed

    # second run: the file exists -> "once" replays only; different address, same key
    c2, b2 = make_client(cassette=str(cas), record_mode="once")
    assert "replay only" in c2.describe()
    msgs2 = [{"role": "user", "content": "node at 0x7fffffff0000"}]
    first = c2(messages=msgs2, response_format={"type": "json_object"})
    second = c2(messages=msgs2, response_format={"type": "json_object"})
    assert first.choices[0].message.content == r1.choices[0].message.content == "answer 1"
    assert second.choices[0].message.content == "answer 2"  # identical requests: in order
    assert first.replayed
    assert b2.calls == []
    st = c2.stats
    assert (st.calls, st.replayed_calls, st.prompt_tokens, st.completion_tokens) == (2, 2, 20, 10)
    assert st.seconds == 0.0
    with pytest.raises(CassetteMiss):
        c2(messages=msgs2, response_format={"type": "json_object"})  # third: nothing left


def test_mode_none_without_file_misses(tmp_path: Path) -> None:
    client, backend = make_client(cassette=str(tmp_path / "none.json"), record_mode="none")
    with pytest.raises(CassetteMiss, match="no recorded LLM answer"):
        client(messages=MSG)
    assert backend.calls == []
    client.close()
    assert not (tmp_path / "none.json").exists()


def test_mode_new_replays_hits_and_appends_misses(tmp_path: Path) -> None:
    cas = tmp_path / "c.json"
    c1, _ = make_client(cassette=str(cas), record_mode="once")
    c1(messages=MSG)
    c1.close()
    c2, b2 = make_client(cassette=str(cas), record_mode="new")
    assert c2(messages=MSG).choices[0].message.content == "answer 1"  # hit
    other = [{"role": "user", "content": "something else"}]
    assert c2(messages=other).choices[0].message.content == "answer 1"  # miss -> backend
    assert c2(messages=MSG).choices[0].message.content == "answer 2"  # repeat beyond recording
    c2.close()
    assert len(b2.calls) == 2
    assert len(json.loads(cas.read_text())["interactions"]) == 3


def test_mode_all_rerecords(tmp_path: Path) -> None:
    cas = tmp_path / "c.json"
    c1, _ = make_client(cassette=str(cas), record_mode="once")
    c1(messages=MSG)
    c1(messages=MSG)
    c1.close()
    backend = FakeBackend(["fresh"])
    c2, _ = make_client(backend, cassette=str(cas), record_mode="all")
    assert c2(messages=MSG).choices[0].message.content == "fresh"
    c2.close()
    data = json.loads(cas.read_text())
    assert [i["response"]["content"] for i in data["interactions"]] == ["fresh"]


def test_corrupt_cassette_is_a_clear_error(tmp_path: Path) -> None:
    cas = tmp_path / "c.json"
    cas.write_text("{not json")
    with pytest.raises(LLMError, match="cannot read cassette"):
        make_client(cassette=str(cas), record_mode="new")


def test_secrets_never_reach_the_cassette(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    from llm_server import FaultServer, ok

    srv = FaultServer().start()
    try:
        srv.push(ok('{"a": 1}'))
        cas = tmp_path / "c.json"
        config = LLMConfig(
            model="openai/fake", base_url=srv.base_url, cassette=str(cas), timeout=5.0
        )
        client = build_llm(config, sleep=lambda s: None)
        resp = client(messages=MSG, response_format={"type": "json_object"})
        assert resp.choices[0].message.content == '{"a": 1}'
        client.close()
        # the key did go to the server, in the Authorization header...
        assert srv.requests[0]["headers"].get("authorization") == "Bearer sk-test-secret"
    finally:
        srv.stop()
    text = cas.read_text()
    assert "sk-test-secret" not in text
    assert "Authorization" not in text and "Bearer" not in text
    assert json.loads(text)["interactions"][0]["request"]["model"] == "openai/fake"


def test_replay_only_cassette_needs_no_backend(tmp_path: Path) -> None:
    cas = tmp_path / "c.json"
    c1, _ = make_client(cassette=str(cas), record_mode="once")
    c1(messages=MSG)
    c1.close()
    # rewrite the recorded model id so that build_llm's local client finds it
    data = json.loads(cas.read_text())
    req = data["interactions"][0]["request"]
    req["model"] = "local/missing.gguf"
    data["interactions"][0]["key"] = request_key(req)
    cas.write_text(json.dumps(data))
    config = LLMConfig(
        model_path=str(tmp_path / "missing.gguf"), cassette=str(cas), record_mode="none"
    )
    client = build_llm(config)  # no model file, no error: nothing needs the backend
    assert client(messages=MSG).choices[0].message.content == "answer 1"
    with pytest.raises(CassetteMiss):
        client(messages=[{"role": "user", "content": "new"}])


# ------------------------------------------------------------------ local backend checks


def test_missing_model_file_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_TRACE_OPT_HOME", str(tmp_path / "home"))
    with pytest.raises(LLMUnavailable) as ei:
        build_llm(LLMConfig())
    msg = str(ei.value)
    expected = tmp_path / "home" / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    assert msg == (
        f"local: model file not found at {expected}; run: python -m pytest_trace_opt.local fetch"
    )


def test_missing_runtime_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import llama_cpp -> ImportError
    with pytest.raises(LLMUnavailable) as ei:
        build_llm(LLMConfig(model_path=str(model)))
    assert str(ei.value).startswith("local: llama-cpp-python is not installed")
    assert 'pip install "pytest-trace-opt[local]"' in str(ei.value)
    assert "\n" not in str(ei.value)


def test_local_describe_without_loading(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    model = tmp_path / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    model.write_bytes(b"not really a model")
    client = build_llm(LLMConfig(model_path=str(model)))
    assert client.describe() == "local Qwen2.5-Coder-1.5B-Instruct Q4_K_M (llama.cpp in-process)"
    with pytest.raises(LLMUnavailable, match="cannot load model"):
        client(messages=MSG)


def test_import_is_light() -> None:
    code = (
        "import sys, pytest_trace_opt.llm, pytest_trace_opt.local\n"
        "heavy = [m for m in ('litellm', 'llama_cpp', 'openai', 'httpx', 'opto') "
        "if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_real_model_tests_skip_locally_but_fail_under_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = Path(__file__).parent
    for name in ("test_llm_real.py", "llm_server.py"):
        pytester.makepyfile(**{name.removesuffix(".py"): (here / name).read_text()})
    real_model_tests = (here / "test_llm_real.py").read_text().count("\ndef test_")
    pytester.makeini("[pytest]\nmarkers =\n    llm: real model\n")
    monkeypatch.setenv("PYTEST_TRACE_OPT_HOME", str(pytester.path / "empty-home"))
    monkeypatch.delenv("CI", raising=False)
    result = pytester.runpytest_subprocess("-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(skipped=real_model_tests)
    result.stdout.fnmatch_lines(["*no model at*python -m pytest_trace_opt.local fetch*"])
    monkeypatch.setenv("CI", "true")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    # fixture failures: reported as errors, not skips
    result.assert_outcomes(errors=real_model_tests)
    result.stdout.fnmatch_lines(["*required under CI*"])


def test_llama_cpp_devnull_files_make_no_noise_after_a_warning_checked_in_a_test(
    pytester: pytest.Pytester,
) -> None:
    """llama_cpp's two module-level /dev/null files, collected at interpreter teardown,
    raised ResourceWarning under whatever filters the C side last saw: after a session with
    ``filterwarnings = error`` that checked a warning, two "Exception ignored" lines."""
    if importlib.util.find_spec("llama_cpp") is None:  # not imported here: pytester's
        pytest.skip("llama-cpp-python not installed")  # module snapshot would drop it
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(
        """
        import warnings, pytest
        from pytest_trace_opt.llm.local_backend import _import_llama_cpp

        def test_imports_llama_cpp():
            _import_llama_cpp()
            with pytest.warns(UserWarning):
                warnings.warn("checked", UserWarning)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    stderr = result.stderr.str()
    assert "ResourceWarning" not in stderr and "Exception ignored" not in stderr, stderr


def test_generation_deadline_leaves_only_eos_once_time_is_up() -> None:
    from pytest_trace_opt.llm.local_backend import _GenerationDeadline

    np = pytest.importorskip("numpy")  # comes with llama-cpp-python (the local extra)

    now = [100.0]
    cap = _GenerationDeadline(5.0, eos_token=2, clock=lambda: now[0])
    scores = np.array([1.0, 3.0, -1.0, 0.5], dtype=np.single)
    assert cap(None, scores.copy()).tolist() == scores.tolist() and not cap.fired
    now[0] = 105.5
    capped = cap(None, scores.copy())
    assert cap.fired
    assert int(np.argmax(capped)) == 2 and np.isinf(capped[[0, 1, 3]]).all()


class FakeLlamaBindings:
    """Test double for ``llama_cpp``: only the default-parameters function."""

    class llama_cpp:  # noqa: N801  (the attribute name llama_cpp-python uses)
        @staticmethod
        def llama_model_default_params() -> Any:
            from types import SimpleNamespace

            return SimpleNamespace(use_extra_bufts=True, n_gpu_layers=0)


def test_models_load_without_extra_cpu_buffers_unless_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pytest_trace_opt.local import EXTRA_BUFFERS_ENV, plain_cpu_buffers

    bindings = FakeLlamaBindings()
    original = bindings.llama_cpp.llama_model_default_params
    with plain_cpu_buffers(bindings):
        assert bindings.llama_cpp.llama_model_default_params().use_extra_bufts is False
    assert bindings.llama_cpp.llama_model_default_params is original  # restored
    monkeypatch.setenv(EXTRA_BUFFERS_ENV, "1")
    with plain_cpu_buffers(bindings):
        assert bindings.llama_cpp.llama_model_default_params().use_extra_bufts is True


def test_a_call_never_outlasts_the_session_deadline() -> None:
    now = [100.0]
    client, backend = make_client(clock=lambda: now[0], timeout=60.0, deadline=110.0)
    client(messages=MSG)
    assert backend.calls[-1]["timeout"] == pytest.approx(10.0)  # what is left, not 60 s
    now[0] = 50.0
    client(messages=MSG)
    assert backend.calls[-1]["timeout"] == pytest.approx(60.0)
