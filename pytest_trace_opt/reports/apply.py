"""How to apply a proposal: the one place that decides the command and its wording.

Every report says it from the same :class:`PatchFiles`, the patch files the optimization
actually wrote (see :func:`~pytest_trace_opt.reports.outputs.write_outputs`).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from pytest_trace_opt.model import OptimizationResult

RERUN = "Or re-run with --trace-apply: it writes the change when it passes every test."


@dataclass(frozen=True)
class PatchFiles:
    """The patch files written: the whole proposal (--trace-patch), and one per target."""

    whole: Path | None = None
    per_target: tuple[Path, ...] = ()
    root: Path | None = None  # the repository root the patch paths are relative to


NO_FILES = PatchFiles()


def pending(result: OptimizationResult | None) -> bool:
    """A patch was proposed and not written into the tree."""
    return bool(result is not None and result.patch and not result.applied)


def repo_name(path: Path, root: Path | None) -> str:
    """A written file as a maintainer names it: relative to the repository root if inside."""
    if root is not None:
        with contextlib.suppress(ValueError):
            return path.resolve().relative_to(root.resolve()).as_posix()
    return str(path)


def apply_command(files: PatchFiles) -> str:
    """``git apply <the whole patch>``, run from the repository root; "" when none was written."""
    return f"git apply {repo_name(files.whole, files.root)}" if files.whole else ""


def apply_steps(files: PatchFiles) -> tuple[str, list[str], str]:
    """How a report tells to apply the proposal: (introduction, shell commands, closing)."""
    if files.whole:
        name = repo_name(files.whole, files.root)
        intro = (
            f"--trace-patch wrote the proposal to {name}. From the repository root (the patch "
            "paths are relative to it):"
        )
        return intro, [apply_command(files)], RERUN
    if files.per_target:
        intro = (
            "--trace-patch-dir wrote one patch per target. From the repository root, apply the "
            "patch of one target (each applies alone):"
        )
        return intro, [f"git apply {repo_name(p, files.root)}" for p in files.per_target], RERUN
    intro = (
        "Save the diffs above as fix.patch (or write them with --trace-patch FILE) and, from "
        "the repository root, run:"
    )
    return intro, ["git apply fix.patch"], RERUN


def terminal_line(files: PatchFiles, cwd: Path) -> str:
    """The last line of a run that leaves a proposal pending: the command, from ``cwd``."""
    path = files.whole or (files.per_target[0] if files.per_target else None)
    if path is None:
        return "write it with --trace-patch FILE, or re-run with --trace-apply"
    return f"apply it with: git apply {from_cwd(path, cwd)}   (or re-run with --trace-apply)"


def from_cwd(path: Path, cwd: Path) -> str:
    """A written file as the terminal names it: relative to where pytest was started."""
    try:
        return os.path.relpath(path, cwd)
    except ValueError:  # another drive
        return str(path)
