"""Render a plan for a terminal of 100 columns, and the risks that fail ``--trace-strict``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pytest_trace_opt.plan._text import WIDTH, group_ids, plural, wrap
from pytest_trace_opt.plan.inputs import PASSING
from pytest_trace_opt.plan.risks import RISK_TITLES, STRICT_KINDS


def strict_risks(plan: dict[str, Any]) -> list[dict[str, str]]:
    """The risks that fail ``--trace-plan --trace-strict`` (hidden dependencies, no signal)."""
    found = [r for r in plan.get("risks", []) if r["kind"] in STRICT_KINDS]
    for block in plan.get("targets", []):
        found += [r for r in block["risks"] if r["kind"] in STRICT_KINDS]
    return found


def plan_lines(plan: dict[str, Any], width: int = WIDTH) -> Iterator[str]:
    """The plan as terminal lines, none longer than ``width``."""
    summary = plan["summary"]
    for text in plan["poor_fit"]:
        indent = "    " if text.startswith("  ") else ""
        yield from wrap(
            ("Trace is a poor fit here: " if not indent else "") + text.strip(), indent, width
        )
    blocks = plan["targets"]
    reached = summary["reached"]
    yield from wrap(
        f"tagged tests: {summary['visible']} visible ({summary['visible_failing']} failing), "
        f"{summary['holdout']} holdout ({summary['holdout_failing']} failing); "
        f"{plural(reached, 'trainable')} reached"
        + (f", {len(blocks) - reached} not reached" if len(blocks) > reached else "")
        + "; no LLM call was made, no source file was changed",
        "",
        width,
    )
    loop = plan["loop"]
    yield from wrap(
        f"loop if optimized: {loop['optimizer']} with LLM {loop['llm']}; budget "
        f"{loop['budget']}; stops when {loop['stop']}",
        "",
        width,
    )
    if summary.get("ran", True) and not summary.get("ran_twice", True):
        yield from wrap("(the tests ran once: flakiness was not checked)", "", width)
    for note in plan["notes"]:
        yield from wrap(f"note: {note}", "", width)
    # plan["risks"] (infrastructure failures) are already listed among the poor-fit lines.
    for number, block in enumerate(blocks, 1):
        yield ""
        yield from _block_lines(number, block, width)
    counts = summary["risks"]
    yield ""
    if counts:
        listed = ", ".join(f"{RISK_TITLES.get(k, k)}: {n}" for k, n in sorted(counts.items()))
        yield from wrap(f"risks found: {listed}", "", width)
    else:
        yield "risks found: none"


def _state_text(tests: dict[str, Any]) -> str:
    v, h = tests["visible"], tests["holdout"]
    vp, hp = tests["visible_passed"], tests["holdout_passed"]
    text = f"{len(v)} visible ({vp} pass, {len(v) - vp} fail)"
    if h:
        text += f" and {len(h)} holdout ({hp} pass, {len(h) - hp} fail)"
    return text


def _block_lines(number: int, block: dict[str, Any], width: int) -> Iterator[str]:
    model = f" of model {block['model']}" if block.get("model") else ""
    head = f"[{number}] {block['what']} {block['name']}{model}  {block['file']}:{block['line']}"
    yield from wrap(head, "", width)
    for text in block["poor_fit"]:
        yield from wrap(f"Trace is a poor fit: {text}", "  ", width)
    tests = block["tests"]
    if block["reached"]:
        yield from wrap(
            f"target: the behaviour its tests demand: {_state_text(tests)}", "  ", width
        )
        for state, label in (("fail", "failing"), ("pass", "passing")):
            ids = [
                t["nodeid"] + (" [holdout]" if holdout else "")
                for holdout, group in ((False, tests["visible"]), (True, tests["holdout"]))
                for t in group
                if (t["outcome"] in PASSING) == (state == "pass")
            ]
            if ids:
                yield from wrap(f"{label}: {group_ids(ids)}", "    ", width)
    surface = block["surface"]
    yield from wrap(
        f"surface: {surface['trainable']}; fixed: {'; '.join(surface['fixed'])}", "  ", width
    )
    pattern = block["pattern"]
    yield from wrap(f"pattern: {pattern['text']}", "  ", width)
    marks = block.get("suspicious") or []
    if marks:
        where = ", ".join(
            f"{m['line']} (run by {m['failing']} failing, {m['passing']} passing)" for m in marks
        )
        yield from wrap(f"suspicious lines of {block['file']}: {where}", "  ", width)
    for note in block.get("notes", []):
        yield from wrap(f"note: {note}", "  ", width)
    feedback = block["feedback"]
    if block["reached"]:
        kinds = [k for k in feedback["kinds"] if k != "runtime errors"]
        if feedback["executable"]:
            nature = "executable (" + ", ".join([*kinds, "runtime errors"]) + ")"
        elif "critiques" in kinds:
            nature = "only critiques (and runtime errors)"
        else:
            nature = "runtime errors only (no assertion or score found)"
        text = f"feedback: from {plural(len(feedback['visible']), 'visible test')}; {nature}"
        if not feedback["visible"]:
            text = "feedback: none reaches the optimizer (no visible test)"
        if feedback["holdout"]:
            n = len(feedback["holdout"])
            text += f"; {plural(n, 'holdout test')} only judge{'s' if n == 1 else ''} candidates"
        calls = feedback["max_calls_per_test"]
        if calls:
            text += f"; graph: up to {plural(calls, 'recorded call')} per test"
        elif block["kind"] == "value":
            text += "; graph: its reads are recorded, no call"
        if (
            tests["visible"]
            and tests["visible_passed"] == len(tests["visible"])
            and (tests["holdout_passed"] == len(tests["holdout"]))
        ):
            text += "; every test already passes: the loop would stop at round 0"
        yield from wrap(text, "  ", width)
    if block["risks"]:
        yield "  risks:"
        for risk in block["risks"]:
            evidence = f" [{risk['evidence']}]" if risk["evidence"] else ""
            yield from wrap(
                f"- {RISK_TITLES.get(risk['kind'], risk['kind'])}: {risk['text']}{evidence}",
                "    ",
                width,
            )
    else:
        yield "  risks: none found"
