"""Tiny pytest plugin used by the benchmark harness: a per-test time limit.

Loaded with ``-p bench_timeout`` (``benchmarks/baselines`` on ``PYTHONPATH``). A test
that runs longer than ``BENCH_TEST_TIMEOUT`` seconds (default 5) fails with
``BenchTestTimeout`` instead of hanging the whole run (SIGALRM; main thread only).
"""

from __future__ import annotations

import os
import signal

import pytest


class BenchTestTimeout(Exception):
    """The test ran past the benchmark's per-test limit."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    limit = float(os.environ.get("BENCH_TEST_TIMEOUT", "5"))

    def on_alarm(signum, frame):
        raise BenchTestTimeout(f"test did not finish within {limit:g} s (hangs?)")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
