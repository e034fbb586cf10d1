"""Limits an evaluation child puts on the code under test: per-test time, memory, CPU."""

from __future__ import annotations

import linecache
import os
from types import FrameType


class TestTimeout(BaseException):
    """Raised in a test that ran past its time limit.

    A BaseException so that ``except Exception`` in LLM-written code cannot swallow it.
    """

    __test__ = False


class CandidateInterrupted(Exception):
    """The code under test raised KeyboardInterrupt (only the controller sees real Ctrl-C)."""


_OWN_CODE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # pytest_trace_opt/


def describe_timeout(limit: float, frame: FrameType | None) -> str:
    where = ""
    user_frame = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith("<trace-opt candidate"):
            name = filename[len("<trace-opt candidate ") : -1]
            line = frame.f_lineno
            text = linecache.getline(filename, line).strip()
            where = f": likely an infinite loop in {name} (line {line}: {text})"
            break
        ours = filename.startswith(_OWN_CODE)  # the call recorder, not the code under test
        if (
            user_frame is None
            and not ours
            and "site-packages" not in filename
            and "<" not in filename
        ):
            user_frame = frame
        frame = frame.f_back
    if not where and user_frame is not None:
        code = user_frame.f_code
        where = (
            f": still running {code.co_name}() at "
            f"{os.path.basename(code.co_filename)}:{user_frame.f_lineno} (an infinite loop?)"
        )
    return f"timed out after {limit:g} s{where}"


def apply_limits(memory_mb: int, cpu_seconds: int) -> None:
    """Address-space and CPU-time limits of this child (inherited by xdist workers)."""
    try:
        import resource
    except ImportError:  # not on this platform
        return
    for which, value in (
        (resource.RLIMIT_AS, memory_mb * 1024 * 1024),
        (resource.RLIMIT_CPU, cpu_seconds),
    ):
        if value <= 0:
            continue
        try:
            _soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, hard))
        except (ValueError, OSError):
            pass
