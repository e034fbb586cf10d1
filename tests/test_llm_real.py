"""Real-model tests (marker ``llm``): the 1.5B Qwen model in-process and behind
``python -m llama_cpp.server`` reached through LiteLLM.

Outside CI they skip with a reason when the model file or llama-cpp-python is missing;
under CI (``$CI`` set) they fail instead.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from llm_server import free_port

from pytest_trace_opt.llm import LLMConfig, build_llm
from pytest_trace_opt.local import default_model_path

pytestmark = pytest.mark.llm

PROMPT = [
    {"role": "system", "content": "You answer with a JSON object only."},
    {
        "role": "user",
        "content": 'Return {"sum": N} where N is 2 + 3. Reply with JSON only.',
    },
]


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} (required under CI)")
    pytest.skip(what)


@pytest.fixture(scope="module")
def model_file() -> Path:
    path = default_model_path("1.5b")
    if importlib.util.find_spec("llama_cpp") is None:
        _missing('llama-cpp-python is not installed: pip install "pytest-trace-opt[local]"')
    if not path.is_file():
        _missing(f"no model at {path}: run python -m pytest_trace_opt.local fetch")
    return path


def _check_json_answer(content: str) -> None:
    data = json.loads(content)
    assert isinstance(data, dict) and data, content


def _in_fresh_python(code: str, timeout: float = 600) -> dict:
    """Runs ``code`` (which prints one JSON object last) in a new interpreter: llama.cpp
    loaded into this long-lived pytest process, beside everything earlier tests imported,
    would turn a native crash into the end of the whole test session."""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


IN_PROCESS_JSON = """
import json
from pytest_trace_opt.llm import LLMConfig, build_llm, local_backend
PROMPT = %r
config = LLMConfig(model="local", max_tokens=64, n_ctx=2048, json_mode=True)
client = build_llm(config)
resp = client(messages=PROMPT, response_format={"type": "json_object"}, max_tokens=4096)
loaded = [id(m) for m in local_backend._LLAMA_CACHE.values()]
again = build_llm(config)
resp2 = again(messages=PROMPT, response_format={"type": "json_object"})
print(json.dumps({
    "describe": client.describe(), "content": resp.choices[0].message.content,
    "content2": resp2.choices[0].message.content, "prompt_tokens": resp.usage.prompt_tokens,
    "completion_tokens": resp.usage.completion_tokens, "calls": client.stats.calls,
    "seconds": client.stats.seconds, "loaded": loaded,
    "loaded_after": [id(m) for m in local_backend._LLAMA_CACHE.values()],
}))
client.close()
again.close()
"""


def test_local_in_process_json(model_file: Path) -> None:
    out = _in_fresh_python(IN_PROCESS_JSON % (PROMPT,))
    assert out["describe"] == "local Qwen2.5-Coder-1.5B-Instruct Q4_K_M (llama.cpp in-process)"
    _check_json_answer(out["content"])
    assert out["prompt_tokens"] > 10
    assert 0 < out["completion_tokens"] <= 64
    assert out["calls"] == 1 and out["seconds"] > 0
    # the model is loaded once per process and reused by a second client
    assert len(out["loaded"]) == 1 and out["loaded_after"] == out["loaded"]
    assert out["content2"] == out["content"]  # temperature 0


CUT_SHORT = """
import json
from pytest_trace_opt.llm import LLMConfig, build_llm
story = [{"role": "user", "content": "Write a 2000-word story about a lighthouse keeper."}]
client = build_llm(LLMConfig(model="local", max_tokens=1024, n_ctx=2048, timeout=3.0))
resp = client(messages=story)
print(json.dumps({"finish": resp.choices[0].finish_reason,
                  "tokens": resp.usage.completion_tokens}))
client.close()
"""


def test_local_timeout_cuts_the_reply(model_file: Path) -> None:
    """llama.cpp has no time limit: ours ends the reply at the deadline, like max_tokens."""
    # 1024 tokens take minutes here: a reply cut short of them was ended by the deadline
    out = _in_fresh_python(CUT_SHORT)
    assert out["finish"] == "length"
    assert 0 <= out["tokens"] < 1024  # on a loaded machine the deadline may come first


LIVE_TOKENS = """
import json, threading, time
from pytest_trace_opt.llm import LLMConfig, build_llm
client = build_llm(LLMConfig(model="local", max_tokens=48, n_ctx=1024))
seen, done = [], threading.Event()
def watch():
    while not done.is_set():
        snap = client.progress.snapshot()
        if snap is not None:
            seen.append([snap.tokens, snap.counts_tokens])
        time.sleep(0.05)
watcher = threading.Thread(target=watch)
watcher.start()
resp = client(messages=[{"role": "user", "content": "Count from 1 to 30, comma-separated."}])
done.set()
watcher.join()
print(json.dumps({"seen": seen, "tokens": resp.usage.completion_tokens,
                  "after": client.progress.snapshot()}))
client.close()
"""


def test_local_tokens_are_counted_while_they_are_generated(model_file: Path) -> None:
    """The live progress reads the in-process model's token count during the call."""
    out = _in_fresh_python(LIVE_TOKENS)
    counts = [tokens for tokens, counted in out["seen"] if counted]
    assert counts, out
    assert counts == sorted(counts)  # grows while the reply is generated
    assert 0 < max(counts) <= out["tokens"] + 1  # the processor also sees the final step
    assert any(0 < c < out["tokens"] for c in counts)  # seen mid-reply, not only at the end
    assert out["after"] is None


def test_local_model_exits_cleanly(model_file: Path) -> None:
    """The cached model is freed before interpreter teardown: no traceback at exit."""
    code = (
        "from pytest_trace_opt.llm import LLMConfig, build_llm\n"
        "c = build_llm(LLMConfig(model='local', max_tokens=4, n_ctx=512))\n"
        "print(c(messages=[{'role': 'user', 'content': 'Say hi'}]).usage.completion_tokens)\n"
    )
    # ResourceWarnings as errors, as under a pytest configured with filterwarnings = error
    proc = subprocess.run(
        [sys.executable, "-W", "error::ResourceWarning", "-c", code],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr


def test_local_backend_that_never_loads_its_model_exits_cleanly(model_file: Path) -> None:
    """Built (llama_cpp imported to fail early) but never called: its /dev/null files make no
    noise at exit either."""
    code = (
        "from pytest_trace_opt.llm import LLMConfig, build_llm\n"
        "build_llm(LLMConfig(model='local', max_tokens=4, n_ctx=512))\n"
        "import sys; print('llama_cpp' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-W", "error::ResourceWarning", "-c", code],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True"  # the case this test is about
    assert "Exception ignored" not in proc.stderr, proc.stderr


@pytest.fixture(scope="module")
def llama_server(model_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if importlib.util.find_spec("uvicorn") is None or importlib.util.find_spec("fastapi") is None:
        _missing('llama-cpp-python server extra missing: pip install "llama-cpp-python[server]"')
    port = free_port()
    log = tmp_path_factory.mktemp("llama_server") / "server.log"
    cmd = [
        sys.executable, "-m", "pytest_trace_opt.local", "serve", "--model", str(model_file),
        "--model_alias", "qwen", "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "4096", "--n_threads", "2",
    ]  # fmt: skip
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"llama_cpp.server exited with {proc.returncode}: {log.read_text()[-800:]}"
                )
            try:
                with urllib.request.urlopen(f"{base}/v1/models", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server not ready after 120 s: {log.read_text()[-800:]}")
            time.sleep(0.5)
        yield f"{base}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def test_litellm_against_llama_server(
    llama_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "dummy")
    cassette = tmp_path / "real.json"
    config = LLMConfig(
        model="openai/qwen", base_url=llama_server, max_tokens=64, timeout=120.0, json_mode=True,
        cassette=str(cassette),
    )  # fmt: skip
    client = build_llm(config)
    resp = client(messages=PROMPT, response_format={"type": "json_object"})
    _check_json_answer(resp.choices[0].message.content)
    assert resp.usage.prompt_tokens > 10 and resp.usage.completion_tokens > 0
    assert client.stats.calls == 1 and client.stats.cost in (None, 0.0)
    client.close()
    # the recorded answer replays without the server
    replay = build_llm(
        LLMConfig(
            model="openai/qwen",
            base_url="http://127.0.0.1:9/v1",
            max_tokens=64,
            json_mode=True,
            cassette=str(cassette),
        )
    )
    again = replay(messages=PROMPT, response_format={"type": "json_object"})
    assert again.choices[0].message.content == resp.choices[0].message.content
    assert replay.stats.replayed_calls == 1
    assert "dummy" not in cassette.read_text()
