"""Baseline 4: aider, the chat coding tool, in its test-fix loop.

aider runs as a user would run it to fix failing tests, in the case copy:

* ``aider --edit-format whole --no-git --yes-always --map-tokens 0 --no-stream
  --test-cmd "<pytest on the visible tests only>" --auto-test --load <file with /test>
  --message "<instruction>" <module>.py``: the ``/test`` command (loaded before the
  message) runs the visible tests and puts their output in the chat, the message asks
  for a fix, and after each edit aider runs the tests again and sends the failures back
  (its "reflections", at most 3 of its own).
* Files added for editing: the case's module(s) holding the trainable code. The tests
  are not added, not even read-only (``--read``): the test file also holds the holdout
  tests, which no system of the benchmark may see. aider sees the visible tests the way
  the naive loop does, through pytest's output (assertion messages, short tracebacks).
* The model: the same GGUF file as the other systems, served by
  ``python -m llama_cpp.server`` (n_ctx 8192, 2 threads, seed 0) on a free loopback
  port; temperature 0 and 1024 completion tokens per call through an aider model
  settings file.
* Between aider and the server sits :class:`CountingProxy` (standard library only): it
  forwards each request, records calls, prompt and completion tokens (the server's
  ``usage``) and seconds, and answers every call past the budget with HTTP 400, which
  aider does not retry: the reply is empty, no edit, no test run, aider exits.
* The files aider left are what the runner judges (its last edit: aider keeps no
  best-so-far). A test file or conftest.py that aider changed or created is put back
  (removed) first, so the judge runs the original tests; the row's notes say so.

This module uses only the standard library (aider runs in its own virtualenv, see
:data:`INSTALL`); it imports nothing of the plugin.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .common import clean_env, run_in_session, test_kinds, trainable_modules

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
AIDER_VERSION = "0.86.2"  # known good: the flags below are the ones its --help lists
VENV = BENCH / ".aider-venv"
INSTALL = (
    f"python3 -m venv benchmarks/.aider-venv && "
    f"benchmarks/.aider-venv/bin/python -m pip install aider-chat=={AIDER_VERSION}"
)
MESSAGE = (
    "The tests fail: their output is above. Fix the bug in {files} so that the tests pass, "
    "without changing the tests. Keep the public names and signatures."
)
REFUSAL = "this benchmark allows {budget} LLM call(s) per case and all were made; call refused"


# --------------------------------------------------------------------------- aider itself


def ensure_aider(explicit: Path | None = None, log=print) -> Path:
    """The ``aider`` executable: ``explicit``, else the one in :data:`VENV`, which is created
    (``pip install aider-chat==AIDER_VERSION``) when missing."""
    if explicit is not None:
        if not explicit.exists():
            raise FileNotFoundError(f"--aider {explicit}: no such file")
        return explicit
    exe = VENV / "bin" / "aider"
    if exe.exists():
        return exe
    log(f"installing aider-chat=={AIDER_VERSION} into {VENV} (once; a few minutes)")
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, f"aider-chat=={AIDER_VERSION}"], check=True)
    return exe


def aider_version(exe: Path) -> str:
    try:
        out = subprocess.run(
            [str(exe), "--version"], capture_output=True, text=True, timeout=120,
            env=clean_env(), stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unknown ({type(e).__name__})"
    return (out.stdout.strip().splitlines() or ["unknown"])[-1]


# --------------------------------------------------------------------------- the server


def write_python_shim(bin_dir: Path) -> Path:
    """``bin_dir/python``: the project's interpreter with what the naive loop's test runs
    have (the ``bench_timeout`` plugin, 5 s per test, no cache directory) and 120 s for the
    whole run, so aider's test command reads as a user would type it."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    shim = bin_dir / "python"
    shim.write_text(
        "#!/bin/sh\n"
        f"PYTHONPATH={shlex.quote(str(HERE))} BENCH_TEST_TIMEOUT=5 "
        "PYTEST_ADDOPTS='-p no:cacheprovider -p bench_timeout' "
        f'exec timeout 120 {shlex.quote(sys.executable)} "$@"\n'
    )
    shim.chmod(0o755)
    return shim


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    """``python -m llama_cpp.server`` on a free loopback port, in its own session; stopped
    (that session only) by :meth:`stop`."""

    def __init__(
        self, model_path: str, alias: str, *, n_ctx: int = 8192, threads: int = 2, seed: int = 0
    ) -> None:
        self.model_path, self.alias = model_path, alias
        self.n_ctx, self.threads, self.seed = n_ctx, threads, seed
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_file: Any = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout: float = 600.0) -> None:
        if not Path(self.model_path).is_file():
            raise FileNotFoundError(
                f"no model file {self.model_path} (python -m pytest_trace_opt.local fetch)"
            )
        self.port = free_port()
        # the server's output, for the error message if it fails; open as long as it runs
        self.log_file = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log")  # noqa: SIM115
        cmd = [
            sys.executable, "-m", "pytest_trace_opt.local", "serve",
            "--model", self.model_path, "--model_alias", self.alias,
            "--host", "127.0.0.1", "--port", str(self.port),
            "--n_ctx", str(self.n_ctx), "--n_threads", str(self.threads),
            "--n_threads_batch", str(self.threads), "--seed", str(self.seed),
            "--verbose", "False",
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd, stdout=self.log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env=clean_env(),
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited {self.proc.returncode}: {self.tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/v1/models")
                ok = conn.getresponse().status == 200
                conn.close()
                if ok:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"llama_cpp.server did not answer within {timeout:.0f} s")

    def tail(self, chars: int = 600) -> str:
        if self.log_file is None:
            return ""
        with contextlib.suppress(OSError):
            return Path(self.log_file.name).read_text(errors="replace")[-chars:]
        return ""

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)  # the session we started, nothing else
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self.log_file is not None:
            self.log_file.close()
            self.log_file = None


# --------------------------------------------------------------------------- the proxy


class CountingProxy:
    """An HTTP proxy on a free loopback port in front of an OpenAI-compatible server.

    Every POST to ``.../chat/completions`` (or ``.../completions``) is an LLM call: while
    fewer than ``budget`` calls were made in the current case it is forwarded and recorded
    (seconds, the ``usage`` of the reply, finish reason, the temperature and max_tokens
    asked for); past the budget it is answered with HTTP 400 and an OpenAI-style error, and
    counted as refused. Other requests (``GET /v1/models``) are forwarded uncounted.
    """

    def __init__(self, upstream: str, timeout: float = 900.0) -> None:
        u = urllib.parse.urlsplit(upstream)
        self.scheme, self.host = u.scheme or "http", u.hostname or "127.0.0.1"
        self.port = u.port or (443 if self.scheme == "https" else 80)
        self.prefix = u.path.rstrip("/")  # e.g. "/v1"
        self.timeout = timeout
        self.lock = threading.Lock()
        self.budget = 0
        self.calls: list[dict[str, Any]] = []
        self.refused = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                proxy._handle(self)

            def do_GET(self) -> None:  # noqa: N802
                proxy._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start_case(self, budget: int) -> None:
        with self.lock:
            self.budget, self.calls, self.refused = budget, [], 0

    def totals(self) -> dict[str, Any]:
        with self.lock:
            calls = list(self.calls)
            refused = self.refused
        return {
            "llm_calls": len(calls),
            "prompt_tokens": sum(c.get("prompt_tokens") or 0 for c in calls),
            "completion_tokens": sum(c.get("completion_tokens") or 0 for c in calls),
            "llm_seconds": round(sum(c["seconds"] for c in calls), 1),
            "refused_calls": refused,
            "calls": calls,
        }

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ one request

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        path = urllib.parse.urlsplit(h.path).path
        is_call = h.command == "POST" and path.endswith("completions")
        record: dict[str, Any] | None = None
        if is_call:
            try:
                req = json.loads(body or b"{}")
            except ValueError:
                req = {}
            with self.lock:
                if len(self.calls) >= self.budget:
                    self.refused += 1
                    refuse = True
                else:
                    refuse = False
                    record = {
                        "call": len(self.calls) + 1,
                        "kind": _kind(req),
                        "messages": len(req.get("messages") or []),
                        "temperature": req.get("temperature"),
                        "max_tokens": req.get("max_tokens"),
                        "stream": bool(req.get("stream")),
                        "seconds": 0.0,
                    }
                    self.calls.append(record)
            if refuse:
                error = {
                    "error": {
                        "message": REFUSAL.format(budget=self.budget),
                        "type": "invalid_request_error",
                        "param": None,
                        "code": "call_limit",
                    }
                }
                self._reply(h, 400, json.dumps(error).encode(), "application/json")
                return
        started = time.monotonic()
        status, data, ctype = self._forward(h.command, path, body, h.headers.get("Authorization"))
        if record is not None:
            record["seconds"] = round(time.monotonic() - started, 1)
            record["status"] = status
            try:
                reply = json.loads(data)
            except ValueError:
                reply = {}
            usage = reply.get("usage") or {} if isinstance(reply, dict) else {}
            record["prompt_tokens"] = usage.get("prompt_tokens", 0)
            record["completion_tokens"] = usage.get("completion_tokens", 0)
            choices = reply.get("choices") or [{}] if isinstance(reply, dict) else [{}]
            record["finish_reason"] = choices[0].get("finish_reason")
        self._reply(h, status, data, ctype)

    def _forward(
        self, method: str, path: str, body: bytes, auth: str | None
    ) -> tuple[int, bytes, str]:
        sub = path[len("/v1") :] if path.startswith("/v1") else path
        https = self.scheme == "https"
        conn_cls = http.client.HTTPSConnection if https else http.client.HTTPConnection
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = auth
        try:
            conn = conn_cls(self.host, self.port, timeout=self.timeout)
            conn.request(method, self.prefix + sub, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            ctype = resp.getheader("Content-Type") or "application/json"
            conn.close()
            return resp.status, data, ctype
        except OSError as e:  # server down or timed out: aider sees a 502
            error = {"error": {"message": f"proxy: upstream failed: {e}", "type": "server_error"}}
            return 502, json.dumps(error).encode(), "application/json"

    @staticmethod
    def _reply(h: BaseHTTPRequestHandler, status: int, data: bytes, ctype: str) -> None:
        try:
            h.send_response(status)
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except OSError:
            pass  # aider gave up on this request


def _kind(req: dict[str, Any]) -> str:
    """``summary`` for aider's chat-history summaries (its weak model), ``edit`` otherwise."""
    msgs = req.get("messages") or []
    first = msgs[0].get("content") if msgs and isinstance(msgs[0], dict) else ""
    return "summary" if isinstance(first, str) and "summarize" in first.lower() else "edit"


# --------------------------------------------------------------------------- a session


class Aider:
    """One benchmark run's aider system: the server and the proxy (started once, on the
    first case, by :meth:`start`), and one aider process per case (:meth:`run`).

    ``model_path``: the GGUF file to serve (``--llm local``); or ``base_url``: an
    OpenAI-compatible server already running, with ``model`` its model name.
    """

    def __init__(
        self,
        *,
        exe: Path | None = None,
        model_path: str | None = None,
        base_url: str | None = None,
        model: str | None = None,
        max_tokens: int = 1024,
        n_ctx: int = 8192,
        seed: int = 0,
        log=print,
    ) -> None:
        self.explicit_exe, self.model_path, self.base_url = exe, model_path, base_url
        self.max_tokens, self.n_ctx, self.seed, self.log = max_tokens, n_ctx, seed, log
        if model_path:
            self.model = Path(model_path).stem
        else:
            self.model = (model or "model").removeprefix("openai/")
        self.exe: Path | None = None
        self.version = ""
        self.server: LlamaServer | None = None
        self.proxy: CountingProxy | None = None

    def start(self) -> None:
        if self.proxy is not None:
            return
        self.exe = ensure_aider(self.explicit_exe, self.log)
        self.version = aider_version(self.exe)
        if self.version != f"aider {AIDER_VERSION}":
            self.log(f"note: {self.exe} is {self.version}; the benchmark pins {AIDER_VERSION}")
        upstream = self.base_url
        if self.model_path:
            self.server = LlamaServer(
                self.model_path, self.model, n_ctx=self.n_ctx, threads=2, seed=self.seed
            )
            self.log(f"starting llama_cpp.server for aider ({Path(self.model_path).name})")
            self.server.start()
            upstream = self.server.base_url
        if not upstream:
            raise ValueError("the aider system needs --llm local or --base-url")
        self.proxy = CountingProxy(upstream)

    def close(self) -> None:
        if self.proxy is not None:
            self.proxy.close()
            self.proxy = None
        if self.server is not None:
            self.server.stop()
            self.server = None

    def __enter__(self) -> Aider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ one case

    def test_command(self, case_dir: Path) -> str:
        """pytest on the visible tests only: holdouts are deselected by naming the visible
        tests. ``python`` is the shim :func:`write_python_shim` puts first on aider's PATH."""
        visible = [i for i, k in test_kinds(case_dir).items() if k == "visible"]
        return " ".join(
            ["python -m pytest -q -rfE --tb=short --no-header", *(shlex.quote(v) for v in visible)]
        )

    def command(self, case_dir: Path, scratch: Path, modules: list[Path]) -> list[str]:
        assert self.exe is not None and self.proxy is not None
        settings = scratch / "model-settings.yml"
        settings.write_text(
            json.dumps(  # JSON is YAML
                [
                    {
                        "name": f"openai/{self.model}",
                        "edit_format": "whole",
                        "use_repo_map": False,
                        "use_temperature": True,  # aider sends temperature 0
                        "extra_params": {"max_tokens": self.max_tokens},
                    }
                ]
            )
        )
        metadata = scratch / "model-metadata.json"
        metadata.write_text(
            json.dumps(
                {
                    f"openai/{self.model}": {
                        "max_input_tokens": self.n_ctx,
                        "max_output_tokens": self.max_tokens,
                        "max_tokens": self.max_tokens,
                        "input_cost_per_token": 0.0,
                        "output_cost_per_token": 0.0,
                        "litellm_provider": "openai",
                        "mode": "chat",
                    }
                }
            )
        )
        load = scratch / "commands.txt"
        load.write_text("/test\n")
        names = ", ".join(m.name for m in modules)
        return [
            str(self.exe),
            "--model", f"openai/{self.model}",
            "--openai-api-base", self.proxy.base_url,
            "--openai-api-key", "local",
            "--model-settings-file", str(settings),
            "--model-metadata-file", str(metadata),
            "--no-show-model-warnings",
            "--edit-format", "whole",
            "--map-tokens", "0",
            "--max-chat-history-tokens", str(self.n_ctx),
            "--no-stream",
            "--no-git",
            "--yes-always",
            "--no-suggest-shell-commands",
            "--no-detect-urls",
            "--no-analytics",
            "--no-check-update",
            "--no-show-release-notes",
            "--no-browser",
            "--no-pretty",
            "--no-fancy-input",
            "--timeout", "900",
            "--input-history-file", str(scratch / "input.history"),
            "--chat-history-file", str(scratch / "chat.history.md"),
            "--llm-history-file", str(scratch / "llm.history"),
            "--test-cmd", self.test_command(case_dir),
            "--auto-test",
            "--load", str(load),
            "--message", MESSAGE.format(files=names),
            *(m.name for m in modules),
        ]  # fmt: skip

    def run(self, case_dir: Path, budget: int, log=print) -> dict[str, Any]:
        self.start()
        assert self.proxy is not None
        case_dir = Path(case_dir)
        started = time.monotonic()
        modules = list(trainable_modules(case_dir))
        # every other file (tests, conftest.py, helpers) is judged as it was
        protected = {
            p: p.read_bytes() for p in case_dir.iterdir() if p.is_file() and p not in modules
        }
        notes: list[str] = []
        with tempfile.TemporaryDirectory(prefix="aider-run-") as tmp:
            scratch = Path(tmp)
            home = scratch / "home"
            home.mkdir()
            cmd = self.command(case_dir, scratch, modules)
            shim = write_python_shim(scratch / "bin")
            env = clean_env(
                PATH=os.pathsep.join([str(shim.parent), os.environ.get("PATH", "")]),
                HOME=str(home),  # aider's ~/.aider state stays in the scratch directory
                OPENAI_API_KEY="local",
                PYTHONDONTWRITEBYTECODE="1",
                TERM="dumb",
            )
            for var in ("PYTHONPATH", "VIRTUAL_ENV"):
                env.pop(var, None)
            self.proxy.start_case(budget)
            timeout = 120 + budget * 400  # as the plugin's run: a stuck aider is killed
            status, out, _ = run_in_session(cmd, case_dir, env, timeout)
        stats = self.proxy.totals()
        for path, data in protected.items():
            if not path.exists() or path.read_bytes() != data:
                path.write_bytes(data)
                notes.append(f"aider changed {path.name}; the original was put back")
        for path in sorted(case_dir.iterdir()):
            if path.is_file() and path not in protected and path not in modules:
                path.unlink()
                notes.append(f"aider created {path.name}; removed before judging")
        if status is None:
            notes.append(f"aider killed after {timeout} s")
        if stats["refused_calls"]:
            notes.append(f"{stats['refused_calls']} call(s) past the budget refused")
        if status not in (0, None):
            notes.append(f"aider exited {status}: {out[-400:]}")
        log(
            f"  aider: {stats['llm_calls']} call(s) "
            f"({', '.join(c['kind'] for c in stats['calls']) or 'none'}), "
            f"{stats['refused_calls']} refused, exit {status}"
        )
        return {
            **stats,
            "aider_version": self.version,
            "exit_status": status,
            "notes": notes,
            "output_tail": out[-1500:],
            "seconds": time.monotonic() - started,
        }
