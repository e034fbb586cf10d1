#!/usr/bin/env python
"""Wall time of the README's Quick start main job: ``pytest --trace-optimize examples/ ...``.

    python benchmarks/quickstart.py [--repeats 1] [--markdown docs/benchmarks.md]

Reads the main job's command from the README (the part of the Quick start's first command
that starts with ``python3 -m pytest --trace-optimize``; the install and the model fetch
before it are not timed), runs it in a fresh copy of ``examples/`` in a temporary
directory (so ``trace.patch`` and the caches land there, not in the clone), with
``--trace-report-json`` added to read the rounds, LLM calls and tokens. Prints a Markdown
table and writes it into docs/benchmarks.md between the ``quickstart`` markers (appended
when they are missing). Run it on an idle machine with the model fetched; it needs no
network. Exit status 0 when every run finished (whatever its own exit status was).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
START, END = "<!-- quickstart:start -->", "<!-- quickstart:end -->"
MAIN_JOB = re.compile(r"python3 -m pytest --trace-optimize[^\n&]*")


def main_job_command(readme: str) -> list[str]:
    """The README's main job as an argument list, run with this interpreter."""
    section = readme.split("## Quick start", 1)[-1]
    match = MAIN_JOB.search(section)
    if match is None:
        raise SystemExit("the README's Quick start has no 'python3 -m pytest --trace-optimize'")
    args = shlex.split(match.group(0))
    return [sys.executable, *args[1:]]


def run_once(command: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="quickstart-") as tmp:
        work = Path(tmp)
        shutil.copytree(REPO / "examples", work / "examples")
        report = work / "report.json"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        env["CI"] = "true"  # no colours, plain progress lines
        started = time.monotonic()
        proc = subprocess.run(
            [*command, f"--trace-report-json={report}"],
            cwd=work, env=env, capture_output=True, text=True,
        )  # fmt: skip
        seconds = time.monotonic() - started
        data = json.loads(report.read_text("utf-8")) if report.exists() else {}
    llm = data.get("llm", {})
    rounds = [r for r in data.get("rounds", []) if r.get("round")]
    return {
        "seconds": round(seconds, 1),
        "exit_status": proc.returncode,
        "outcome": data.get("outcome"),
        "rounds": len({r["round"] for r in rounds}),
        "llm_calls": llm.get("calls"),
        "prompt_tokens": llm.get("prompt_tokens"),
        "completion_tokens": llm.get("completion_tokens"),
        "llm_seconds": llm.get("seconds"),
        "changed": [t.get("name") for t in data.get("targets", []) if t.get("status") == "changed"],
        "still_failing": still_failing(proc.stdout),
        "tail": proc.stdout[-1500:] if not data else "",
    }


def still_failing(output: str) -> list[str]:
    """The tests pytest's short summary names as failed after the final check."""
    found = []
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            found.append(line.split()[1].rsplit("::", 1)[-1])
    return found


def table(command: list[str], runs: list[dict[str, Any]], load: float | None) -> str:
    shown = shlex.join(["python3", *command[1:]])
    lines = [
        f"### Quick start main job: {dt.datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"- command: `{shown}` (in a fresh copy of `examples/`; `--trace-report-json` added)",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {load} at start; local default model",
        "- measured with: `python benchmarks/quickstart.py`",
        "",
        "| run | wall s | exit | outcome | rounds | LLM calls | tokens (prompt+completion) "
        "| LLM s | changed | still failing |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(runs, 1):
        lines.append(
            f"| {i} | {r['seconds']} | {r['exit_status']} | {r['outcome']} | {r['rounds']} "
            f"| {r['llm_calls']} | {r['prompt_tokens']}+{r['completion_tokens']} "
            f"| {r['llm_seconds']} | {', '.join(r['changed']) or '-'} "
            f"| {', '.join(r.get('still_failing', [])) or '-'} |"
        )
    return "\n".join(lines) + "\n"


def write_markdown(path: Path, text: str) -> None:
    doc = path.read_text("utf-8") if path.exists() else ""
    block = f"{START}\n{text}{END}"
    if START in doc and END in doc:
        head, rest = doc.split(START, 1)
        doc = head + block + rest.split(END, 1)[1]
    else:
        doc = doc.rstrip() + "\n\n" + block + "\n"
    path.write_text(doc, "utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--markdown", type=Path, default=REPO / "docs" / "benchmarks.md")
    ap.add_argument("--no-markdown", action="store_true")
    args = ap.parse_args()
    command = main_job_command((REPO / "README.md").read_text("utf-8"))
    load = round(os.getloadavg()[0], 2)
    runs = []
    for i in range(args.repeats):
        run = run_once(command)
        print(f"run {i + 1}: {json.dumps(run)}", flush=True)
        runs.append(run)
    text = table(command, runs, load)
    print(text)
    if not args.no_markdown:
        write_markdown(args.markdown, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
