"""Terminal summary of an optimization: a pure function yielding lines."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from pytest_trace_opt.model import OptimizationResult

OUTCOME_TEXT = {
    "fixed": "every tagged test passes with the proposed change",
    "passing": "every tagged test already passed: nothing to change",
    "improved": "more tagged tests pass with the proposed change, not all",
    "unchanged": "no candidate improved on the original code",
    "error": "the optimization could not run",
}


def summary_lines(result: OptimizationResult, cwd: Path | None = None) -> Iterator[str]:
    yield f"outcome: {OUTCOME_TEXT.get(result.outcome, result.outcome)}"
    yield f"stopped: {result.stop_reason}"
    yield f"tagged tests: before {result.before.text()}; after {result.after.text()}"
    broken = result.final_check.get("broken_outside_tagged") or []
    if broken:
        yield f"WARNING: the change breaks {len(broken)} untagged test(s): " + ", ".join(broken)
    llm = result.llm
    if llm.get("calls") is not None:
        cost = f", ${llm['cost']:.4f}" if llm.get("cost") else ""
        yield (
            f"LLM: {llm.get('model')} via {llm.get('optimizer')}: {llm.get('calls', 0)} call(s), "
            f"{llm.get('prompt_tokens', 0)}+{llm.get('completion_tokens', 0)} tokens, "
            f"{llm.get('seconds', 0):.1f} s{cost}"
        )
    for problem in result.problems:
        yield f"problem: {problem}"
    for target in result.targets:
        where = f"{target.file}:{target.line}"
        if target.status == "changed":
            yield f"changed {target.name} ({where}):"
            yield from target.patch.rstrip("\n").splitlines()
        elif target.status == "not-patchable":
            yield f"cannot patch {target.name} ({where}): {target.note}"
        else:
            yield f"unchanged {target.name} ({where})"
    if result.applied:
        yield f"applied: {result.apply_note}"
    elif result.apply_note:
        yield f"--trace-apply: {result.apply_note}"
    if result.patch:
        if result.patch_file:
            shown = result.patch_file
            if cwd is not None:
                with contextlib.suppress(ValueError):
                    shown = os.path.relpath(result.patch_file, cwd)
            if not result.applied:
                yield f"apply it with: git apply {shown}   (or re-run with --trace-apply)"
        elif not result.applied:
            yield "write it with --trace-patch FILE, or re-run with --trace-apply"
