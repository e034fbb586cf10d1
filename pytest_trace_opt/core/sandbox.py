"""A private copy of the project where evaluation children run.

LLM-written code runs with the user's privileges; the sandbox keeps what it does with
relative paths (deleting a fixture file, writing next to a test) away from the real
tree. Before and after every evaluation the copy is put back to the state of the original:
files the candidate added are removed, changed or deleted ones are copied again. A
candidate that changed source, tests or configuration on disk is named by the evaluator
and rejected (it could otherwise judge itself, or every later candidate, by forged tests).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Never copied: version control, environments, caches, build output.
IGNORED_DIRS = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__",
    ".pytest_cache", ".mypy_cache", ".ruff_cache", "build", "dist", ".eggs", ".trace-opt",
})  # fmt: skip

MAX_SANDBOX_BYTES = 512 * 1024 * 1024


class SandboxTooLarge(Exception):
    pass


# What the tests are judged by: a candidate that changes one of these on disk is forging.
# Compiled files too: Python and pytest's assertion rewriting read a ``__pycache__`` file
# whose header matches the source's size and mtime instead of the source itself, and the
# children never write one (PYTHONDONTWRITEBYTECODE), so one that appears was forged.
PROTECTED_SUFFIXES = frozenset({".py", ".pyi", ".pth", ".ini", ".cfg", ".toml", ".pyc"})
CACHE_DIR = "__pycache__"


def is_protected(rel: str) -> bool:
    """Source, tests, conftest files and pytest configuration."""
    return Path(rel).suffix in PROTECTED_SUFFIXES


@dataclass(frozen=True)
class Entry:
    """A file as last copied. ``ctime_ns`` cannot be set back by a process: any write,
    even one that restores size and mtime, changes it, so no file needs to be read to
    see that it changed."""

    size: int
    mtime_ns: int
    ctime_ns: int
    symlink: bool


def _entry(path: Path, st: os.stat_result, rel: str) -> Entry:
    return Entry(st.st_size, st.st_mtime_ns, st.st_ctime_ns, stat.S_ISLNK(st.st_mode))


def _walk(root: Path) -> dict[str, Entry]:
    """relpath -> entry of every file under root, ignored dirs pruned."""
    files: dict[str, Entry] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in IGNORED_DIRS and not d.endswith(".egg-info")]
        for name in filenames:
            path = Path(dirpath, name)
            try:
                st = path.lstat()
            except OSError:
                continue
            rel = path.relative_to(root).as_posix()
            files[rel] = _entry(path, st, rel)
    return files


class Sandbox:
    def __init__(self, original: Path, max_bytes: int = MAX_SANDBOX_BYTES) -> None:
        self.original = original.resolve()
        manifest = _walk(self.original)
        total = sum(entry.size for entry in manifest.values())
        if total > max_bytes:
            raise SandboxTooLarge(
                f"{total // (1024 * 1024)} MiB to copy (limit {max_bytes // (1024 * 1024)} MiB)"
            )
        self.base = Path(tempfile.mkdtemp(prefix="trace-opt-sandbox-"))
        self.root = self.base / (self.original.name or "project")
        self.manifest: dict[str, Entry] = {}
        self.overlay: dict[str, bytes] = {}  # relpath -> what the copy holds instead
        self._copy_all(list(manifest))

    def _copy_all(self, paths: list[str]) -> None:
        self.root.mkdir()
        self.manifest = {}
        for rel in paths:
            self._copy(rel)

    def _copy(self, rel: str) -> None:
        source, target = self.original / rel, self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        if rel in self.overlay:
            target.write_bytes(self.overlay[rel])
        elif source.is_symlink():
            os.symlink(os.readlink(source), target)
        else:
            shutil.copy2(source, target)
        self.manifest[rel] = _entry(target, target.lstat(), rel)

    def refresh(self) -> list[str]:
        """Undo whatever the last evaluation did to the copy; returns the paths restored."""
        restored = self._clear_caches()
        current = _walk(self.root)
        for rel in current.keys() - self.manifest.keys():
            (self.root / rel).unlink(missing_ok=True)
            restored.append(rel)
        for rel, entry in self.manifest.items():
            exists = rel in self.overlay or (self.original / rel).exists()
            if current.get(rel) != entry and exists:
                self._copy(rel)
                restored.append(rel)
        return sorted(restored)

    def _clear_caches(self) -> list[str]:
        """Remove every ``__pycache__`` of the copy (none was copied); returns its files."""
        removed: list[str] = []
        for dirpath, dirnames, _ in os.walk(self.root):
            if CACHE_DIR in dirnames:
                cache = Path(dirpath, CACHE_DIR)
                for inner, _, names in os.walk(cache):
                    removed += [Path(inner, n).relative_to(self.root).as_posix() for n in names]
                shutil.rmtree(cache, onerror=_make_writable)
            dirnames[:] = [d for d in dirnames if d not in IGNORED_DIRS]
        return removed

    def recopy(self, overlay: dict[str, bytes] | None = None) -> None:
        """A fresh copy of the original, for the final check: nothing a candidate left in
        the copy (a directory, a changed permission) survives. ``overlay``: files (relpath
        -> content) the copy holds instead of the original's, kept by every refresh until
        the next recopy (the change as it would be written)."""
        shutil.rmtree(self.root, onerror=_make_writable)
        self.overlay = dict(overlay or {})
        self._copy_all(sorted(set(_walk(self.original)) | set(self.overlay)))

    def cleanup(self) -> None:
        shutil.rmtree(self.base, onerror=_make_writable)


def _make_writable(func: object, path: str, exc: object) -> None:
    with contextlib.suppress(OSError):
        os.chmod(os.path.dirname(path), stat.S_IRWXU)
        os.chmod(path, stat.S_IRWXU)
    with contextlib.suppress(OSError):
        os.unlink(path) if os.path.isfile(path) else shutil.rmtree(path, ignore_errors=True)
