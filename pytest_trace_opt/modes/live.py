"""A sign of life while an LLM call runs: the call in flight, shown on the terminal.

On a terminal the line is rewritten in place twice a second (what is asked, seconds,
tokens so far and their rate when the backend counts them) and erased when the call ends.
Elsewhere (CI logs, pipes, ``-q`` alike) one plain line per round says that the round is
waiting for the LLM, once its call has run for ``PLAIN_AFTER`` seconds: a fast call adds
no line to the log.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from pytest_trace_opt.llm.progress import CallSnapshot
from pytest_trace_opt.secrets import mask

INTERVAL = 0.5  # seconds between two updates of the line
PLAIN_AFTER = 2.0  # seconds a call runs before a plain log gets its line


class LiveLine:
    def __init__(
        self,
        reporter: Any,
        snapshot: Callable[[], CallSnapshot | None],
        *,
        tty: bool | None = None,
        interval: float = INTERVAL,
    ) -> None:
        self.reporter = reporter
        self.snapshot = snapshot
        self.tty = bool(getattr(reporter, "isatty", False)) if tty is None else tty
        self.interval = interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._shown = False  # a live line is on the screen now
        self._announced: set[str] = set()  # rounds that got their plain line

    def __enter__(self) -> LiveLine:
        self._thread = threading.Thread(target=self._run, name="trace-opt-live", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            self._erase()

    def write_line(self, line: str, **markup: bool) -> None:
        """A line of the run's own output: the live line makes way for it."""
        with self._lock:
            self._erase()
            self.reporter.write_line(line, **markup)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.update()
            except Exception:  # noqa: BLE001 - a display problem must never stop the run
                return

    def update(self) -> None:
        snap = self.snapshot()
        with self._lock:
            if self.tty:
                self._show(snap)
            elif snap is not None and snap.elapsed >= PLAIN_AFTER:
                round_label = f"round {snap.round}" if snap.round else snap.label
                if round_label not in self._announced:
                    self._announced.add(round_label)
                    self.reporter.write_line(f"trace-opt {round_label}: waiting for the LLM")

    def _show(self, snap: CallSnapshot | None) -> None:
        if snap is None:
            self._erase()
            return
        width = int(getattr(getattr(self.reporter, "_tw", None), "fullwidth", 80) or 80)
        text = mask(f"trace-opt {snap.text()}")[: max(10, width - 1)]
        self.reporter.rewrite(text, erase=True)
        self._shown = True

    def _erase(self) -> None:
        if self._shown:
            self.reporter.rewrite("", erase=True)
            self.reporter.rewrite("")
            self._shown = False
