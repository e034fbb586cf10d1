"""What a timed-out test is said to be doing (child.limits.describe_timeout): the code
under test, never the plugin's own call recorder that happened to be on top of the stack."""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType

import pytest_trace_opt
from pytest_trace_opt.child.limits import describe_timeout

RECORDER_FILE = str(Path(pytest_trace_opt.__file__).parent / "child" / "steps.py")


def _recorder_on_top() -> FrameType:
    # a frame of the plugin's own code, as the line recorder is while it records a line
    namespace: dict[str, object] = {"sys": sys}
    exec(compile("def full():\n    return sys._getframe()\n", RECORDER_FILE, "exec"), namespace)
    return namespace["full"]()  # type: ignore[operator,no-any-return]


def spinning_user_code() -> FrameType:
    return _recorder_on_top()


def test_a_timeout_names_the_code_under_test_not_the_recorder() -> None:
    text = describe_timeout(5, spinning_user_code())
    assert text.startswith("timed out after 5 s: still running ")
    assert "full()" not in text and "steps.py" not in text
    assert "_recorder_on_top() at test_child_limits.py:" in text
