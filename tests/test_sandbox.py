"""Evaluations run in a private copy of the project: candidates cannot touch the tree."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import code_reply, tree_hashes

from pytest_trace_opt.core.sandbox import Sandbox, SandboxTooLarge, is_protected

VANDAL = (
    "import os\n"
    "import pathlib\n"
    "def add(a, b):\n"
    "    for name in ('tes' + 't_calc.py', 'calc.py', 'data.txt'):\n"
    "        if os.path.exists(name):\n"
    "            os.remove(name)\n"
    "    pathlib.Path('junk.txt').write_text('x')\n"
    "    return a + b\n"
)


def test_candidate_deleting_files_leaves_the_tree_unchanged(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path]
) -> None:
    root = buggy_project([code_reply(VANDAL)])
    (root / "data.txt").write_text("keep me\n")
    before = tree_hashes(root)
    result = pytester.runpytest_subprocess("--trace-optimize", "--trace-rounds=1")
    # The vandal returns the right sums, but it changed the project's files: rejected, named.
    result.stdout.fnmatch_lines(["*round 1:*rejected*(*calc.py*)*"])
    assert tree_hashes(root) == before
    assert not (root / "junk.txt").exists()


def test_refresh_restores_changed_deleted_and_added_files(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "pkg").mkdir(parents=True)
    (project / "pkg" / "mod.py").write_text("x = 1\n")
    (project / "data.txt").write_text("data\n")
    (project / ".git").mkdir()
    (project / ".git" / "HEAD").write_text("ref\n")
    sandbox = Sandbox(project)
    try:
        assert not (sandbox.root / ".git").exists()
        (sandbox.root / "pkg" / "mod.py").write_text("x = 2\n")
        (sandbox.root / "data.txt").unlink()
        (sandbox.root / "new.txt").write_text("new\n")
        restored = sandbox.refresh()
        assert sorted(restored) == ["data.txt", "new.txt", "pkg/mod.py"]
        assert (sandbox.root / "pkg" / "mod.py").read_text() == "x = 1\n"
        assert (sandbox.root / "data.txt").read_text() == "data\n"
        assert not (sandbox.root / "new.txt").exists()
        assert sandbox.refresh() == []
    finally:
        sandbox.cleanup()
    assert not sandbox.base.exists()
    assert (project / "data.txt").read_text() == "data\n"


def test_too_large_a_project_is_refused(tmp_path: Path) -> None:
    (tmp_path / "big.bin").write_bytes(b"\0" * 2048)
    with pytest.raises(SandboxTooLarge, match="MiB"):
        Sandbox(tmp_path, max_bytes=1024)


def test_refresh_removes_compiled_files_a_candidate_left(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "pkg" / "__pycache__").mkdir(parents=True)
    (project / "pkg" / "mod.py").write_text("x = 1\n")
    (project / "pkg" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"users own")
    sandbox = Sandbox(project)
    try:
        assert not (sandbox.root / "pkg" / "__pycache__").exists()  # never copied
        forged = sandbox.root / "pkg" / "__pycache__" / "mod.cpython-311-pytest-9.pyc"
        forged.parent.mkdir()
        forged.write_bytes(b"forged")
        restored = sandbox.refresh()
        assert restored == ["pkg/__pycache__/mod.cpython-311-pytest-9.pyc"]
        assert all(is_protected(p) for p in restored)
        assert not forged.parent.exists()
    finally:
        sandbox.cleanup()
    assert (project / "pkg" / "__pycache__" / "mod.cpython-311.pyc").read_bytes() == b"users own"
