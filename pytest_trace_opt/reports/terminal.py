"""Terminal summary of an optimization: a pure function yielding lines."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pytest_trace_opt.model import OptimizationResult

OUTCOME_TEXT = {
    "fixed": "every tagged test passes with the proposed change",
    "passing": "every tagged test already passed: nothing to change",
    "improved": "more tagged tests pass with the proposed change, not all",
    "unchanged": "no candidate improved on the original code",
    "error": "the optimization could not run",
}


def llm_use(llm: dict[str, Any], escape: Callable[[object], str] = str) -> str:
    """The LLM use of a run as the reports show it: model, optimizer, calls, tokens, seconds."""
    return (
        f"{escape(llm.get('model'))} via {escape(llm.get('optimizer'))}: "
        f"{escape(llm.get('calls', 0))} call(s), {escape(llm.get('prompt_tokens', 0))} + "
        f"{escape(llm.get('completion_tokens', 0))} tokens, {float(llm.get('seconds') or 0):.1f} s"
    )


def summary_lines(result: OptimizationResult) -> Iterator[str]:
    """Outcome, counts, LLM use, problems and one diff per changed target.

    How to apply a pending proposal is the last line of the run (see :mod:`.apply`), printed
    after the lines that name the files written.
    """
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
