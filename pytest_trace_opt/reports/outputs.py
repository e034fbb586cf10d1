"""Every file an optimization writes, each once, from its result: the one place that writes.

:func:`write_outputs` writes the ``--trace-patch`` file, the ``--trace-patch-dir`` patches,
the ``--trace-report-json`` and ``--trace-report-html`` reports and, under GitHub Actions,
the job summary; it returns what the terminal says about them. Patches are re-rooted at the
git repository root, so that ``git apply`` works from there. :func:`write_plan_report`
writes the JSON report of ``--trace-plan``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_trace_opt.model import OptimizationResult
from pytest_trace_opt.patch import git_toplevel, repo_prefix, reprefix_patch
from pytest_trace_opt.reports.apply import PatchFiles, apply_command, from_cwd
from pytest_trace_opt.reports.github import annotation_lines, summary_markdown
from pytest_trace_opt.reports.html import html_report
from pytest_trace_opt.reports.json_report import optimization_report, plan_report, report_text
from pytest_trace_opt.secrets import mask
from pytest_trace_opt.settings import Settings


@dataclass
class Outputs:
    """What :func:`write_outputs` wrote, for the terminal summary."""

    files: PatchFiles = field(default_factory=PatchFiles)
    lines: list[str] = field(default_factory=list)  # "what: where", or "what: could not write"
    annotations: list[str] = field(default_factory=list)  # GitHub workflow commands to print


def patch_file_name(key: str, taken: set[str]) -> str:
    """A file name for the patch of one target, unique within ``taken`` (which it updates)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("._-") or "target"
    stem = stem[:120]
    name, n = f"{stem}.patch", 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}.patch"
    taken.add(name)
    return name


def write_outputs(
    result: OptimizationResult,
    settings: Settings,
    rootdir: Path,
    cwd: Path,
    environ: Mapping[str, str] = os.environ,
) -> Outputs:
    """Write every output ``settings`` asks for; set ``result.patch_file`` to the patch written.

    One output failing (a full disk, a directory in the way) does not cost the others: it
    becomes a line of the returned :class:`Outputs`.
    """
    out = Outputs()
    toplevel = git_toplevel(rootdir)
    prefix = repo_prefix(rootdir, toplevel)
    root = Path(environ["GITHUB_WORKSPACE"]) if environ.get("GITHUB_WORKSPACE") else toplevel

    def guarded(what: str, write: Callable[..., Any], *args: Any) -> Any:
        try:
            return write(*args)
        except OSError as exc:
            out.lines.append(f"{what}: could not write: {exc}")
            return None

    whole = None
    if settings.patch is not None and result.patch:
        text = reprefix_patch(result.patch, prefix)
        whole = guarded("--trace-patch", _write, settings.patch, text)
        result.patch_file = str(whole) if whole else None
    per_target: list[Path] = []
    if settings.patch_dir is not None:
        guarded(
            "--trace-patch-dir", _write_patch_dir, result, settings.patch_dir, prefix, per_target
        )
        if per_target:
            names = ", ".join(from_cwd(p, cwd) for p in per_target)
            out.lines.append(f"patch per target (git apply from the repository root): {names}")
    out.files = PatchFiles(whole, tuple(per_target), root)
    if settings.report_json is not None:
        report = report_text(optimization_report(result))
        guarded("--trace-report-json", _write, settings.report_json, report)
    if settings.report_html is not None:
        page = html_report(result, prefix, out.files)
        if guarded("--trace-report-html", _write, settings.report_html, page):
            out.lines.append(f"HTML report: {from_cwd(settings.report_html, cwd)}")
    if settings.github == "on" and environ.get("GITHUB_ACTIONS") == "true":
        summary = environ.get("GITHUB_STEP_SUMMARY")
        markdown = summary_markdown(result, prefix, out.files)
        if summary and guarded("GitHub Actions", _append, Path(summary), markdown):
            out.lines.append("GitHub job summary: appended to $GITHUB_STEP_SUMMARY")
        lines = annotation_lines(result, prefix, toplevel, apply_command(out.files))
        out.annotations = [mask(line) for line in lines]
    return out


def write_plan_report(path: Path, plan: dict[str, Any]) -> None:
    """The JSON report of ``--trace-plan --trace-report-json``."""
    _write(path, report_text(plan_report(plan)))


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(mask(text), encoding="utf-8")
    return path


def _append(path: Path, text: str) -> Path:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(mask(text))
    return path


def _write_patch_dir(
    result: OptimizationResult, directory: Path, prefix: str, written: list[Path]
) -> None:
    """One patch per changed target, each applying on its own from the repository root."""
    directory.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    for target in result.changed_targets:
        if target.patch:
            path = directory / patch_file_name(target.key, taken)
            written.append(_write(path, reprefix_patch(target.patch, prefix)))
