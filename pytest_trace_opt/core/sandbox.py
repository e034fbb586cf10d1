"""A private copy of the project where evaluation children run.

LLM-written code runs with the user's privileges; the sandbox keeps what it does with
relative paths (deleting a fixture file, writing next to a test) away from the real
tree. Before every evaluation the copy is put back to the state of the original:
files the candidate added are removed, changed or deleted ones are copied again.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

# Never copied: version control, environments, caches, build output.
IGNORED_DIRS = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__",
    ".pytest_cache", ".mypy_cache", ".ruff_cache", "build", "dist", ".eggs", ".trace-opt",
})  # fmt: skip

MAX_SANDBOX_BYTES = 512 * 1024 * 1024


class SandboxTooLarge(Exception):
    pass


def _walk(root: Path) -> dict[str, tuple[int, int, bool]]:
    """relpath -> (size, mtime_ns, is_symlink) of every file under root, ignored dirs pruned."""
    files: dict[str, tuple[int, int, bool]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in IGNORED_DIRS and not d.endswith(".egg-info")]
        for name in filenames:
            path = Path(dirpath, name)
            try:
                st = path.lstat()
            except OSError:
                continue
            rel = path.relative_to(root).as_posix()
            files[rel] = (st.st_size, st.st_mtime_ns, stat.S_ISLNK(st.st_mode))
    return files


class Sandbox:
    def __init__(self, original: Path, max_bytes: int = MAX_SANDBOX_BYTES) -> None:
        self.original = original.resolve()
        manifest = _walk(self.original)
        total = sum(size for size, _, _ in manifest.values())
        if total > max_bytes:
            raise SandboxTooLarge(
                f"{total // (1024 * 1024)} MiB to copy (limit {max_bytes // (1024 * 1024)} MiB)"
            )
        self.base = Path(tempfile.mkdtemp(prefix="trace-opt-sandbox-"))
        self.root = self.base / (self.original.name or "project")
        self.root.mkdir()
        self.manifest: dict[str, tuple[int, int, bool]] = {}
        for rel in manifest:
            self._copy(rel)

    def _copy(self, rel: str) -> None:
        source, target = self.original / rel, self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
        else:
            shutil.copy2(source, target)
        st = target.lstat()
        self.manifest[rel] = (st.st_size, st.st_mtime_ns, stat.S_ISLNK(st.st_mode))

    def refresh(self) -> list[str]:
        """Undo whatever the last evaluation did to the copy; returns the paths restored."""
        restored: list[str] = []
        current = _walk(self.root)
        for rel in current.keys() - self.manifest.keys():
            (self.root / rel).unlink(missing_ok=True)
            restored.append(rel)
        for rel, entry in self.manifest.items():
            if current.get(rel) != entry and (self.original / rel).exists():
                self._copy(rel)
                restored.append(rel)
        return restored

    def cleanup(self) -> None:
        def make_writable(func: object, path: str, exc: object) -> None:
            os.chmod(path, stat.S_IRWXU)
            os.unlink(path) if os.path.isfile(path) else os.rmdir(path)

        shutil.rmtree(self.base, onerror=make_writable)
