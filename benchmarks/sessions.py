"""Running one command of the benchmark harness in a session of its own.

Used by ``check_corpus.py`` and ``baselines/`` (so by ``run.py`` too); only the standard
library, nothing here imports the plugin.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path


def run_in_session(
    cmd: list[str], cwd: Path, env: dict[str, str], timeout: float
) -> tuple[int | None, str, float]:
    """Run ``cmd`` in its own session, no terminal on stdin (no prompts); on timeout, or when
    the runner itself is stopped, kill that process group (ours) only.

    Returns (exit status or None on timeout, combined output, seconds)."""
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out, time.monotonic() - started
    except subprocess.TimeoutExpired:
        _kill_session(proc)
        out, _ = proc.communicate()
        return None, out or "", time.monotonic() - started
    except BaseException:
        # the runner is stopped (Ctrl-C, SIGTERM): the command's own session would outlive it
        _kill_session(proc)
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        raise


def _kill_session(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
