"""pytest_trace_opt.patch.files: reading, hashing and atomic writes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from test_patch_locate import MODULE

from pytest_trace_opt.patch import (
    SourceChangedError,
    SourceError,
    atomic_write,
    locate_function,
    read_source,
    sha256_file,
    sha256_text,
    splice_function,
    unified_diff,
)
from pytest_trace_opt.patch import files as files_mod

# --------------------------------------------------------------------------- reading, hashing


def test_read_source_preserves_crlf_and_honours_cookie(tmp_path: Path) -> None:
    crlf = tmp_path / "crlf.py"
    crlf.write_bytes(b"x = 1\r\ny = 2\r\n")
    assert read_source(crlf) == "x = 1\r\ny = 2\r\n"
    latin = tmp_path / "latin.py"
    latin.write_bytes("# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n".encode("latin-1"))
    assert read_source(latin) == "# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n"
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfx = 1\n")
    assert read_source(bom) == "x = 1\n"
    with pytest.raises(SourceError, match="missing"):
        read_source(tmp_path / "missing.py")
    bad = tmp_path / "bad.py"
    bad.write_bytes(b"x = '\xff'\n")
    with pytest.raises(SourceError, match="decode"):
        read_source(bad)


def test_sha256(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_bytes("é\r\n".encode())
    assert sha256_file(path) == sha256_text(read_source(path))
    assert sha256_text("a") == "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"


# --------------------------------------------------------------------------- atomic_write


def test_atomic_write_success_with_backup(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(b"old\r\n")
    path.chmod(0o640)
    backup = atomic_write(path, "new\r\n", sha256_file(path))
    assert backup == tmp_path / "m.py.orig"
    assert path.read_bytes() == b"new\r\n"
    assert backup.read_bytes() == b"old\r\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.py", "m.py.orig"]


def test_atomic_write_without_backup_and_text_hash(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("old\n")
    assert atomic_write(path, "new\n", sha256_text(read_source(path)), backup_suffix=None) is None
    assert path.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["m.py"]


def test_atomic_write_refuses_when_changed(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("old\n")
    expected = sha256_file(path)
    path.write_text("edited by the user\n")
    with pytest.raises(SourceChangedError, match="changed on disk"):
        atomic_write(path, "new\n", expected)
    assert path.read_text() == "edited by the user\n"
    assert [p.name for p in tmp_path.iterdir()] == ["m.py"]
    with pytest.raises(SourceChangedError, match="no longer exists"):
        atomic_write(tmp_path / "gone.py", "new\n", expected)


@pytest.mark.parametrize("fail_on_call", [1, 2])
def test_atomic_write_leaves_no_temp_files_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_on_call: int
) -> None:
    path = tmp_path / "m.py"
    path.write_text("old\n")
    expected = sha256_file(path)
    calls = {"n": 0}
    real_replace = os.replace

    def flaky_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls["n"] += 1
        if calls["n"] == fail_on_call:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(files_mod.os, "replace", flaky_replace)
    with pytest.raises(SourceError, match="No space left"):
        atomic_write(path, "new\n", expected)
    assert path.read_text() == "old\n"
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    assert leftovers == (["m.py"] if fail_on_call == 1 else ["m.py", "m.py.orig"])


def test_atomic_write_keeps_encoding_and_follows_symlink(tmp_path: Path) -> None:
    latin = tmp_path / "latin.py"
    latin.write_bytes("# coding: latin-1\ns = 'caf\xe9'\n".encode("latin-1"))
    text = read_source(latin)
    atomic_write(latin, text.replace("caf", "th"), sha256_text(text), backup_suffix=None)
    assert latin.read_bytes() == "# coding: latin-1\ns = 'th\xe9'\n".encode("latin-1")

    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfx = 1\n")
    atomic_write(bom, "x = 2\n", sha256_file(bom), backup_suffix=None)
    assert bom.read_bytes() == b"\xef\xbb\xbfx = 2\n"

    with pytest.raises(SourceError, match="encode"):
        atomic_write(latin, "# coding: latin-1\ns = '日本'\n", sha256_file(latin))

    real = tmp_path / "real.py"
    real.write_text("a = 1\n")
    link = tmp_path / "link.py"
    link.symlink_to(real)
    atomic_write(link, "a = 2\n", sha256_file(link), backup_suffix=None)
    assert link.is_symlink()
    assert real.read_text() == "a = 2\n"


def test_end_to_end_locate_splice_diff_write(tmp_path: Path) -> None:
    path = tmp_path / "agent.py"
    path.write_bytes(MODULE.replace("\n", "\r\n").encode())
    text = read_source(path)
    expected = sha256_file(path)
    loc = locate_function(path, "Agent.greet", text)
    new_text = splice_function(text, loc, "def greet(self, name):\n    return name.title()\n")
    diff = unified_diff(text, new_text, "agent.py")
    assert diff.count("\n+") == 2 + 1  # +++ header and two added lines
    atomic_write(path, new_text, expected)
    assert read_source(path) == new_text
    with pytest.raises(SourceChangedError):
        atomic_write(path, text, expected)


def test_atomic_write_keeps_earlier_backups(tmp_path: Path) -> None:
    """A second apply must not overwrite the first .orig (the pristine original)."""
    path = tmp_path / "m.py"
    path.write_text("v0\n")
    first = atomic_write(path, "v1\n", sha256_file(path))
    second = atomic_write(path, "v2\n", sha256_file(path))
    third = atomic_write(path, "v3\n", sha256_file(path))
    assert [b.name for b in (first, second, third)] == ["m.py.orig", "m.py.orig.1", "m.py.orig.2"]
    assert [b.read_text() for b in (first, second, third)] == ["v0\n", "v1\n", "v2\n"]
    assert path.read_text() == "v3\n"
