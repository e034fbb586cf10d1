"""Call-level record/replay store for LLM requests.

The store works on (request -> answer) pairs, not on HTTP exchanges: the local
llama.cpp backend makes no HTTP calls at all, and an HTTP-level recorder would also
store headers (credentials) and provider-specific bodies.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

from .errors import LLMError

CASSETTE_VERSION = 1
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")


def mask_addresses(text: str) -> str:
    """Replace memory addresses (``0x7f3a...``) that differ from run to run."""
    return _ADDRESS.sub("0x…", text)


def _mask_content(content: Any) -> Any:
    if isinstance(content, str):
        return mask_addresses(content)
    if isinstance(content, list):  # multi-part content: [{"type": "text", "text": ...}]
        return [_mask_content(c) for c in content]
    if isinstance(content, dict):
        return {k: _mask_content(v) for k, v in content.items()}
    return content


def normalize_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep only role/content/name of each message, with addresses masked."""
    out: list[dict[str, Any]] = []
    for m in messages:
        item: dict[str, Any] = {"role": str(m.get("role", "user"))}
        item["content"] = _mask_content(m.get("content", ""))
        if m.get("name"):
            item["name"] = str(m["name"])
        out.append(item)
    return out


def make_request(
    model: str,
    messages: list[dict[str, Any]],
    temperature: float,
    max_tokens: int,
    json_mode: bool,
    sample: int = 0,
) -> dict[str, Any]:
    """The stored (and hashed) form of a request: nothing else is ever written. The
    samples after the first of one request (``n``) are recorded each under its index."""
    request = {
        "model": model,
        "messages": normalize_messages(messages),
        "temperature": float(temperature),
        "max_tokens": int(max_tokens),
        "json_mode": bool(json_mode),
    }
    if sample:
        request["sample"] = int(sample)
    return request


def request_key(request: dict[str, Any]) -> str:
    canonical = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class CassetteError(LLMError):
    """The cassette file cannot be read or written."""


class Cassette:
    """Record/replay file with VCR.py / pytest-recording mode meanings.

    - ``none``: replay only; a miss raises :class:`CassetteMiss`.
    - ``once``: record if the file does not exist, else behave as ``none``.
    - ``new``: replay hits, record misses (appended).
    - ``all``: always call and re-record (the file is replaced by this run's calls).

    Identical requests repeated in a run replay the recorded answers in order.
    """

    def __init__(self, path: str | os.PathLike[str], mode: str = "once") -> None:
        self.path = Path(path)
        self.mode = mode
        existed = self.path.exists()
        self._interactions: list[dict[str, Any]] = []
        if existed and mode != "all":
            self._interactions = self._load()
        elif existed and mode == "all":
            self._load()  # still refuse to clobber a file we cannot understand
        # Decide once, at start, what this run does.
        if mode == "none" or (mode == "once" and existed):
            self.can_record, self.can_replay = False, True
        elif mode == "new":
            self.can_record, self.can_replay = True, True
        else:  # "all", or "once" with no file yet
            self.can_record, self.can_replay = True, False
        self._used: dict[str, int] = defaultdict(int)
        self._by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for it in self._interactions:
            self._by_key[it["key"]].append(it)
        self._dirty = False
        self._lock = threading.Lock()

    @property
    def replay_only(self) -> bool:
        return not self.can_record

    def __len__(self) -> int:
        return len(self._interactions)

    def _load(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise CassetteError(f"cannot read cassette {self.path}: {e}") from None
        if not isinstance(data, dict) or data.get("version") != CASSETTE_VERSION:
            raise CassetteError(
                f"{self.path} is not a pytest-trace-opt cassette (version {CASSETTE_VERSION})"
            )
        items = data.get("interactions")
        if not isinstance(items, list):
            raise CassetteError(f"cassette {self.path} has no interactions list")
        for it in items:
            if not (isinstance(it, dict) and "key" in it and isinstance(it.get("response"), dict)):
                raise CassetteError(f"cassette {self.path} holds a malformed interaction")
        return items

    def lookup(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """Next unused recorded response for this request, or None."""
        if not self.can_replay:
            return None
        key = request_key(request)
        with self._lock:
            recorded = self._by_key.get(key, [])
            i = self._used[key]
            if i < len(recorded):
                self._used[key] = i + 1
                return dict(recorded[i]["response"])
        return None

    def record(
        self, request: dict[str, Any], content: str, prompt_tokens: int, completion_tokens: int
    ) -> None:
        if not self.can_record:
            raise CassetteError(f"cassette {self.path} is replay-only (mode {self.mode})")
        key = request_key(request)
        item = {
            "key": key,
            "request": request,
            "response": {
                "content": content,
                "usage": {
                    "prompt_tokens": int(prompt_tokens),
                    "completion_tokens": int(completion_tokens),
                },
            },
        }
        with self._lock:
            self._interactions.append(item)
            self._by_key[key].append(item)
            if self.can_replay:  # "new": a recorded answer is not replayed again in this run
                self._used[key] = len(self._by_key[key])
            self._dirty = True
        self.save()

    def save(self) -> None:
        """Write the file atomically (temp file + os.replace) if anything was recorded."""
        with self._lock:
            if not self._dirty:
                return
            data = {"version": CASSETTE_VERSION, "interactions": list(self._interactions)}
            text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(text)
                os.chmod(tmp, 0o644)
                os.replace(tmp, self.path)
            except OSError as e:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise CassetteError(f"cannot write cassette {self.path}: {e}") from None
            self._dirty = False
