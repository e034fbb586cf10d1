"""pytest_trace_opt.patch.diff: git-style diffs that git apply and patch -p1 accept."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_patch_locate import MODULE, P

from pytest_trace_opt.patch import (
    first_changed_line,
    locate_function,
    splice_function,
    unified_diff,
)

# --------------------------------------------------------------------------- unified_diff

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
needs_patch = pytest.mark.skipif(shutil.which("patch") is None, reason="patch not installed")


def run(args: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd), "LC_ALL": "C"}
    return subprocess.run(
        args, cwd=cwd, input=stdin, capture_output=True, text=True, env=env, check=False
    )


def diff_cases() -> list[tuple[str, str, str]]:
    greet = locate_function(P, "Agent.greet", MODULE)
    spliced = splice_function(MODULE, greet, "def greet(self, name):\n    return 'yo'\n")
    crlf = MODULE.replace("\n", "\r\n")
    crlf_spliced = splice_function(
        crlf, locate_function(P, "helper", crlf), "def helper(x):\n    return x * 3\n"
    )
    return [
        (MODULE, spliced, "pkg/agent.py"),
        (crlf, crlf_spliced, "crlf.py"),
        ("a\nb\nc", "a\nB\nc", "no_eol_both.py"),
        ("a\nb\nc", "a\nb\nc\n", "add_eol.py"),
        ("a\nb\nc\n", "a\nb\nc", "drop_eol.py"),
        ("x = 1\n", "x = 2\ny = 'é'\n", "dir with space/uni é.py"),
        (
            "".join(f"l{i}\n" for i in range(40)),
            "".join(f"l{i}\n" for i in range(40) if i % 9),
            "many.py",
        ),
    ]


def write_bytes_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def test_unified_diff_format() -> None:
    assert unified_diff("same\n", "same\n", "a.py") == ""
    diff = unified_diff("a\nb\n", "a\nc", ".\\pkg\\m.py")
    assert diff == (
        "diff --git a/pkg/m.py b/pkg/m.py\n"
        "--- a/pkg/m.py\n"
        "+++ b/pkg/m.py\n"
        "@@ -1,2 +1,2 @@\n"
        " a\n"
        "-b\n"
        "+c\n"
        "\\ No newline at end of file\n"
    )


@needs_git
@pytest.mark.parametrize("case", range(7))
def test_unified_diff_applies_with_git(tmp_path: Path, case: int) -> None:
    old, new, rel = diff_cases()[case]
    assert run(["git", "init", "-q"], tmp_path).returncode == 0
    write_bytes_text(tmp_path / rel, old)
    diff = unified_diff(old, new, rel)
    check = run(["git", "apply", "--check", "-"], tmp_path, diff)
    assert check.returncode == 0, check.stderr + diff
    applied = run(["git", "apply", "-"], tmp_path, diff)
    assert applied.returncode == 0, applied.stderr
    assert (tmp_path / rel).read_bytes() == new.encode("utf-8")


@needs_patch
@pytest.mark.parametrize("case", range(7))
def test_unified_diff_applies_with_patch(tmp_path: Path, case: int) -> None:
    old, new, rel = diff_cases()[case]
    write_bytes_text(tmp_path / rel, old)
    diff = unified_diff(old, new, rel)
    dry = run(["patch", "-p1", "--dry-run", "--binary"], tmp_path, diff)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert (tmp_path / rel).read_bytes() == old.encode("utf-8")
    real = run(["patch", "-p1", "--binary", "--no-backup-if-mismatch"], tmp_path, diff)
    assert real.returncode == 0, real.stdout + real.stderr
    assert (tmp_path / rel).read_bytes() == new.encode("utf-8")


def test_first_changed_line_is_in_the_original_file() -> None:
    old = "".join(f"line {i}\n" for i in range(1, 21))
    assert first_changed_line(unified_diff(old, old.replace("line 9\n", "nine\n"), "f.py")) == 9
    assert first_changed_line(unified_diff(old, old.replace("line 1\n", ""), "f.py")) == 1
    insert = old.replace("line 12\n", "line 12\nnew\n")
    assert first_changed_line(unified_diff(old, insert, "f.py")) == 13
    assert first_changed_line(unified_diff("", "new\n", "f.py")) == 1
    assert first_changed_line("") is None
