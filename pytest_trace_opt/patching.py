"""From accepted values to patches against the real source files, and writing them."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from pytest_trace_opt.result import TargetResult
from pytest_trace_opt.source import (
    SourceError,
    atomic_write,
    locate_function_at,
    locate_node_literal,
    read_source,
    replace_literal,
    sha256_text,
    splice_function,
    unified_diff,
)


def _edit(text: str, path: Path, info: dict[str, Any], value: Any) -> str:
    if info["kind"] == "code":
        loc = locate_function_at(path, info["function_name"], int(info["line"]), text=text)
        return splice_function(text, loc, str(value))
    literal = locate_node_literal(path, int(info["line"]), text=text)
    return replace_literal(text, literal, value)


def build_targets(
    rootdir: Path,
    known: dict[str, dict[str, Any]],
    values: dict[str, Any],
    reached: dict[str, dict[str, Any]],
) -> list[TargetResult]:
    """One result per trainable reached by the tagged tests; diffs per file, combined."""
    results: list[TargetResult] = []
    by_file: dict[str, list[tuple[dict[str, Any], TargetResult]]] = defaultdict(list)
    for key in list(reached) + [k for k in values if k not in reached]:
        info = known.get(key) or reached.get(key)
        if info is None:
            continue
        final = values.get(key, info["original"])
        result = TargetResult(
            key=key, kind=info["kind"], origin=info.get("origin", "trainable"),
            name=info["name"], file=info["file"], line=int(info["line"]),
            status="unchanged" if final == info["original"] else "changed",
            original=info["original"], final=final,
        )  # fmt: skip
        results.append(result)
        if result.status == "changed":
            by_file[info["file"]].append((info, result))
    for relpath, entries in by_file.items():
        path = Path(relpath) if Path(relpath).is_absolute() else rootdir / relpath
        try:
            original = read_source(path)
        except OSError as exc:
            for _, result in entries:
                result.status, result.note = "not-patchable", f"cannot read {relpath}: {exc}"
            continue
        text = original
        # Bottom-up, so that each edit leaves the line numbers above it valid.
        for info, result in sorted(entries, key=lambda e: -int(e[0]["line"])):
            try:
                alone = _edit(original, path, info, result.final)
                text = _edit(text, path, info, result.final)
            except SourceError as exc:
                result.status, result.note = "not-patchable", str(exc)
                continue
            result.patch = unified_diff(original, alone, relpath)
        file_patch = unified_diff(original, text, relpath)
        owner = next((r for _, r in entries if r.status == "changed"), None)
        if owner is not None:
            owner.note = owner.note or ""
            owner.__dict__["file_patch"] = file_patch
            owner.__dict__["file_hash"] = sha256_text(original)
            owner.__dict__["file_text"] = text
    return results


def combined_patch(targets: list[TargetResult]) -> str:
    return "".join(t.__dict__.get("file_patch", "") for t in targets)


def write_changes(rootdir: Path, targets: list[TargetResult]) -> tuple[list[str], str]:
    """Write each changed file atomically (a .orig backup beside it). Returns (files, note)."""
    written: list[str] = []
    problems: list[str] = []
    for target in targets:
        new_text = target.__dict__.get("file_text")
        if new_text is None:
            continue
        path = Path(target.file) if Path(target.file).is_absolute() else rootdir / target.file
        try:
            atomic_write(path, new_text, target.__dict__["file_hash"], backup_suffix=".orig")
        except SourceError as exc:
            problems.append(f"{target.file}: {exc}")
            continue
        written.append(target.file)
    note = f"wrote {', '.join(written)} (previous content in .orig files)" if written else ""
    if problems:
        note = "; ".join(filter(None, [note, "not written: " + "; ".join(problems)]))
    return written, note
