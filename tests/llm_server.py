"""A scriptable, fault-injecting OpenAI-compatible HTTP server for the LLM-layer tests.

Each POST to ``/v1/chat/completions`` consumes the next scripted behaviour (or answers
normally when the script is empty). Everything runs on 127.0.0.1 in a thread.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Behaviour:
    kind: str = "ok"  # ok | status | slow | malformed | truncated | trickle
    content: str = '{"answer": 42}'
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    delay: float = 0.0


def ok(content: str = '{"answer": 42}') -> Behaviour:
    return Behaviour("ok", content=content)


def status(code: int, headers: dict[str, str] | None = None, message: str = "") -> Behaviour:
    body = json.dumps({"error": {"message": message or f"scripted {code}", "type": "test"}})
    return Behaviour("status", status=code, headers=headers or {}, body=body)


def slow(delay: float) -> Behaviour:
    return Behaviour("slow", delay=delay)


def trickle(delay: float) -> Behaviour:
    """A full reply sent one byte every ``delay`` seconds: no single read ever waits long."""
    return Behaviour("trickle", delay=delay)


def malformed() -> Behaviour:
    return Behaviour("malformed")


def truncated() -> Behaviour:
    return Behaviour("truncated")


def completion_body(content: str, model: str = "fake") -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1700000000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }


class FaultServer:
    def __init__(self) -> None:
        self.script: deque[Behaviour] = deque()
        self.requests: list[dict[str, Any]] = []
        self.open_connections = 0  # kept-alive (HTTP/1.1) connections not yet closed
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with server._lock:
                    server.open_connections += 1

            def finish(self) -> None:
                try:
                    super().finish()
                finally:
                    with server._lock:
                        server.open_connections -= 1

            def _send(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._send(200, json.dumps({"data": [{"id": "fake"}]}).encode())

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    payload = json.loads(raw or b"{}")
                except ValueError:
                    payload = {}
                with server._lock:
                    server.requests.append(
                        # names lowercased: HTTP header names are case-insensitive, and
                        # client libraries differ in the case they send
                        {
                            "path": self.path,
                            "json": payload,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                        }
                    )
                    b = server.script.popleft() if server.script else Behaviour()
                if b.kind == "slow":
                    time.sleep(b.delay)
                if b.kind in ("ok", "slow"):
                    body = json.dumps(completion_body(b.content, payload.get("model", "fake")))
                    with contextlib.suppress(OSError):  # the client may have given up
                        self._send(200, body.encode())
                elif b.kind == "status":
                    self._send(b.status, b.body.encode(), b.headers)
                elif b.kind == "trickle":
                    full = json.dumps(completion_body(b.content)).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(full)))
                    self.end_headers()
                    with contextlib.suppress(OSError):  # the client gave up: good
                        for i in range(len(full)):
                            self.wfile.write(full[i : i + 1])
                            self.wfile.flush()
                            time.sleep(b.delay)
                elif b.kind == "malformed":
                    self._send(200, b'{"id": "x", "choices": [ this is not json')
                elif b.kind == "truncated":
                    full = json.dumps(completion_body(b.content)).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(full)))
                    self.end_headers()
                    self.wfile.write(full[: len(full) // 3])
                    self.wfile.flush()
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)

    def push(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self.script.extend(behaviours)

    @property
    def posts(self) -> int:
        return len(self.requests)


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening on it."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def free_port() -> int:
    return closed_port()
