"""Build the plan: every target (reached, named by a marker, or declared in a scanned file),
one block per target, what makes Trace a poor fit overall, and the loop it would run."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_trace_opt.plan._text import MAX_IDS, group_ids, plural, short
from pytest_trace_opt.plan.analysis import Analyzer
from pytest_trace_opt.plan.blocks import NOT_RUN, PlanContext, class_of, target_block
from pytest_trace_opt.plan.inputs import LoopSettings, TestInfo, infrastructure_problem
from pytest_trace_opt.plan.modules import ModuleFacts, Sources
from pytest_trace_opt.plan.risks import NO_SIGNAL, Risk
from pytest_trace_opt.protocol import TargetInfo


@dataclass(frozen=True)
class Declared:
    """A trainable declared in a file, whether or not a test reaches it."""

    info: TargetInfo
    end_line: int  # last line of the declaration (a node(...) call may span several)

    def same_as(self, info: TargetInfo) -> bool:
        """Whether ``info`` (reached in a run, or named by a marker) is this declaration."""
        mine = self.info
        if mine.file != info.file or mine.kind != info.kind:
            return False
        if mine.kind == "code":
            return mine.name == info.name
        return mine.line <= info.line <= self.end_line and mine.name == info.name


def declared_trainables(facts: ModuleFacts) -> list[Declared]:
    """Trainables declared in a file (whether or not a test reaches them)."""
    found: list[Declared] = []
    for entry in facts.functions:
        if entry.origin:
            info = TargetInfo(
                key=f"{facts.relpath}::{entry.qualname}", kind="code", name=entry.qualname,
                file=facts.relpath, line=entry.node.lineno, original=NOT_RUN,
                function_name=entry.node.name, is_method=entry.cls is not None,
                origin=entry.origin,
            )  # fmt: skip
            found.append(Declared(info, entry.node.lineno))
    for decl in facts.nodes:
        info = TargetInfo(
            key=f"{facts.relpath}::{decl.label}@{decl.line}", kind="value", name=decl.label,
            file=facts.relpath, line=decl.line, original=NOT_RUN, origin="node",
        )  # fmt: skip
        found.append(Declared(info, decl.end_line))
    return found


def target_from_key(key: str) -> TargetInfo:
    """The target a marker names by its key (``file::qualname`` or ``file::name@line``)."""
    file, _, rest = key.partition("::")
    if "@" in rest:
        name, _, line = rest.rpartition("@")
        kind = "value"
    else:
        name, line, kind = rest, "0", "code"
    return TargetInfo(
        key=key, kind=kind, name=name, file=file, line=int(line) if line.isdigit() else 0,
        original=NOT_RUN, function_name=name.rsplit(".", 1)[-1] if kind == "code" else None,
        origin="node" if kind == "value" else "trainable",
    )  # fmt: skip


def build_plan(
    *,
    targets: dict[str, TargetInfo],
    tests: Sequence[TestInfo],
    read: Callable[[str], str | None],
    scan_files: Iterable[str] = (),
    loop: LoopSettings | None = None,
    collect_errors: Sequence[str] = (),
    problems: Sequence[str] = (),
    target_errors: Sequence[str] = (),
    ran_twice: bool = True,
    ran: bool = True,
    suspicious: Mapping[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """The plan as a JSON-serializable dict (see :func:`plan_lines` for its rendering).
    ``suspicious``: per target key, the lines the failing tests point at (core.localize)."""
    loop = loop or LoopSettings()
    sources = Sources(read)
    analyzer = Analyzer(sources, targets)
    infra = {t.nodeid: reason for t in tests if (reason := infrastructure_problem(t))}
    poor_fit, global_risks = _input_problems(collect_errors, problems, target_errors, infra)
    reached = {k for t in tests for k in [*t.used, *t.feeds]}
    all_targets = _all_targets(targets, tests, sources, scan_files if ran else ())
    target_class, members = _classes(all_targets, sources)
    tested = [t for t in tests if t.counted]
    notes: list[str] = []
    no_reach = [t for t in tested if not t.used and not t.feeds and t.nodeid not in infra]
    if no_reach:
        notes.append(
            f"{plural(len(no_reach), 'tagged test')} reach no trainable (they cannot feed "
            f"any target): {group_ids([t.nodeid for t in no_reach])}"
        )
    callers = _callers(all_targets, analyzer)
    ctx = PlanContext(tested, analyzer, sources, members, target_class, infra)
    blocks = [
        target_block(key, info, ctx, key in reached, callers.get(key, []))
        for key, info in all_targets.items()
    ]
    for block in blocks:
        block["suspicious"] = list((suspicious or {}).get(block["key"], []))
    if not ran:
        poor_fit.append("the tagged tests did not run: no plan per target")
    if not any(b["reached"] for b in blocks) and tested and not collect_errors:
        poor_fit.insert(
            0,
            "no tagged test reaches a trainable: there is nothing Trace could optimize from "
            "these tests",
        )
    risks = [r.as_dict() for r in global_risks]
    return {
        "summary": _summary(tested, blocks, risks, ran_twice=ran_twice, ran=ran),
        "poor_fit": poor_fit,
        "notes": notes,
        "risks": risks,
        "loop": {
            "optimizer": loop.optimizer,
            "llm": loop.llm,
            "rounds": loop.rounds,
            "budget": loop.budget,
            "stop": "every tagged test passes (scores at 1), "
            f"after {loop.rounds} rounds, when a budget is spent, or on TERMINATE; when only "
            "holdouts fail, the rounds left ask for the general rule (told how many fail)",
        },
        "targets": blocks,
    }


def _input_problems(
    collect_errors: Sequence[str],
    problems: Sequence[str],
    target_errors: Sequence[str],
    infra: dict[str, str],
) -> tuple[list[str], list[Risk]]:
    """Why Trace is a poor fit before any target is looked at, and the risks among them."""
    poor_fit: list[str] = []
    global_risks: list[Risk] = []
    for error in collect_errors:
        poor_fit.append(
            f"collection error: {short(error, 160)}: tests that cannot be collected give "
            "Trace no signal; fix the import or syntax first"
        )
    for problem in problems:
        poor_fit.append(f"{short(problem, 200)}")
    for error in target_errors:
        poor_fit.append(f"marker: {short(error, 200)}")
    if infra:
        poor_fit.append(
            f"{plural(len(infra), 'tagged test')} fail for infrastructure reasons, not "
            "behaviour: an LLM rewriting the trainables cannot fix that"
        )
        for nodeid, reason in list(infra.items())[:MAX_IDS]:
            poor_fit.append(f"  {nodeid}: {reason}")
            global_risks.append(Risk(NO_SIGNAL, f"{nodeid}: {reason}", nodeid))
    return poor_fit, global_risks


def _all_targets(
    targets: dict[str, TargetInfo],
    tests: Sequence[TestInfo],
    sources: Sources,
    scan_files: Iterable[str],
) -> dict[str, TargetInfo]:
    """Every target: reached in the runs, named by a marker, or declared in a scanned file."""
    all_targets = dict(targets)
    for test in tests:
        for key in test.explicit:
            all_targets.setdefault(key, target_from_key(key))
    for relpath in dict.fromkeys(scan_files):
        facts = sources.facts(relpath)
        if facts is None:
            continue
        for declared in declared_trainables(facts):
            if not any(declared.same_as(info) for info in all_targets.values()):
                all_targets[declared.info.key] = declared.info
    return all_targets


def _classes(
    all_targets: dict[str, TargetInfo], sources: Sources
) -> tuple[dict[str, str], dict[tuple[str, str], list[str]]]:
    """The class of each target, and the trainables of each class (the model pattern)."""
    members: dict[tuple[str, str], list[str]] = {}
    target_class: dict[str, str] = {}
    for key, info in all_targets.items():
        cls = class_of(info, sources.facts(info.file))
        target_class[key] = cls
        if cls:
            members.setdefault((info.file, cls), []).append(key)
    return target_class, members


def _callers(
    all_targets: dict[str, TargetInfo], analyzer: Analyzer
) -> dict[str, list[tuple[str, str]]]:
    """Inner trainable -> (outer trainable, where) for every call of one inside another."""
    callers: dict[str, list[tuple[str, str]]] = {}
    for info in all_targets.values():
        code = analyzer.code(info) if info.kind == "code" else None
        for inner, where in code.nested_calls if code is not None else []:
            callers.setdefault(inner, []).append((info.name, where))
    return callers


def _summary(
    tested: Sequence[TestInfo],
    blocks: list[dict[str, Any]],
    risks: list[dict[str, str]],
    *,
    ran_twice: bool,
    ran: bool,
) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for risk in risks + [r for b in blocks for r in b["risks"]]:
        counts[risk["kind"]] = counts.get(risk["kind"], 0) + 1
    visible = [t for t in tested if not t.holdout]
    holdout = [t for t in tested if t.holdout]
    return {
        "visible": len(visible),
        "visible_failing": sum(not t.passed for t in visible),
        "holdout": len(holdout),
        "holdout_failing": sum(not t.passed for t in holdout),
        "targets": len(blocks),
        "reached": sum(b["reached"] for b in blocks),
        "risks": counts,
        "ran_twice": ran_twice,
        "ran": ran,
    }
