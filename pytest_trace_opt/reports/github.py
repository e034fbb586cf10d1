"""GitHub Actions: the Markdown job summary, ``::notice`` annotations, workflow commands.

Pure functions of an :class:`~pytest_trace_opt.model.OptimizationResult` and plain arguments:
``prefix`` is pytest's rootdir relative to the repository root (``"sub/dir/"``), the paths
every diff is re-rooted to.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

from pytest_trace_opt.model import OptimizationResult, RoundRecord, TargetResult
from pytest_trace_opt.patch import first_changed_line, repo_path, reprefix_patch
from pytest_trace_opt.reports.apply import NO_FILES, PatchFiles, apply_steps
from pytest_trace_opt.reports.terminal import OUTCOME_TEXT, llm_use

ANNOTATION_DIFF_LINES = 40


def escape_data(text: str) -> str:
    """Escape the message of a GitHub workflow command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value (``file=…``, ``title=…``) of a GitHub workflow command."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(command: str, message: str, **properties: object) -> str:
    """``::command key=value,…::message`` with every part escaped; ``None`` values omitted."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{command}{' ' + props if props else ''}::{escape_data(message)}"


def _counts_change(result: OptimizationResult) -> str:
    return f"tagged tests {result.before.text()} → {result.after.text()} passed"


def annotation_lines(
    result: OptimizationResult,
    prefix: str = "",
    toplevel: Path | None = None,
    apply_hint: str = "",
) -> list[str]:
    """One ``::notice`` per changed target, at its first changed line."""
    lines: list[str] = []
    for target in result.changed_targets:
        if not target.patch:
            continue
        diff = target.patch.rstrip("\n").splitlines()
        shown = diff[:ANNOTATION_DIFF_LINES]
        if len(diff) > len(shown):
            shown.append(f"… ({len(diff) - len(shown)} more diff lines)")
        message = (
            f"pytest --trace-optimize proposes a change to {target.name} "
            f"(outcome {result.outcome}: {_counts_change(result)})."
        )
        if apply_hint:
            message += f" Apply it with: {apply_hint}"
        message += "\n\n" + reprefix_patch("\n".join(shown), prefix)
        lines.append(
            workflow_command(
                "notice",
                message,
                file=repo_path(target.file, prefix, toplevel),
                line=first_changed_line(target.patch) or target.line,
                title=f"trace-opt: proposed change to {target.name}",
            )
        )
    return lines


def _md_cell(text: object) -> str:
    value = html.escape(str(text), quote=False).replace("|", "\\|")
    return " ".join(value.split())


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _round_rows(rounds: list[RoundRecord], holdouts: bool) -> Iterator[str]:
    head = ["Round", "Status", "Visible passed"]
    head += ["Holdout passed"] if holdouts else []
    head += ["Score", "LLM calls", "Tokens (prompt + completion)", "Note"]
    yield "| " + " | ".join(head) + " |"
    yield "|" + "---|" * len(head)
    for record in rounds:
        c = record.counts
        row = [str(record.round), record.status, f"{c.visible_passed}/{c.visible_total}"]
        row += [f"{c.holdout_passed}/{c.holdout_total}"] if holdouts else []
        row += [
            "" if c.score is None else f"{c.score:.3g}",
            str(record.llm_calls),
            f"{record.prompt_tokens} + {record.completion_tokens}",
            record.reason[:200],
        ]
        yield "| " + " | ".join(_md_cell(cell) for cell in row) + " |"


def summary_markdown(
    result: OptimizationResult, prefix: str = "", files: PatchFiles = NO_FILES
) -> str:
    """The GitHub Actions job summary: outcome, rounds, each diff collapsible, how to apply."""
    out = _overview_markdown(result)
    if result.rounds:
        holdouts = any(r.counts.holdout_total for r in result.rounds)
        out += ["", "### Rounds", "", *_round_rows(result.rounds, holdouts)]
    out += ["", "### Targets", ""]
    if not result.targets:
        out.append("No trainable was reached by a failing tagged test.")
    single = len(result.changed_targets) == 1
    for target in result.targets:
        out += _target_markdown(target, prefix, single)
    out += ["", "### How to apply", ""]
    if result.applied:
        out.append(f"Already applied by `--trace-apply`: {_md_cell(result.apply_note)}")
    elif result.patch:
        intro, commands, after = apply_steps(files)
        out += [intro, "", "```sh", *commands, "```", "", after]
    else:
        out.append("No change was proposed.")
    return "\n".join(out) + "\n"


def _overview_markdown(result: OptimizationResult) -> list[str]:
    outcome = OUTCOME_TEXT.get(result.outcome, result.outcome)
    out = [f"## pytest-trace-opt: {_md_cell(outcome)}", ""]
    out.append(f"**Outcome:** `{result.outcome}`: {_md_cell(_counts_change(result))}.  ")
    out.append(f"**Stopped:** {_md_cell(result.stop_reason)}  ")
    llm = result.llm
    if llm.get("calls") is not None:
        out.append(f"**LLM:** {llm_use(llm, _md_cell)}  ")
    check = result.final_check
    if check:
        out.append(
            f"**Final check:** {check.get('passed', 0)}/{check.get('selected', 0)} selected "
            "tests pass with the accepted candidate"
        )
    broken = check.get("broken_outside_tagged") or []
    if broken:
        out += ["", f"> **Warning:** the change breaks {len(broken)} untagged test(s): "]
        out[-1] += ", ".join(f"`{_md_cell(b)}`" for b in broken)
    for problem in result.problems:
        out += ["", f"> Problem: {_md_cell(problem)}"]
    return out


def _target_markdown(target: TargetResult, prefix: str, single: bool) -> list[str]:
    """A changed target's diff, collapsible (open when it is the only one); else one line."""
    where = f"{repo_path(target.file, prefix, None) or target.file}:{target.line}"
    if target.status == "changed" and target.patch:
        diff = reprefix_patch(target.patch, prefix).rstrip("\n")
        fence = _fence(diff)
        return [
            "<details open>" if single else "<details>",
            f"<summary>Proposed change to <code>{html.escape(target.name)}</code> "
            f"(<code>{html.escape(where)}</code>)</summary>",
            "",
            f"{fence}diff",
            diff,
            fence,
            "",
            "</details>",
            "",
        ]
    if target.status == "not-patchable":
        return [
            f"- cannot patch `{_md_cell(target.name)}` ({_md_cell(where)}): {_md_cell(target.note)}"
        ]
    return [f"- unchanged: `{_md_cell(target.name)}` ({_md_cell(where)})"]
