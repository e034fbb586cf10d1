"""Outputs of an optimization for CI: patches, GitHub Actions, HTML report, exit status gate.

``CIReports`` is a plugin object that the controller registers under ``--trace-optimize``.
It reads the final ``OptimizationResult`` (hook ``pytest_trace_opt_result``) and writes:

- the ``--trace-patch`` file with paths relative to the git repository root, and with
  ``--trace-patch-dir`` one ``.patch`` per changed target (each applies on its own with
  ``git apply`` from the repository root);
- under GitHub Actions (``GITHUB_ACTIONS=true``, unless ``--trace-github off``) a Markdown job
  summary appended to ``$GITHUB_STEP_SUMMARY`` and ``::notice`` workflow commands at the first
  changed line of each target;
- with ``--trace-report-html`` a self-contained HTML report (no network resources);
- with ``--trace-fail-on-proposal`` exit status 1 when a patch was proposed but not applied.

Everything except the class is a pure function of its arguments, so it is unit-testable.
"""

from __future__ import annotations

import builtins
import html
import keyword
import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_trace_opt.model import OptimizationResult, RoundRecord
from pytest_trace_opt.patch import (
    first_changed_line,
    git_toplevel,
    repo_path,
    repo_prefix,
    reprefix_patch,
)
from pytest_trace_opt.report import OUTCOME_TEXT
from pytest_trace_opt.settings import Settings

SHOWN_CHARS = 4000  # feedback and reply text per round in the HTML report
ANNOTATION_DIFF_LINES = 40


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


# --------------------------------------------------------------------------- GitHub Actions


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


def apply_steps(apply_hint: str, patch_files: list[str]) -> tuple[str, list[str], str]:
    """How to apply a proposal: (introduction, shell commands, closing sentence)."""
    after = "Or re-run with --trace-apply: it writes the change when it passes every test."
    if apply_hint:
        intro = "From the repository root (the patch paths are relative to it):"
        return intro, [apply_hint], after
    if patch_files:
        intro = "From the repository root, apply the patch of one target (each applies alone):"
        return intro, [f"git apply {name}" for name in patch_files], after
    intro = (
        "Save the diffs above as fix.patch (or write them with --trace-patch FILE) and, from "
        "the repository root, run:"
    )
    return intro, ["git apply fix.patch"], after


def summary_markdown(
    result: OptimizationResult,
    prefix: str = "",
    apply_hint: str = "",
    patch_files: Iterable[str] = (),
) -> str:
    """The GitHub Actions job summary: outcome, rounds, each diff collapsible, how to apply."""
    outcome = OUTCOME_TEXT.get(result.outcome, result.outcome)
    out = [f"## pytest-trace-opt: {_md_cell(outcome)}", ""]
    out.append(f"**Outcome:** `{result.outcome}`: {_md_cell(_counts_change(result))}.  ")
    out.append(f"**Stopped:** {_md_cell(result.stop_reason)}  ")
    llm = result.llm
    if llm.get("calls") is not None:
        out.append(
            f"**LLM:** {_md_cell(llm.get('model'))} via {_md_cell(llm.get('optimizer'))}: "
            f"{llm.get('calls', 0)} call(s), {llm.get('prompt_tokens', 0)} + "
            f"{llm.get('completion_tokens', 0)} tokens, {float(llm.get('seconds') or 0):.1f} s  "
        )
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
    if result.rounds:
        holdouts = any(r.counts.holdout_total for r in result.rounds)
        out += ["", "### Rounds", "", *_round_rows(result.rounds, holdouts)]
    out += ["", "### Targets", ""]
    if not result.targets:
        out.append("No trainable was reached by a failing tagged test.")
    for target in result.targets:
        where = f"{repo_path(target.file, prefix, None) or target.file}:{target.line}"
        if target.status == "changed" and target.patch:
            diff = reprefix_patch(target.patch, prefix).rstrip("\n")
            fence = _fence(diff)
            out += [
                "<details open>" if len(result.changed_targets) == 1 else "<details>",
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
        elif target.status == "not-patchable":
            out.append(
                f"- cannot patch `{_md_cell(target.name)}` ({_md_cell(where)}): "
                f"{_md_cell(target.note)}"
            )
        else:
            out.append(f"- unchanged: `{_md_cell(target.name)}` ({_md_cell(where)})")
    out += ["", "### How to apply", ""]
    if result.applied:
        out.append(f"Already applied by `--trace-apply`: {_md_cell(result.apply_note)}")
    elif result.patch:
        intro, commands, after = apply_steps(apply_hint, list(patch_files))
        out += [intro, "", "```sh", *commands, "```", "", after]
    else:
        out.append("No change was proposed.")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- HTML report

_TOKEN_RE = re.compile(
    r"(?P<com>#.*)"
    r"|(?P<str>(?i:[rbfu]{0,2})(?:\"\"\".*?(?:\"\"\"|$)|'''.*?(?:'''|$)"
    r"|'(?:\\.|[^'\\])*'?|\"(?:\\.|[^\"\\])*\"?))"
    r"|(?P<num>\b\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?j?\b)"
    r"|(?P<name>[A-Za-z_]\w*)"
)
_BUILTINS = frozenset(name for name in dir(builtins) if not name.startswith("_"))


def highlight_python(code: str) -> str:
    """HTML for one line of Python with spans for keywords, builtins, strings, comments."""
    out: list[str] = []
    pos = 0
    after_def = False
    for match in _TOKEN_RE.finditer(code):
        out.append(html.escape(code[pos : match.start()]))
        text, kind = match.group(), match.lastgroup
        cls = {"com": "c", "str": "s", "num": "n"}.get(kind or "")
        if kind == "name":
            if keyword.iskeyword(text) or keyword.issoftkeyword(text):
                cls = "k"
            elif after_def:
                cls = "f"
            elif text in _BUILTINS:
                cls = "b"
            after_def = text in ("def", "class")
        else:
            after_def = False
        out.append(f'<span class="{cls}">{html.escape(text)}</span>' if cls else html.escape(text))
        pos = match.end()
    out.append(html.escape(code[pos:]))
    return "".join(out)


def highlight_diff(patch: str) -> str:
    """HTML lines of a unified diff: headers, hunks, added and removed lines, Python inside."""
    rows: list[str] = []
    in_header = True
    for line in patch.rstrip("\n").splitlines():
        if line.startswith("diff --git"):
            in_header = True
        if line.startswith("@@"):
            in_header = False
            cls, body = "hunk", html.escape(line)
        elif in_header or line.startswith("\\"):
            cls, body = "meta", html.escape(line)
        elif line.startswith("+"):
            cls, body = "add", "+" + highlight_python(line[1:])
        elif line.startswith("-"):
            cls, body = "del", "-" + highlight_python(line[1:])
        else:
            cls, body = "ctx", html.escape(line[:1]) + highlight_python(line[1:])
        rows.append(f'<span class="line {cls}">{body}\n</span>')
    return "".join(rows)  # block spans, each ending in its newline (kept when copying text)


_STATUS_COLOURS = {
    "baseline": "#6e7781",
    "accepted": "#1a7f37",
    "rejected": "#cf222e",
    "no-proposal": "#9a6700",
    "terminated": "#8250df",
}


def passed_plot_svg(rounds: list[RoundRecord], width: int = 560, height: int = 240) -> str:
    """An inline SVG: tests passed per round (candidates as dots, the best so far as a line)."""
    left, right, top, bottom = 48, 20, 20, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [r.counts.total for r in rounds] or [0]
    ymax = max(max(totals), max((r.counts.passed for r in rounds), default=0), 1)
    step = max(1, math.ceil(ymax / 5))
    ymax = step * math.ceil(ymax / step)
    n = len(rounds)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / ymax)

    parts = [
        f'<svg id="passed-plot" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="tests passed per round">',
        "<title>Tagged tests passed per round</title>",
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#f6f8fa" '
        'stroke="#d0d7de"/>',
    ]
    for tick in range(0, ymax + 1, step):
        ty = y(tick)
        parts.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{left + plot_w}" y2="{ty:.1f}" '
            'stroke="#d0d7de" stroke-width="0.5"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end" class="axis">{tick}</text>'
        )
    total = max(totals)
    if total:
        parts.append(
            f'<line x1="{left}" y1="{y(total):.1f}" x2="{left + plot_w}" y2="{y(total):.1f}" '
            'stroke="#0969da" stroke-dasharray="5 4" stroke-width="1.5"/>'
        )
        parts.append(
            f'<text x="{left + 6}" y="{y(total) - 5:.1f}" text-anchor="start" '
            f'class="axis">{total} tagged tests</text>'
        )
    best: list[tuple[float, float]] = []
    best_passed = 0
    for i, record in enumerate(rounds):
        if record.status in ("baseline", "accepted") or not best:
            best_passed = record.counts.passed
        best.append((x(i), y(best_passed)))
    if best:
        points = " ".join(f"{px:.1f},{py:.1f}" for px, py in best)
        parts.append(
            f'<polyline class="best" points="{points}" fill="none" stroke="#1a7f37" '
            'stroke-width="2"/>'
        )
    for i, record in enumerate(rounds):
        c = record.counts
        colour = _STATUS_COLOURS.get(record.status, "#57606a")
        tip = f"round {record.round}: {c.text()} passed ({record.status})"
        parts.append(
            f'<circle class="round {html.escape(record.status)}" cx="{x(i):.1f}" '
            f'cy="{y(c.passed):.1f}" r="5" fill="{colour}"><title>{html.escape(tip)}</title>'
            "</circle>"
        )
        parts.append(
            f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
            f'class="axis">{record.round}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
        'class="axis">round</text>'
    )
    parts.append(
        f'<text x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" class="axis" '
        f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">tests passed</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def _bounded(text: str, limit: int = SHOWN_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… ({len(text) - limit} more characters not shown)"


_CSS = """
body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;
margin:24px auto;max-width:1100px;padding:0 16px;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;border-bottom:1px solid #d0d7de;
padding-bottom:4px;margin-top:28px}h3{font-size:15px;margin:18px 0 6px}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:600}
.fixed,.passing{background:#1a7f37}.improved{background:#9a6700}.unchanged{background:#6e7781}
.error{background:#cf222e}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #d0d7de;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f6f8fa}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:8px 10px;
overflow:auto;font:12px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
white-space:pre-wrap;word-break:break-word}
pre.diff{white-space:pre}
.line{display:block}.add{background:#dafbe1}.del{background:#ffebe9}
.hunk{color:#0550ae;background:#ddf4ff}.meta{color:#57606a;font-weight:600}
.k{color:#cf222e}.s{color:#0a3069}.c{color:#6e7781;font-style:italic}.n{color:#0550ae}
.f{color:#8250df}.b{color:#953800}
.axis{font:11px sans-serif;fill:#57606a}
.legend span{display:inline-block;margin-right:14px}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:4px}
.muted{color:#57606a}code{font:12px ui-monospace,Menlo,Consolas,monospace}
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def html_report(
    result: OptimizationResult,
    prefix: str = "",
    apply_hint: str = "",
    patch_files: Iterable[str] = (),
    title: str = "",
) -> str:
    """A self-contained HTML page (inline CSS and SVG, no scripts, no network resources)."""
    outcome = OUTCOME_TEXT.get(result.outcome, result.outcome)
    doc = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title or 'pytest-trace-opt report')}: {_e(result.outcome)}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>pytest-trace-opt report</h1>",
        f'<p><span class="badge {_e(result.outcome)}" id="outcome">{_e(result.outcome)}</span> '
        f"{_e(outcome)}</p>",
        "<table>",
        f"<tr><th>stopped</th><td>{_e(result.stop_reason)}</td></tr>",
        f"<tr><th>tagged tests</th><td>before {_e(result.before.text())}; "
        f"after {_e(result.after.text())}</td></tr>",
    ]
    check = result.final_check
    if check:
        doc.append(
            f"<tr><th>final check</th><td>{_e(check.get('passed', 0))}/"
            f"{_e(check.get('selected', 0))} selected tests pass</td></tr>"
        )
    llm = result.llm
    if llm.get("calls") is not None:
        doc.append(
            f"<tr><th>LLM</th><td>{_e(llm.get('model'))} via {_e(llm.get('optimizer'))}: "
            f"{_e(llm.get('calls', 0))} call(s), {_e(llm.get('prompt_tokens', 0))} + "
            f"{_e(llm.get('completion_tokens', 0))} tokens, "
            f"{float(llm.get('seconds') or 0):.1f} s</td></tr>"
        )
    doc.append(f"<tr><th>duration</th><td>{result.seconds:.1f} s</td></tr></table>")
    broken = check.get("broken_outside_tagged") or []
    if broken:
        doc.append(
            f"<p><strong>Warning:</strong> the change breaks {len(broken)} untagged "
            f"test(s): {_e(', '.join(broken))}</p>"
        )
    if result.problems:
        doc.append(
            "<ul>" + "".join(f"<li>problem: {_e(p)}</li>" for p in result.problems) + "</ul>"
        )

    doc.append('<h2 id="plot">Tests passed per round</h2>')
    doc.append(passed_plot_svg(result.rounds))
    legend = "".join(
        f'<span><i class="dot" style="background:{colour}"></i>{_e(status)}</span>'
        for status, colour in _STATUS_COLOURS.items()
        if any(r.status == status for r in result.rounds)
    )
    doc.append(
        f'<p class="legend muted">{legend}<span>line: best so far; dashed: all tagged '
        "tests</span></p>"
    )

    doc.append('<h2 id="targets">Targets</h2>')
    if not result.targets:
        doc.append("<p>No trainable was reached by a failing tagged test.</p>")
    for i, target in enumerate(result.targets):
        where = f"{repo_path(target.file, prefix, None) or target.file}:{target.line}"
        doc.append(f'<section class="target" id="target-{i}">')
        doc.append(
            f"<h3>{_e(target.name)} <span class='muted'>({_e(where)}, "
            f"{_e(target.kind)}, {_e(target.status)})</span></h3>"
        )
        if target.status == "changed" and target.patch:
            diff = reprefix_patch(target.patch, prefix)
            doc.append(f'<pre class="diff">{highlight_diff(diff)}</pre>')
        elif target.note:
            doc.append(f"<p>{_e(target.note)}</p>")
        doc.append("</section>")

    doc.append('<h2 id="apply">How to apply</h2>')
    if result.applied:
        doc.append(f"<p>Applied by <code>--trace-apply</code>: {_e(result.apply_note)}</p>")
    elif result.patch:
        intro, commands, after = apply_steps(apply_hint, [str(f) for f in patch_files])
        doc.append(f"<p>{_e(intro)}</p><pre>{_e(chr(10).join(commands))}</pre><p>{_e(after)}</p>")
    else:
        doc.append("<p>No change was proposed.</p>")

    doc.append(
        '<h2 id="rounds">Rounds</h2><table><tr><th>round</th><th>status</th>'
        "<th>passed</th><th>score</th><th>LLM calls</th><th>tokens</th>"
        "<th>reason</th></tr>"
    )
    for record in result.rounds:
        c = record.counts
        doc.append(
            f"<tr><td>{record.round}</td><td>{_e(record.status)}</td><td>{_e(c.text())}</td>"
            f"<td>{'' if c.score is None else f'{c.score:.3g}'}</td><td>{record.llm_calls}</td>"
            f"<td>{record.prompt_tokens} + {record.completion_tokens}</td>"
            f"<td>{_e(record.reason)}</td></tr>"
        )
    doc.append("</table>")
    for record in result.rounds:
        if not (record.feedback or record.response or record.notes):
            continue
        doc.append(
            f'<details class="exchange" id="round-{record.round}"><summary>Round '
            f"{record.round}: feedback sent and reply received "
            f"({_e(record.status)})</summary>"
        )
        doc.append(f"<h3>Feedback sent</h3><pre>{_e(_bounded(record.feedback))}</pre>")
        doc.append(f"<h3>Reply received</h3><pre>{_e(_bounded(record.response))}</pre>")
        if record.notes:
            doc.append(
                "<ul>" + "".join(f"<li>{_e(_bounded(n, 500))}</li>" for n in record.notes) + "</ul>"
            )
        doc.append("</details>")
    doc.append("</body></html>")
    return "\n".join(doc) + "\n"


# --------------------------------------------------------------------------- the plugin


def proposal_pending(result: OptimizationResult | None) -> bool:
    """A patch was proposed and not written into the tree."""
    return bool(result is not None and result.patch and not result.applied)


class CIReports:
    """Writes the CI outputs from the final result; registered by the controller."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.result: OptimizationResult | None = None
        self.written: list[str] = []  # "what: path" lines for the terminal summary
        self.patch_files: list[Path] = []
        self.toplevel: Path | None = None
        self.failed_on_proposal = False
        self.annotations: list[str] = []  # GitHub workflow commands, printed at the end

    def _display(self, path: Path | str) -> str:
        try:
            return os.path.relpath(path, self.config.invocation_params.dir)
        except ValueError:
            return str(path)

    def _repo_relative(self, path: Path) -> str:
        """A written file as a maintainer names it: relative to the repository root if inside."""
        base = os.environ.get("GITHUB_WORKSPACE") or self.toplevel
        if base:
            try:
                return path.resolve().relative_to(Path(base).resolve()).as_posix()
            except ValueError:
                pass
        return path.name

    def _apply_hint(self, toplevel: Path | None) -> str:
        if self.settings.patch is None:
            return ""
        path = Path(self.settings.patch)
        if toplevel is not None:
            try:
                return f"git apply {path.resolve().relative_to(toplevel.resolve()).as_posix()}"
            except ValueError:
                pass
        return f"git apply {path}"

    def pytest_trace_opt_result(self, config: pytest.Config, result: OptimizationResult) -> None:
        self.result = result
        s = self.settings
        rootdir = config.rootpath
        toplevel = self.toplevel = git_toplevel(rootdir)
        prefix = repo_prefix(rootdir, toplevel)
        hint = self._apply_hint(toplevel)
        if result.patch_file and prefix:  # the controller wrote rootdir-relative paths
            self._guarded("--trace-patch", self._rewrite_patch_file, result, prefix)
        if s.patch_dir is not None:
            self._guarded("--trace-patch-dir", self._write_patch_dir, result, s.patch_dir, prefix)
        if s.report_html is not None:
            self._guarded(
                "--trace-report-html", self._write_html, result, s.report_html, prefix, hint
            )
        if s.github == "on" and os.environ.get("GITHUB_ACTIONS") == "true":
            self._guarded("GitHub Actions", self._github, result, prefix, toplevel, hint)

    def _guarded(self, what: str, write: Callable[..., None], *args: Any) -> None:
        try:
            write(*args)
        except OSError as exc:  # one output failing must not cost the others
            self.written.append(f"{what}: could not write: {exc}")

    def _rewrite_patch_file(self, result: OptimizationResult, prefix: str) -> None:
        assert result.patch_file is not None
        Path(result.patch_file).write_text(reprefix_patch(result.patch, prefix), encoding="utf-8")

    def _write_html(self, result: OptimizationResult, path: Path, prefix: str, hint: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        files = [self._repo_relative(p) for p in self.patch_files]
        path.write_text(html_report(result, prefix, hint, files), encoding="utf-8")
        self.written.append(f"HTML report: {self._display(path)}")

    def _write_patch_dir(self, result: OptimizationResult, directory: Path, prefix: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        taken: set[str] = set()
        for target in result.changed_targets:
            if not target.patch:
                continue
            path = directory / patch_file_name(target.key, taken)
            path.write_text(reprefix_patch(target.patch, prefix), encoding="utf-8")
            self.patch_files.append(path)
        if self.patch_files:
            shown = ", ".join(self._display(p) for p in self.patch_files)
            self.written.append(f"patch per target (git apply from the repository root): {shown}")

    def _github(
        self, result: OptimizationResult, prefix: str, toplevel: Path | None, hint: str
    ) -> None:
        summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary_path:
            names = [self._repo_relative(p) for p in self.patch_files]
            text = summary_markdown(result, prefix, hint, names)
            with open(summary_path, "a", encoding="utf-8") as handle:
                handle.write(text)
            self.written.append("GitHub job summary: appended to $GITHUB_STEP_SUMMARY")
        # Printed with the terminal summary, on lines of their own (see _emit_annotations).
        self.annotations = annotation_lines(result, prefix, toplevel, hint)

    def _emit_annotations(self, reporter: Any) -> None:
        lines, self.annotations = self.annotations, []
        if not lines:
            return
        for line in lines:
            if reporter is not None:
                reporter.write_line(line)
            else:
                sys.stdout.write(line + "\n")
        sys.stdout.flush()

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Any:
        if (
            self.settings.fail_on_proposal
            and proposal_pending(self.result)
            and session.exitstatus == pytest.ExitCode.OK
        ):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            self.failed_on_proposal = True
        try:
            return (yield)
        finally:
            self._emit_annotations(None)  # only left when no terminal summary ran

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        self._emit_annotations(terminalreporter)
        for line in self.written:
            terminalreporter.write_line(f"trace-opt {line}")
        if self.failed_on_proposal:
            terminalreporter.write_line(
                "trace-opt: exit status 1 (--trace-fail-on-proposal): a change was proposed "
                "and not applied",
                red=True,
            )
        if self.written and proposal_pending(self.result):
            # The summary ends with the exact command to apply the proposal.
            if self.result is not None and self.result.patch_file:
                command = f"git apply {self._display(self.result.patch_file)}"
            elif self.patch_files:
                command = f"git apply {self._display(self.patch_files[0])}"
            else:
                return
            terminalreporter.write_line(
                f"apply it with: {command}   (or re-run with --trace-apply)"
            )
