"""Walls around evaluation children: bubblewrap (``bwrap``), where the machine has it.

The private copy of the project keeps candidate code away from the real tree through
relative paths only. Inside bubblewrap a child sees the whole filesystem read-only except
its sandbox copy and its evaluation directory, gets a private ``/tmp``, no network (a
loopback of its own) and a PID namespace of its own: the controller is not visible under
``/proc``, and every process a candidate starts (``setsid`` daemons included) ends with
the child. We use the well-kept tool rather than walls of our own; where it is missing or
cannot run (no user namespaces in a container), the copy alone remains.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

STRICT_TEXT = "read-only filesystem but the sandbox, private /tmp, no network, own PID namespace"


@dataclass(frozen=True)
class Walls:
    """How children are walled in: ``bwrap`` is None when they are not (``reason`` says why)."""

    bwrap: str | None
    reason: str = ""

    @property
    def strict(self) -> bool:
        return self.bwrap is not None

    def describe(self) -> str:
        if self.bwrap is not None:
            return f"bubblewrap ({STRICT_TEXT})"
        return f"private copy only ({self.reason})"


HIDDEN = ("/tmp", "/dev/shm")  # replaced by private, empty ones inside the walls


def _under(path: str, roots: Sequence[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def interpreter_paths() -> list[Path]:
    """What the child's interpreter reads that the private /tmp would hide: a virtualenv,
    an editable install or a clone under /tmp (its prefix and import path)."""
    seen: list[Path] = []
    for entry in [sys.prefix, sys.exec_prefix, sys.base_prefix, *sys.path, *_package_dirs()]:
        if not entry:
            continue
        path = Path(entry).resolve()
        if _under(str(path), HIDDEN) and path.exists() and path not in seen:
            seen.append(path)
    return seen


def _package_dirs() -> list[str]:
    """The directories of the top-level packages imported here from under /tmp: an editable
    install is found by a finder in site-packages, not through ``sys.path``."""
    dirs = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if "." in name or not file or not _under(str(file), HIDDEN):
            continue
        path = Path(file)
        dirs.append(str(path.parent if path.name == "__init__.py" else path))
    return dirs


def command(
    bwrap: str, writable: Sequence[Path], cwd: Path, readable: Sequence[Path] = ()
) -> list[str]:
    """The bubblewrap prefix that runs a command with only ``writable`` writable; the
    ``readable`` paths stay visible, read-only, where the private /tmp would hide them."""
    args = [
        bwrap,
        "--ro-bind", "/", "/",
        "--dev", "/dev",
        "--tmpfs", "/dev/shm",
        "--proc", "/proc",
        "--tmpfs", "/tmp",
    ]  # fmt: skip
    for path in readable:
        resolved = str(Path(path).resolve())
        args += ["--ro-bind-try", resolved, resolved]
    for path in writable:
        resolved = str(Path(path).resolve())
        args += ["--bind", resolved, resolved]
    for name in ("TMPDIR", "TEMP", "TMP"):  # wherever they pointed, temporary files go to
        args += ["--setenv", name, "/tmp"]  # the private /tmp (elsewhere is read-only)
    args += ["--unsetenv", "PYTEST_DEBUG_TEMPROOT"]  # pytest's own override of the same
    args += [
        "--unshare-all",  # user (where possible), ipc, pid, net, uts, cgroup (where possible)
        "--die-with-parent",
        "--chdir", str(Path(cwd).resolve()),
        "--",
    ]  # fmt: skip
    return args


@functools.lru_cache(maxsize=1)
def probe() -> Walls:
    """Whether bubblewrap is installed and runs here (checked once per process)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return Walls(None, "bubblewrap (bwrap) is not installed")
    true = shutil.which("true") or "/bin/true"
    with tempfile.TemporaryDirectory(prefix="trace-opt-walls-") as tmp:
        try:
            proc = subprocess.run(
                [*command(bwrap, [Path(tmp)], Path(tmp), interpreter_paths()), true],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            return Walls(None, f"bwrap could not start: {exc}")
    if proc.returncode != 0:
        why = " ".join(proc.stderr.split())[:160] or f"exit status {proc.returncode}"
        return Walls(None, f"bwrap cannot run here: {why}")
    return Walls(bwrap)
