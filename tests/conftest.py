"""Shared helpers: pytester projects whose LLM is a scripted test double."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

# The conftest written into a pytester project. ``ScriptedLLM`` is a test double: it
# replays fixed reply texts (the last one repeats) and logs each prompt to a file.
SCRIPTED_LLM_CONFTEST = '''\
import json
from pathlib import Path
from types import SimpleNamespace

REPLIES = json.loads(Path(__file__).with_name("scripted_replies.json").read_text("utf-8"))
PROMPT_LOG = Path(__file__).with_name("prompts.log")


class ScriptedLLM:
    """Test double for the LLM: returns the scripted replies in order."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.calls = 0

    def __call__(self, messages=None, **kwargs):
        text = self.replies[min(self.calls, len(self.replies) - 1)]
        self.calls += 1
        with PROMPT_LOG.open("a", encoding="utf-8") as log:
            log.write(json.dumps(messages) + "\\n")
        message = SimpleNamespace(content=text)
        return SimpleNamespace(
            choices=[SimpleNamespace(message=message)],
            usage={"prompt_tokens": 11, "completion_tokens": 7},
        )


def pytest_trace_opt_make_llm(config, settings):
    return ScriptedLLM(REPLIES)
'''

# For a project's conftest: the LLM double is what the project tests, so the edit search,
# which could fix its one-token bug before any LLM call, stays off unless the run asks for it.
LLM_PATH_ONLY = """

def pytest_configure(config):
    if config.getoption("trace_edit_search", None) is None:
        config.option.trace_edit_search = "0"
"""

BUGGY_MODULE = '''\
from pytest_trace_opt import trainable


@trainable
def add(a, b):
    """Return the sum of a and b."""
    return a - b
'''

CORRECT_ADD = "def add(a, b):\n    return a + b\n"

VISIBLE_TESTS = """\
import pytest

from calc import add


@pytest.mark.trainable
def test_small():
    assert add(2, 3) == 5


@pytest.mark.trainable
def test_zero():
    assert add(0, 4) == 4
"""


def code_reply(code: str, name: str = "__code0", reasoning: str = "fix the operator") -> str:
    """An OptoPrime-style reply suggesting ``code`` for the variable ``name``."""
    return json.dumps({"reasoning": reasoning, "answer": "", "suggestion": {name: code}})


# Written by the test harness, not by the plugin: pytester's captured output, the prompt log.
HARNESS_FILES = {"stdout", "stderr", "prompts.log"}


def tree_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (caches, bytecode and harness files ignored)."""
    hashes: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if set(rel.parts) & {"__pycache__", ".pytest_cache"} or not path.is_file():
            continue
        if rel.as_posix() in HARNESS_FILES:
            continue
        hashes[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


@pytest.fixture
def scripted_llm(pytester: pytest.Pytester) -> Callable[[Sequence[str]], None]:
    """Call with reply texts: the project's LLM becomes a ``ScriptedLLM`` replaying them."""

    def install(replies: Sequence[str]) -> None:
        pytester.makeconftest(SCRIPTED_LLM_CONFTEST + LLM_PATH_ONLY)
        (pytester.path / "scripted_replies.json").write_text(
            json.dumps(list(replies)), encoding="utf-8"
        )

    return install


@pytest.fixture
def buggy_project(
    pytester: pytest.Pytester, scripted_llm: Callable[[Sequence[str]], None]
) -> Callable[..., Path]:
    """A project with a buggy ``calc.add`` and tagged tests; returns the project path."""

    def make(replies: Sequence[str], tests: str = VISIBLE_TESTS) -> Path:
        scripted_llm(replies)
        pytester.makepyfile(calc=BUGGY_MODULE, test_calc=tests)
        return pytester.path

    return make


@pytest.fixture
def git_available() -> str:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    return git


def read_prompts(root: Path) -> list[str]:
    log = root / "prompts.log"
    if not log.exists():
        return []
    return [json.dumps(json.loads(line)) for line in log.read_text("utf-8").splitlines()]


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """The evaluation child's runtime, made in this process (no child, no spec file): for
    tests of how candidates and calls are run and recorded."""
    from pytest_trace_opt.child import runtime as child_runtime
    from pytest_trace_opt.protocol import ChildLimits, ChildSpec

    limits = ChildLimits(
        test_timeout=5, memory_limit_mb=0, cpu_limit_s=0, max_repr=200, max_calls_per_test=20
    )
    made = child_runtime.Runtime(ChildSpec(str(tmp_path), {}, -1, limits))
    monkeypatch.setattr(child_runtime, "_RUNTIME", made)
    return made
