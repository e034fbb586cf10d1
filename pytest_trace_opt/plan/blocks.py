"""The plan of one target: its tests, surface, pattern, feedback loop and risks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_trace_opt.patch import NotALiteralError, SourceError, locate_node_literal
from pytest_trace_opt.plan._text import group_ids, plural
from pytest_trace_opt.plan.analysis import Analyzer, CodeFacts
from pytest_trace_opt.plan.inputs import TestInfo, signal_kinds
from pytest_trace_opt.plan.modules import ModuleFacts, Sources, is_model
from pytest_trace_opt.plan.risks import BROAD, GRAPH, NESTED, NO_SIGNAL, Risk
from pytest_trace_opt.protocol import TargetInfo
from pytest_trace_opt.settings import MAX_CALLS_PER_TEST as MAX_SHOWN_CALLS

MAX_TRAINABLES_PER_TEST = 3  # a test exercising more cannot attribute its failure
MAX_RISKS_PER_KIND = 5


class _NotRun:
    def __repr__(self) -> str:
        return "NOT_RUN"


# The original of a trainable that no run reported (declared in a file, or named by a marker).
NOT_RUN: Any = _NotRun()


@dataclass
class PlanContext:
    """What the block of every target reads from the plan as a whole."""

    tests: Sequence[TestInfo]  # the counted tagged tests
    analyzer: Analyzer
    sources: Sources
    members: dict[tuple[str, str], list[str]]  # (file, class) -> keys of its trainables
    target_class: dict[str, str]  # key -> qualname of the class holding it ("" for none)
    infra: dict[str, str]  # nodeid -> why it fails for infrastructure reasons


def _what(info: TargetInfo, cls: str) -> str:
    if info.kind == "value":
        return "node"
    return "method" if info.is_method or cls else "function"


def describe_tests(tests: Sequence[TestInfo]) -> dict[str, Any]:
    visible = [t for t in tests if not t.holdout and t.counted]
    holdout = [t for t in tests if t.holdout and t.counted]
    return {
        "visible": [{"nodeid": t.nodeid, "outcome": t.outcome} for t in visible],
        "holdout": [{"nodeid": t.nodeid, "outcome": t.outcome} for t in holdout],
        "visible_passed": sum(t.passed for t in visible),
        "holdout_passed": sum(t.passed for t in holdout),
    }


def class_of(info: TargetInfo, facts: ModuleFacts | None) -> str:
    if facts is None:
        return ""
    if info.kind == "code":
        entry = facts.function(info.name, info.function_name, info.line)
        return entry.cls_qualname if entry is not None else ""
    decl = facts.node_at(info.line, info.name)
    return decl.cls_qualname if decl is not None else ""


def target_block(
    key: str, info: TargetInfo, ctx: PlanContext, reached: bool, callers: list[tuple[str, str]]
) -> dict[str, Any]:
    file, line = info.file, info.line
    facts = ctx.sources.facts(file)
    cls = ctx.target_class.get(key, "")
    siblings = [k for k in ctx.members.get((file, cls), []) if k != key] if cls else []
    model = bool(cls and facts and cls in facts.classes and is_model(facts.classes[cls]))
    feeding = [t for t in ctx.tests if key in t.feeds]
    users = [t for t in ctx.tests if key in t.used or key in t.feeds]
    surface, trainable, fixed, code = _surface(info, ctx.analyzer)
    if siblings and cls:
        surface["model_parameters"] = 1 + len(siblings)
    surface.update(trainable=trainable, fixed=fixed)
    pattern, fits, pattern_text = _pattern(info, code, cls, model, siblings, facts)
    feedback, kinds = _feedback(feeding, users)

    poor_fit: list[str] = []
    risks = list(code.risks) if code is not None else []
    risks += _reach_risks(info, feeding, users, reached, callers, poor_fit)
    infra_users = [t for t in users if t.nodeid in ctx.infra]
    if infra_users and len(infra_users) == len(users):
        poor_fit.append(
            "every test that reaches it fails for infrastructure reasons: "
            + ctx.infra[infra_users[0].nodeid]
        )
    risks += _behaviour_risks(feeding, users, kinds, feedback["executable"])
    return {
        "key": key,
        "kind": info.kind,
        "origin": info.origin,
        "name": info.name,
        "what": _what(info, cls),
        "class": cls,
        "model": cls if model else "",
        "file": file,
        "line": line,
        "reached": reached,
        "poor_fit": poor_fit,
        "notes": list(info.notes),
        "tests": describe_tests(feeding),
        "surface": surface,
        "pattern": {"name": pattern, "fits": fits, "text": pattern_text},
        "feedback": feedback,
        "risks": [r.as_dict() for r in dedupe(risks)],
    }


def _surface(
    info: TargetInfo, analyzer: Analyzer
) -> tuple[dict[str, Any], str, list[str], CodeFacts | None]:
    """What the optimizer may change (one parameter) and what stays fixed around it: the
    facts, the two as prose, and the code facts of a function."""
    surface: dict[str, Any] = {"parameters": 1}
    if info.kind != "code":
        known = info.original is not NOT_RUN
        value = info.original if known else None
        shown = (
            f"a str of {len(value)} chars"
            if isinstance(value, str)
            else f"a {type(value).__name__}"
            if known
            else "a value"
        )
        lines = len(value.splitlines()) if isinstance(value, str) else 1
        surface.update(lines=lines, value_type=type(value).__name__ if known else "")
        readers = analyzer.value_readers(info)
        reading = (
            f"the code reading it ({', '.join(readers)})" if readers else "the code reading it"
        )
        surface["readers"] = readers
        return surface, f"the value of {info.name}: {shown}, 1 trainable parameter", [reading], None
    code = analyzer.code(info)
    if code is None:
        original = "" if info.original is NOT_RUN else str(info.original or "")
        n = len(original.splitlines())
        surface.update(lines=n, code_lines=n)
        trainable = f"the code of {info.name}: {plural(n, 'line')}, 1 parameter"
        return surface, trainable, ["its signature"], None
    surface.update(
        lines=code.total_lines,
        code_lines=code.code_lines,
        signature=code.signature,
        reads_values=code.reads_values,
        libraries=code.fixed,
    )
    trainable = (
        f"the code of {info.name}: {plural(code.total_lines, 'line')} "
        f"({code.code_lines} of code), 1 trainable parameter"
    )
    fixed = [f"its signature {code.signature}"]
    if code.reads_values:
        trainable += "; reads the trainable value(s) " + ", ".join(code.reads_values)
    if code.fixed:
        fixed.append("the libraries it uses (" + ", ".join(sorted(set(code.fixed))) + ")")
    return surface, trainable, fixed, code


def _feedback(
    feeding: Sequence[TestInfo], users: Sequence[TestInfo]
) -> tuple[dict[str, Any], set[str]]:
    """The feedback loop: which tests feed the optimizer, and what their checks are."""
    visible = [t for t in feeding if not t.holdout]
    holdout = [t for t in feeding if t.holdout]
    kinds: set[str] = set()
    for test in visible:
        kinds |= signal_kinds(test.source)
        if test.scores:
            kinds.add("scores")
        if test.critiques:
            kinds.add("critiques")
    feedback = {
        "visible": [t.nodeid for t in visible],
        "holdout": [t.nodeid for t in holdout],
        "kinds": sorted(kinds | {"runtime errors"}),
        "executable": bool(kinds & {"assertions", "scores"}),
        "max_calls_per_test": max((t.calls for t in users), default=0),
    }
    return feedback, kinds


def _reach_risks(
    info: TargetInfo,
    feeding: Sequence[TestInfo],
    users: Sequence[TestInfo],
    reached: bool,
    callers: list[tuple[str, str]],
    poor_fit: list[str],
) -> list[Risk]:
    """No signal because no test, or no visible test, feeds it; calls nothing records."""
    risks: list[Risk] = []
    visible = [t for t in feeding if not t.holdout]
    holdout = [t for t in feeding if t.holdout]
    if not reached:
        text = "no tagged test reaches it: Trace has no signal for it"
        poor_fit.append(text)
        risks.append(Risk(NO_SIGNAL, text, f"{info.file}:{info.line}"))
    elif feeding and not visible:
        risks.append(
            Risk(
                NO_SIGNAL,
                f"only holdout tests reach it ({len(holdout)}): the optimizer never sees "
                "its failures",
                group_ids([t.nodeid for t in holdout]),
            )
        )
    elif not feeding:
        risks.append(
            Risk(
                NO_SIGNAL,
                "tests exercise it but name other targets in their marker: no feedback goes to it",
                group_ids([t.nodeid for t in users]),
            )
        )
    for outer, where in callers[:MAX_RISKS_PER_KIND]:
        risks.append(
            Risk(
                NESTED,
                f"called inside the trainable {outer}(): those calls are not recorded, so "
                "they give it no feedback",
                where,
            )
        )
    return risks


def _behaviour_risks(
    feeding: Sequence[TestInfo], users: Sequence[TestInfo], kinds: set[str], executable: bool
) -> list[Risk]:
    """Flaky tests, critique-only tests, tests reaching too many trainables, large graphs."""
    risks: list[Risk] = []
    visible = [t for t in feeding if not t.holdout]
    for test in [t for t in users if t.flaky][:MAX_RISKS_PER_KIND]:
        risks.append(
            Risk(
                NO_SIGNAL,
                f"flaky: {test.outcome} in the first run, {test.outcome2} in the second: "
                "candidates would be judged by chance",
                test.nodeid,
            )
        )
    if visible and kinds and not executable:
        risks.append(
            Risk(
                NO_SIGNAL,
                "its tests only critique: no assertion or score can fail on behaviour, so "
                "optimization stops once they pass",
                group_ids([t.nodeid for t in visible]),
            )
        )
    broad = [t for t in users if len(t.used) > MAX_TRAINABLES_PER_TEST]
    for test in broad[:MAX_RISKS_PER_KIND]:
        names = [k.partition("::")[2] or k for k in test.used]
        risks.append(
            Risk(
                BROAD,
                f"one test exercises {len(test.used)} trainables "
                f"({', '.join(names[:6])}{', ...' if len(names) > 6 else ''}): its failure "
                "cannot be attributed",
                test.nodeid,
            )
        )
    big = [t for t in users if t.calls > MAX_SHOWN_CALLS]
    if big:
        worst = max(big, key=lambda t: t.calls)
        risks.append(
            Risk(
                GRAPH,
                f"a test records {worst.calls} calls to trainables (> {MAX_SHOWN_CALLS}): "
                f"only the first {MAX_SHOWN_CALLS} reach the optimizer, and the graph makes its "
                "context heavy",
                worst.nodeid,
            )
        )
    return risks


def dedupe(risks: list[Risk]) -> list[Risk]:
    seen: set[tuple[str, str]] = set()
    out: list[Risk] = []
    per_kind: dict[str, int] = {}
    for risk in risks:
        if (risk.kind, risk.text) in seen:
            continue
        seen.add((risk.kind, risk.text))
        per_kind[risk.kind] = per_kind.get(risk.kind, 0) + 1
        if per_kind[risk.kind] <= MAX_RISKS_PER_KIND:
            out.append(risk)
    return out


def _pattern(
    info: TargetInfo,
    code: CodeFacts | None,
    cls: str,
    model: bool,
    siblings: list[str],
    facts: ModuleFacts | None,
) -> tuple[str, bool, str]:
    """The way the trainable is declared, whether it fits, and why."""
    origin = info.origin
    name = info.name.rsplit(".", 1)[-1]
    sibling_names = [s.partition("::")[2].rsplit("@", 1)[0].rsplit(".", 1)[-1] for s in siblings]
    if info.kind == "value":
        value = info.original
        label = "node"
        if isinstance(value, str) and value.lstrip().startswith(("def ", "class ", "import ")):
            return (
                label,
                False,
                (
                    "a node holding code as text: the optimizer cannot check it runs; "
                    "a trainable function (@trainable or a trainable bundle) fits better"
                ),
            )
        text = "node(value, trainable=True): fits (a value such as a prompt, template or threshold)"
        fits = True
        if facts is not None:
            try:
                locate_node_literal(Path(facts.relpath), info.line, facts.text)
            except NotALiteralError as exc:
                fits = False
                reason = str(exc).split(": ", 2)[-1].split(";")[0]
                text = (
                    f"node: {reason}: an accepted value cannot be written back into the "
                    "source; pass a literal"
                )
            except SourceError:
                pass
    else:
        label = "trainable decorator" if origin == "trainable" else "bundle"
        what = "@trainable" if origin == "trainable" else "@bundle(trainable=True)"
        text = f"{what}: fits (a function whose behaviour is optimized as a unit)"
        fits = True
        if code is not None and code.constant_stub:
            fits = False
            text = (
                f"{what} on a function that takes no input and returns a constant: "
                "a node(value, trainable=True) fits better"
            )
    if cls and siblings:
        together = ", ".join(sibling_names[:4]) + (", ..." if len(sibling_names) > 4 else "")
        if model:
            label = f"model ({label})"
            text += (
                f"; with {together}: {len(siblings) + 1} related trainables of one @model "
                f"{cls}: fits"
            )
        elif origin in ("bundle", "node"):
            fits = False
            text += (
                f"; {cls} holds {len(siblings) + 1} trainables ({name}, {together}) but is "
                "not a @model: decorate it with @model to optimize them as one model"
            )
    elif cls and model and not siblings:
        text += f"; the only trainable of @model {cls}: a bundle or node alone would do"
    return label, fits, text
