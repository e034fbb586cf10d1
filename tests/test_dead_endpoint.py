"""An unreachable LLM endpoint ends the optimization in seconds with one clear line."""

from __future__ import annotations

import json
import socket
import time

import pytest
from conftest import BUGGY_MODULE, VISIBLE_TESTS, tree_hashes


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends


def test_dead_endpoint_stops_cleanly(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(calc=BUGGY_MODULE, test_calc=VISIBLE_TESTS)
    before = tree_hashes(pytester.path)
    port = _closed_port()
    started = time.monotonic()
    result = pytester.runpytest_subprocess(
        "--trace-optimize",
        "--trace-edit-search=0",  # the LLM must be asked: the edit search would fix add
        "--trace-llm=openai/any-model",
        f"--trace-llm-base-url=http://127.0.0.1:{port}/v1",
        "--trace-report-json=report.json",
        timeout=300,
    )
    elapsed = time.monotonic() - started
    # the tests still fail: exit status 1, and no traceback from the provider's client
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str()
    assert "Traceback" not in out and "INTERNALERROR" not in out
    result.stdout.fnmatch_lines([f"stopped: *127.0.0.1:{port}*"])
    report = json.loads((pytester.path / "report.json").read_text())
    assert "127.0.0.1" in report["stop_reason"]
    assert report["outcome"] == "error"  # the optimization could not run, not "unchanged"
    assert report["patch"] == ""
    assert tree_hashes(pytester.path) == before | {
        "report.json": tree_hashes(pytester.path)["report.json"]
    }
    assert elapsed < 120, elapsed  # seconds, not minutes (generous for a loaded machine)


def test_missing_local_model_names_the_fix(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(calc=BUGGY_MODULE, test_calc=VISIBLE_TESTS)
    result = pytester.runpytest_subprocess(
        "--trace-optimize",
        "--trace-edit-search=0",
        "--trace-llm-model-path=/nonexistent/model.gguf",
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["stopped: *model file not found*pytest_trace_opt.local fetch*"])
    assert "INTERNALERROR" not in result.stdout.str()
