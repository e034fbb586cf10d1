"""End to end with the real local model (marker ``llm``): a real repair through
``pytest --trace-optimize``, in-process and through LiteLLM against llama.cpp's server,
and a cassette replay that reproduces the recorded run exactly.

Outside CI these skip when the model or llama-cpp-python is missing; under CI they fail.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from test_llm_real import llama_server, model_file  # noqa: F401  (fixtures)

pytestmark = pytest.mark.llm

BUGGY = '''\
from pytest_trace_opt import trainable


@trainable
def slugify(text):
    """Lowercase the text and join its words with dashes: "Hello World" -> "hello-world"."""
    return text.lower().replace(" ", "_")
'''

TESTS = """\
import pytest
from slug import slugify

pytestmark = pytest.mark.trainable


def test_two_words():
    assert slugify("Hello World") == "hello-world"


def test_one_word():
    assert slugify("Hello") == "hello"


def test_three_words():
    assert slugify("big red dog") == "big-red-dog"


@pytest.mark.trainable(holdout=True)
def test_holdout_four_words():
    assert slugify("A B C D") == "a-b-c-d"
"""


def _project(pytester: pytest.Pytester) -> Path:
    pytester.makepyfile(slug=BUGGY, test_slug=TESTS)
    subprocess.run(["git", "init", "-q"], cwd=pytester.path, check=True)
    return pytester.path


def _run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict]:
    result = pytester.runpytest_subprocess(
        "--trace-optimize",
        "--trace-rounds=3",
        "--trace-patch=fix.patch",
        "--trace-report-json=report.json",
        "-p",
        "no:randomly",
        *args,
        timeout=1800,
    )
    report = json.loads((pytester.path / "report.json").read_text())
    return result, report


def _assert_real_repair(pytester: pytest.Pytester, result: pytest.RunResult, report: dict) -> None:
    original = (pytester.path / "slug.py").read_text()
    assert original.rstrip() == BUGGY.rstrip(), "the tree must not change without --trace-apply"
    assert report["outcome"] == "fixed", result.stdout.str()
    assert result.ret == 0
    assert report["llm"]["calls"] >= 1
    assert report["llm"]["prompt_tokens"] > 0 and report["llm"]["completion_tokens"] > 0
    patch = (pytester.path / "fix.patch").read_text()
    assert "+++ b/slug.py" in patch
    check = subprocess.run(
        ["git", "apply", "--check", "fix.patch"], cwd=pytester.path, capture_output=True
    )
    assert check.returncode == 0, check.stderr
    result.stdout.fnmatch_lines(["*trace-opt round 1:*", "*changed slugify*"])


def test_real_repair_in_process_then_replayed_exactly(
    pytester: pytest.Pytester,
    model_file: Path,  # noqa: F811
) -> None:
    _project(pytester)
    cassette = pytester.path / "llm.cassette.json"
    recorded, report = _run(
        pytester,
        f"--trace-cassette={cassette}",
        "--trace-record-mode=once",
        f"--trace-llm-model-path={model_file}",  # pytester moves HOME, and the default cache
    )
    _assert_real_repair(pytester, recorded, report)
    patch = (pytester.path / "fix.patch").read_bytes()
    assert cassette.exists()

    # Replay only: no model call may happen, and the run must come out the same.
    replayed, replay_report = _run(
        pytester,
        f"--trace-cassette={cassette}",
        "--trace-record-mode=none",
        f"--trace-llm-model-path={model_file}",  # part of the request key
    )
    assert replayed.ret == 0, replayed.stdout.str()
    assert replay_report["llm"]["replayed_calls"] == replay_report["llm"]["calls"] >= 1
    assert (pytester.path / "fix.patch").read_bytes() == patch
    assert [r["response"] for r in replay_report["rounds"]] == [
        r["response"] for r in report["rounds"]
    ]
    assert [r["status"] for r in replay_report["rounds"]] == [r["status"] for r in report["rounds"]]


def test_real_repair_through_litellm_server(
    pytester: pytest.Pytester,
    llama_server: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "not-needed-by-a-local-server")
    _project(pytester)
    result, report = _run(
        pytester, "--trace-llm=openai/qwen", f"--trace-llm-base-url={llama_server}"
    )
    _assert_real_repair(pytester, result, report)
    assert report["llm"]["model"] == "openai/qwen"


PRICES = '''\
from pytest_trace_opt import trainable


@trainable
def price_label(cents):
    """A price in cents as euros with two decimals: 1205 -> "12.05"."""
    return f"{cents // 100}.{cents % 100}"
'''

PRICE_TESTS = """\
import pytest
from prices import price_label

pytestmark = pytest.mark.trainable


@pytest.mark.parametrize("cents,label", [(1205, "12.05"), (1250, "12.50"), (99, "0.99")])
def test_label(cents, label):
    assert price_label(cents) == label


@pytest.mark.trainable(holdout=True)
def test_holdout_whole_euros():
    assert price_label(300) == "3.00"
"""


def test_the_first_call_fills_in_the_suspicious_statement_with_the_real_model(
    pytester: pytest.Pytester,
    model_file: Path,  # noqa: F811
) -> None:
    # No small edit pads the cents; the model fills in the return statement from the
    # module, the failing calls shown as comments and the code around it: one call, its
    # samples each a candidate.
    pytester.makepyfile(prices=PRICES, test_prices=PRICE_TESTS)
    cassette = pytester.path / "llm.cassette.json"
    result, report = _run(
        pytester,
        f"--trace-cassette={cassette}",
        "--trace-record-mode=all",
        f"--trace-llm-model-path={model_file}",
    )
    first = report["rounds"][2]  # baseline, edit search, round 1
    assert first["stage"] == "infill", result.stdout.str()
    assert first["reason"].startswith("filled in line 7 of price_label"), first["reason"]
    assert first["llm_calls"] == 1 and first["samples"] >= 2
    asked = json.loads(cassette.read_text())["interactions"][0]["request"]["messages"]
    assert [m["role"] for m in asked] == ["fim_prefix", "fim_suffix"]
    assert "# Failing test: price_label(cents=" in asked[0]["content"]
    assert asked[0]["content"].endswith(
        'def price_label(cents):\n    """A price in cents as euros with two decimals: 1205 -> '
        '"12.05"."""\n    '
    )
    assert report["outcome"] == "fixed", result.stdout.str()
    assert report["llm"]["calls"] == 1
