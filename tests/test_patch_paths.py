"""pytest_trace_opt.patch.paths: patches re-rooted at the git repository root, and that root."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_trace_opt.patch import (
    git_toplevel,
    repo_path,
    repo_prefix,
    reprefix_patch,
    unified_diff,
)


def git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def git_init(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    done = git(root, "init", "-q", ".")
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def needs_git() -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")


HEADER_LOOKALIKE_OLD = "-- a/m.py\n++ b/m.py\nkeep\n"
HEADER_LOOKALIKE_NEW = "keep\n"


def test_reprefix_patch_rewrites_headers_only() -> None:
    patch = unified_diff(HEADER_LOOKALIKE_OLD, HEADER_LOOKALIKE_NEW, "m.py")
    patch += unified_diff("a\n", "b\n", "pkg/n.py")
    out = reprefix_patch(patch, "sub/dir")
    assert out.splitlines() == [
        "diff --git a/sub/dir/m.py b/sub/dir/m.py",
        "--- a/sub/dir/m.py",
        "+++ b/sub/dir/m.py",
        "@@ -1,3 +1 @@",
        "--- a/m.py",  # removed lines that look like headers stay as they are
        "-++ b/m.py",
        " keep",
        "diff --git a/sub/dir/pkg/n.py b/sub/dir/pkg/n.py",
        "--- a/sub/dir/pkg/n.py",
        "+++ b/sub/dir/pkg/n.py",
        "@@ -1 +1 @@",
        "-a",
        "+b",
    ]
    assert reprefix_patch(patch, "") == patch
    assert reprefix_patch(patch, "/") == patch
    assert reprefix_patch("", "sub") == ""
    new_file = (
        "diff --git a/x b/x\nnew file mode 100644\n--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+x\n"
    )
    assert reprefix_patch(new_file, "s/").splitlines()[2:4] == ["--- /dev/null", "+++ b/s/x"]


@pytest.mark.usefixtures("needs_git")
@pytest.mark.parametrize(
    ("prefix", "name"),
    [
        ("sub", "plain.py"),
        ("my app", "with space.py"),
        ("sub", 'quo"te.py'),
        ("dir\twith tab", "x.py"),
        ("ünï", "çödé.py"),
    ],
)
def test_reprefixed_patches_apply_from_the_git_root(tmp_path: Path, prefix: str, name: str) -> None:
    repo = git_init(tmp_path / "repo")
    old, new = HEADER_LOOKALIKE_OLD, HEADER_LOOKALIKE_NEW
    (repo / prefix).mkdir(parents=True)
    (repo / prefix / name).write_text(old, encoding="utf-8")
    patch = tmp_path / "p.patch"
    patch.write_text(reprefix_patch(unified_diff(old, new, name), prefix), encoding="utf-8")
    done = git(repo, "apply", str(patch))
    assert done.returncode == 0, (patch.read_text("utf-8"), done.stderr)
    assert (repo / prefix / name).read_text(encoding="utf-8") == new


@pytest.mark.usefixtures("needs_git")
def test_repo_prefix_of_a_rootdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    repo = git_init(tmp_path / "repo")
    sub = repo / "a" / "b"
    sub.mkdir(parents=True)
    top = git_toplevel(sub)
    assert top is not None and top.resolve() == repo.resolve()
    assert repo_prefix(sub, top) == "a/b/"
    assert repo_prefix(repo, top) == ""
    assert git_toplevel(tmp_path) is None
    assert repo_prefix(tmp_path, None) == ""
    assert repo_prefix(tmp_path, repo) == ""  # outside the repository: no prefix


def test_repo_path_of_a_target_file(tmp_path: Path) -> None:
    assert repo_path("pkg/m.py", "sub/", None) == "sub/pkg/m.py"
    assert repo_path("pkg/m.py", "", None) == "pkg/m.py"
    inside = tmp_path / "repo" / "a" / "m.py"
    assert repo_path(str(inside), "", tmp_path / "repo") == "a/m.py"
    assert repo_path(str(inside), "", None) is None  # absolute, and no repository known
    assert repo_path(str(tmp_path / "elsewhere.py"), "", tmp_path / "repo") is None
