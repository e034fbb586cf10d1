"""The self-contained HTML report (--trace-report-html): inline CSS and SVG, no scripts, nothing
fetched. A pure function of an :class:`~pytest_trace_opt.model.OptimizationResult`.

Python in the diffs is highlighted by Pygments (a dependency of pytest) with its stylesheet
embedded in the page; the diff rows, the plot and the page itself are written here.
"""

from __future__ import annotations

import html
import math

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from pytest_trace_opt.model import OptimizationResult, RoundRecord, TargetResult
from pytest_trace_opt.patch import repo_path, reprefix_patch
from pytest_trace_opt.reports.apply import NO_FILES, PatchFiles, apply_steps
from pytest_trace_opt.reports.terminal import OUTCOME_TEXT, llm_use

SHOWN_CHARS = 4000  # feedback and reply text per round in the HTML report

# --------------------------------------------------------------------------- diffs

_FORMATTER = HtmlFormatter(nowrap=True, style="default")
# Line numbers must survive highlighting: keep leading and trailing blank lines.
_LEXER = PythonLexer(stripnl=False, ensurenl=True)
# Only the token rules, scoped to the diff (no page-wide rules such as ``pre {...}``).
_TOKEN_CSS = "\n".join(
    rule for rule in _FORMATTER.get_style_defs(".diff").splitlines() if rule.startswith(".diff .")
)


def _line_kinds(lines: list[str]) -> list[str]:
    """The row class of each line of a unified diff: meta, hunk, add, del or ctx."""
    kinds: list[str] = []
    in_header = True
    for line in lines:
        if line.startswith("diff --git"):
            in_header = True
        if line.startswith("@@"):
            in_header = False
            kinds.append("hunk")
        elif in_header or line.startswith("\\"):
            kinds.append("meta")
        elif line.startswith("+"):
            kinds.append("add")
        elif line.startswith("-"):
            kinds.append("del")
        else:
            kinds.append("ctx")
    return kinds


def _highlighted(code: list[str]) -> list[str]:
    """The HTML of each line of a Python fragment, highlighted as one text (so that a string
    or a docstring spanning lines is one token)."""
    if not code:
        return []
    lines = highlight("\n".join(code) + "\n", _LEXER, _FORMATTER).split("\n")
    if len(lines) < len(code):  # not expected: plain text rather than shifted highlighting
        return [html.escape(text) for text in code]
    return lines[: len(code)]


def _highlighted_bodies(lines: list[str], kinds: list[str]) -> dict[int, str]:
    """Line index -> highlighted code (after the +/-/space column) of every hunk body line.

    Each run of body lines is highlighted twice, as the old text (context and removed lines)
    and as the new one (context and added lines).
    """
    out: dict[int, str] = {}
    run: list[int] = []
    for i in [*range(len(lines)), len(lines)]:
        if i < len(lines) and kinds[i] in ("add", "del", "ctx"):
            run.append(i)
            continue
        old = [j for j in run if kinds[j] != "add"]
        new = [j for j in run if kinds[j] != "del"]
        for side in (old, new):  # context lines: the new side's highlight wins
            for j, text in zip(side, _highlighted([lines[j][1:] for j in side]), strict=True):
                out[j] = text
        run = []
    return out


def highlight_diff(patch: str) -> str:
    """HTML lines of a unified diff: headers, hunks, added and removed lines, Python inside."""
    lines = patch.rstrip("\n").splitlines()
    kinds = _line_kinds(lines)
    code = _highlighted_bodies(lines, kinds)
    rows: list[str] = []
    for i, (line, cls) in enumerate(zip(lines, kinds, strict=True)):
        body = html.escape(line) if i not in code else html.escape(line[:1]) + code[i]
        rows.append(f'<span class="line {cls}">{body}\n</span>')
    return "".join(rows)  # block spans, each ending in its newline (kept when copying text)


# --------------------------------------------------------------------------- the plot

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
.axis{font:11px sans-serif;fill:#57606a}
.legend span{display:inline-block;margin-right:14px}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:4px}
.muted{color:#57606a}code{font:12px ui-monospace,Menlo,Consolas,monospace}
"""
_CSS += _TOKEN_CSS + "\n"


def _e(value: object) -> str:
    return html.escape(str(value))


# --------------------------------------------------------------------------- the page


def html_report(
    result: OptimizationResult, prefix: str = "", files: PatchFiles = NO_FILES, title: str = ""
) -> str:
    """A self-contained HTML page (inline CSS and SVG, no scripts, no network resources)."""
    doc = [
        *_head(result, title),
        *_overview(result),
        *_plot(result.rounds),
        '<h2 id="targets">Targets</h2>',
    ]
    if not result.targets:
        doc.append("<p>No trainable was reached by a failing tagged test.</p>")
    for i, target in enumerate(result.targets):
        doc += _target_section(i, target, prefix)
    doc.append('<h2 id="apply">How to apply</h2>')
    if result.applied:
        doc.append(f"<p>Applied by <code>--trace-apply</code>: {_e(result.apply_note)}</p>")
    elif result.patch:
        intro, commands, after = apply_steps(files)
        doc.append(f"<p>{_e(intro)}</p><pre>{_e(chr(10).join(commands))}</pre><p>{_e(after)}</p>")
    else:
        doc.append("<p>No change was proposed.</p>")
    doc += _rounds(result.rounds)
    doc.append("</body></html>")
    return "\n".join(doc) + "\n"


def _head(result: OptimizationResult, title: str) -> list[str]:
    outcome = OUTCOME_TEXT.get(result.outcome, result.outcome)
    return [
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
    ]


def _overview(result: OptimizationResult) -> list[str]:
    """The table of the run (stop, counts, final check, LLM, duration), warnings, problems."""
    doc = [
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
        doc.append(f"<tr><th>LLM</th><td>{llm_use(llm, _e)}</td></tr>")
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
    return doc


def _plot(rounds: list[RoundRecord]) -> list[str]:
    legend = "".join(
        f'<span><i class="dot" style="background:{colour}"></i>{_e(status)}</span>'
        for status, colour in _STATUS_COLOURS.items()
        if any(r.status == status for r in rounds)
    )
    return [
        '<h2 id="plot">Tests passed per round</h2>',
        passed_plot_svg(rounds),
        f'<p class="legend muted">{legend}<span>line: best so far; dashed: all tagged '
        "tests</span></p>",
    ]


def _target_section(i: int, target: TargetResult, prefix: str) -> list[str]:
    where = f"{repo_path(target.file, prefix, None) or target.file}:{target.line}"
    doc = [
        f'<section class="target" id="target-{i}">',
        f"<h3>{_e(target.name)} <span class='muted'>({_e(where)}, "
        f"{_e(target.kind)}, {_e(target.status)})</span></h3>",
    ]
    if target.status == "changed" and target.patch:
        diff = reprefix_patch(target.patch, prefix)
        doc.append(f'<pre class="diff">{highlight_diff(diff)}</pre>')
    elif target.note:
        doc.append(f"<p>{_e(target.note)}</p>")
    doc.append("</section>")
    return doc


def _rounds(rounds: list[RoundRecord]) -> list[str]:
    """The table of rounds, then per round the feedback sent and the reply received."""
    doc = [
        '<h2 id="rounds">Rounds</h2><table><tr><th>round</th><th>status</th>'
        "<th>passed</th><th>score</th><th>LLM calls</th><th>tokens</th>"
        "<th>reason</th></tr>"
    ]
    for record in rounds:
        c = record.counts
        doc.append(
            f"<tr><td>{record.round}</td><td>{_e(record.status)}</td><td>{_e(c.text())}</td>"
            f"<td>{'' if c.score is None else f'{c.score:.3g}'}</td><td>{record.llm_calls}</td>"
            f"<td>{record.prompt_tokens} + {record.completion_tokens}</td>"
            f"<td>{_e(record.reason)}</td></tr>"
        )
    doc.append("</table>")
    for record in rounds:
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
    return doc
