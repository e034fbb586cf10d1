"""From accepted values to patches against the real source files, and writing them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_trace_opt.model import TargetResult
from pytest_trace_opt.patch._text import SourceError
from pytest_trace_opt.patch.diff import unified_diff
from pytest_trace_opt.patch.files import atomic_write, read_source, sha256_text
from pytest_trace_opt.patch.literals import replace_literal
from pytest_trace_opt.patch.locate import locate_function_at, locate_node_literal
from pytest_trace_opt.patch.splice import add_imports, splice_function
from pytest_trace_opt.protocol import TargetInfo


def _edit(text: str, path: Path, info: TargetInfo, value: Any, imports: list[str]) -> str:
    """``text`` with one target changed; the imports its new code adds go to ``imports``."""
    if info.kind == "code":
        loc = locate_function_at(path, info.function_name or "", info.line, text=text)
        return splice_function(text, loc, str(value), imports=imports)
    literal = locate_node_literal(path, info.line, text=text)
    return replace_literal(text, literal, value)


@dataclass(frozen=True)
class FileEdit:
    """All accepted changes to one source file."""

    relpath: str
    original_sha256: str  # of the file when the patch was built: --trace-apply refuses others
    new_text: str
    patch: str


def build_targets(
    rootdir: Path,
    known: dict[str, TargetInfo],
    values: dict[str, Any],
    reached: dict[str, TargetInfo],
    start_hashes: dict[str, str] | None = None,
) -> tuple[list[TargetResult], list[FileEdit]]:
    """One result per trainable reached by the tagged tests, and one edit per changed file."""
    results: list[TargetResult] = []
    by_file: dict[str, list[tuple[TargetInfo, TargetResult]]] = defaultdict(list)
    for key in list(reached) + [k for k in values if k not in reached]:
        info = known.get(key) or reached.get(key)
        if info is None:
            continue
        final = values.get(key, info.original)
        result = TargetResult(
            key=key, kind=info.kind, origin=info.origin,
            name=info.name, file=info.file, line=info.line,
            status="unchanged" if final == info.original else "changed",
            original=info.original, final=final,
        )  # fmt: skip
        results.append(result)
        if result.status == "changed":
            by_file[info.file].append((info, result))
    edits: list[FileEdit] = []
    for relpath, entries in by_file.items():
        path = Path(relpath) if Path(relpath).is_absolute() else rootdir / relpath
        try:
            original = read_source(path)
        except SourceError as exc:  # deleted or made undecodable since the run began
            for _, result in entries:
                result.status, result.note = "not-patchable", str(exc)
            continue
        text = original
        imports: list[str] = []  # with the module's own imports, once all edits are made
        # Bottom-up, so that each edit leaves the line numbers above it valid.
        for info, result in sorted(entries, key=lambda e: -e[0].line):
            try:
                own: list[str] = []
                alone = add_imports(_edit(original, path, info, result.final, own), own)
                text = _edit(text, path, info, result.final, imports)
            except SourceError as exc:
                result.status, result.note = "not-patchable", str(exc)
                continue
            result.patch = unified_diff(original, alone, relpath)
        try:
            text = add_imports(text, imports, relpath)
        except SourceError as exc:
            for _, result in entries:
                result.status, result.note = "not-patchable", str(exc)
            continue
        if text != original:
            patch = unified_diff(original, text, relpath)
            # --trace-apply refuses a file that changed since the run began.
            expected = (start_hashes or {}).get(relpath, sha256_text(original))
            edits.append(FileEdit(relpath, expected, text, patch))
    return results, edits


def combined_patch(edits: list[FileEdit]) -> str:
    return "".join(edit.patch for edit in edits)


def write_changes(rootdir: Path, edits: list[FileEdit]) -> tuple[list[str], str]:
    """Write each changed file atomically (a .orig backup beside it). Returns (files, note)."""
    written: list[str] = []
    backups: list[str] = []
    problems: list[str] = []
    for edit in edits:
        path = Path(edit.relpath) if Path(edit.relpath).is_absolute() else rootdir / edit.relpath
        try:
            backup = atomic_write(path, edit.new_text, edit.original_sha256, backup_suffix=".orig")
        except SourceError as exc:
            problems.append(f"{edit.relpath}: {exc}")
            continue
        written.append(edit.relpath)
        if backup is not None:
            backups.append(backup.name)
    note = ""
    if written:
        if all(b.endswith(".orig") for b in backups):
            note = f"wrote {', '.join(written)} (previous content in .orig files)"
        else:
            note = f"wrote {', '.join(written)} (previous content in {', '.join(backups)})"
    if problems:
        note = "; ".join(filter(None, [note, "not written: " + "; ".join(problems)]))
    return written, note
