#!/usr/bin/env python
"""Repair benchmark: the plugin against three baselines on the corpus (docs/benchmarks.md).

    python benchmarks/run.py [--corpus benchmarks/corpus] [--cases a,b]
        [--systems plugin,trace_loop,naive,aider] [--llm local|LITELLM_MODEL] [--base-url URL]
        [--budget 3] [--json-mode off] [--aider PATH] [--out benchmarks/results/DATE.json]
        [--markdown docs/benchmarks.md] [--resume benchmarks/results/DATE.json]

For each case, for each system, on a fresh temporary copy of the case directory (the
corpus is never modified): run the system with the same LLM and the same budget of LLM
calls, then judge the files it left with plain pytest (subprocess, 60 s per run, 10 s per
test): fixed = every test passes, holdouts included; overfit = the visible tests pass but
a holdout fails. Writes the results as JSON and a Markdown table into docs/benchmarks.md
(between the ``benchmark-results`` markers). An interrupted run goes on where it stopped
with ``--resume FILE``: the run's own cases, systems, model and budget are kept, finished
rows are not run again; it must run from a checkout of the commit the run measured.

Systems:
  plugin      ``python -m pytest --trace-optimize --trace-max-llm-calls=B --trace-rounds=B
              --trace-apply --trace-report-json=R`` in the case copy, as a user would run it;
              calls and tokens come from the JSON report; the fix is what --trace-apply wrote.
  trace_loop  benchmarks/baselines/trace_loop.py: a hand-written OptoPrime loop as the
              Trace README teaches it.
  naive       benchmarks/baselines/naive.py: "code + failing output, fix it" chat loop.
  aider       benchmarks/baselines/aider.py: aider (pinned aider-chat, its own virtualenv
              benchmarks/.aider-venv or --aider PATH) with --test-cmd on the visible tests and
              --auto-test, whole-file edits, against the same model served by
              ``python -m llama_cpp.server``; a counting proxy caps and counts the calls.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime as dt
import json
import os
import platform
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from baselines import aider as aider_baseline  # noqa: E402
from baselines import naive, trace_loop  # noqa: E402
from baselines.common import clean_env, run_in_session, run_tests, test_kinds  # noqa: E402

from pytest_trace_opt.core.techniques import SWITCHES  # noqa: E402

SYSTEMS = ("plugin", "trace_loop", "naive", "aider")
START, END = "<!-- benchmark-results:start -->", "<!-- benchmark-results:end -->"
WAYS_START, WAYS_END = "<!-- benchmark-ways:start -->", "<!-- benchmark-ways:end -->"

# "Ways to win": the plugin with one technique changed. Each is (extra pytest arguments,
# techniques switched off through PYTEST_TRACE_OPT_ABLATE, what it measures). A switched-off
# technique is described where the switch is defined (pytest_trace_opt.core.techniques).
_ABLATION_NAMES = {"feedback": "plugin-no-feedback-detail", "holdout": "plugin-no-holdout-guard"}
_ABLATION_ARGS = {"lenient": ["--trace-optimizer=OptoPrime"]}  # Repair parses on its own
VARIANTS: dict[str, tuple[list[str], str, str]] = {
    "plugin-candidates3": (
        ["--trace-candidates=3"],
        "",
        "3 candidates per round (temperatures 0, 0.3, 0.6), all evaluated, the best kept",
    ),
    **{
        _ABLATION_NAMES.get(switch, f"plugin-no-{switch}"): (
            _ABLATION_ARGS.get(switch, []),
            switch,
            meaning,
        )
        for switch, (_, meaning) in SWITCHES.items()
    },
    "plugin-one-candidate": (
        ["--trace-candidates=1"],
        "",
        "one candidate per round after a miss (three drawn from one prompt evaluation otherwise)",
    ),
    "plugin-repair": (
        ["--trace-optimizer=Repair"],
        "",
        "the plugin's own Repair optimizer (one python block, suspicious lines marked)",
    ),
    "plugin-optoprime": (
        ["--trace-optimizer=OptoPrime"],
        "",
        "Trace's OptoPrime instead of Repair (the default until 2026-12-05)",
    ),
}


def machine() -> dict[str, Any]:
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return {
        "arch": platform.machine(),
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "load_at_start": None if load is None else round(load, 2),
    }


PR_SET_CHILD_SUBREAPER = 36  # prctl(2)


class OtherWork:
    """CPU seconds the machine spent on anything but this runner and its processes while a
    row ran (Linux: ``/proc/stat`` against the runner's own and its children's CPU time;
    None elsewhere). Another process at any nice level slowed the local model several
    times over in earlier runs (docs/benchmarks.md), so each row says how quiet it was."""

    def __init__(self, long_lived: Any = lambda: []) -> None:
        self.long_lived = long_lived  # pids of processes that outlive a row (aider's server)
        self.mark: float | None = None

    def start(self) -> None:
        self.mark = self._others()

    def stop(self) -> float | None:
        now = self._others()
        if now is None or self.mark is None:
            return None
        return round(max(0.0, now - self.mark), 1)

    def _others(self) -> float | None:
        busy = busy_seconds()
        if busy is None:
            return None
        reap_orphans()  # so that their CPU time is in RUSAGE_CHILDREN below
        mine = 0.0
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
            usage = resource.getrusage(who)
            mine += usage.ru_utime + usage.ru_stime
        mine += sum(process_seconds(pid) or 0.0 for pid in self.long_lived())
        return busy - mine


def adopt_orphans(adopt: bool = True) -> bool:
    """Make the runner the reaper of its orphaned descendants, or no longer (Linux). bwrap's
    sandbox, which the plugin runs its tests in, leaves its inner processes to be reaped by
    init, and their CPU time would count as other work; adopted and reaped, it is the
    runner's."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, int(adopt), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def reap_orphans() -> None:
    """Reap the adopted descendants that have ended (never a live one: WNOHANG)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def aider_server_pids(aider: Any) -> list[int]:
    server = getattr(aider, "server", None)
    proc = getattr(server, "proc", None)
    return [proc.pid] if proc is not None else []


def busy_seconds(stat: str | None = None) -> float | None:
    """CPU seconds of all CPUs not idle since boot, from ``/proc/stat``'s first line."""
    try:
        text = stat if stat is not None else Path("/proc/stat").read_text()
        name, *values = text.splitlines()[0].split()
        fields = [int(v) for v in values]
    except (OSError, ValueError, IndexError):
        return None
    if name != "cpu" or len(fields) < 4:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def process_seconds(pid: int) -> float | None:
    """User and system CPU seconds of a running process, from ``/proc/<pid>/stat``."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def commit() -> str | None:
    """The plugin's code the run measured: the repository's HEAD, "+dirty" with local edits."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "pytest_trace_opt"],
            cwd=REPO, capture_output=True, text=True,
        )  # fmt: skip
    except OSError:
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def copy_case(src: Path, dest_root: Path) -> Path:
    dest = dest_root / src.name
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return dest


def judge(case_dir: Path) -> dict[str, Any]:
    kinds = test_kinds(case_dir)
    visible = [i for i, k in kinds.items() if k == "visible"]
    holdout = [i for i, k in kinds.items() if k == "holdout"]
    res = run_tests(case_dir, None, timeout=60.0, per_test_timeout=10.0)
    everything = list(kinds)
    all_pass = res.status == 0 and res.passed(everything) == len(everything)
    vis, hold = res.passed(visible), res.passed(holdout)
    return {
        "fixed": all_pass,
        "overfit": vis == len(visible) and hold < len(holdout),
        "visible_passed": vis,
        "visible_total": len(visible),
        "holdout_passed": hold,
        "holdout_total": len(holdout),
        "judge_timed_out": res.status is None,
    }


# --------------------------------------------------------------------------- systems


def reports_dir(results: Path) -> Path:
    """Beside ``results``: the plugin's reports and cassettes of that run (not committed)."""
    return results.with_name(results.stem + "-reports")


def run_plugin(
    case_dir: Path, args: argparse.Namespace, keep: Path, system: str = "plugin"
) -> dict[str, Any]:
    """``keep``: where the plugin's JSON report and its cassette (every prompt and reply)
    stay after the run, to read why a case was lost."""
    keep.mkdir(parents=True, exist_ok=True)
    report = keep / f"{case_dir.name}-{system}-report.json"
    cassette = keep / f"{case_dir.name}-{system}-cassette.json"
    for stale in (report, cassette):  # a resumed run measures the case again
        stale.unlink(missing_ok=True)
    record_mode = "all"
    replay: Path | None = getattr(args, "replay", None)
    if replay is not None:  # the recorded replies, no LLM: what this code makes of them
        record_mode = "none"
        for name in (
            f"{case_dir.name}-{system}-cassette.json",
            f"{case_dir.name}-plugin-cassette.json",
        ):
            if (replay / name).is_file():
                shutil.copyfile(replay / name, cassette)
                break
    extra_args, ablate, _ = VARIANTS.get(system, ([], "", ""))
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "--trace-optimize",
        f"--trace-max-llm-calls={args.budget}",
        f"--trace-rounds={args.budget}",
        "--trace-apply",
        f"--trace-report-json={report}",
        f"--trace-cassette={cassette}",
        f"--trace-record-mode={record_mode}",
        f"--trace-llm={args.llm}",
        f"--trace-llm-json-mode={args.json_mode}",
    ]
    if args.base_url:
        cmd.append(f"--trace-llm-base-url={args.base_url}")
    cmd += extra_args
    timeout = 120 + args.budget * 400  # a stuck run is killed; the case counts as not fixed
    env = clean_env(PYTEST_TRACE_OPT_ABLATE=ablate)
    status, out, secs = run_in_session(cmd, case_dir, env, timeout)
    out_row: dict[str, Any] = {"exit_status": status, "notes": []}
    try:
        rep = json.loads(report.read_text())
    except (OSError, ValueError):
        out_row["notes"].append("no JSON report" + (" (killed: timeout)" if status is None else ""))
        out_row["notes"].append(out[-600:])
        return out_row
    llm = rep.get("llm") or {}
    out_row.update(
        llm_calls=llm.get("calls", 0),
        llm_samples=llm.get("samples", llm.get("calls", 0)),  # replies drawn (several a call)
        prompt_tokens=llm.get("prompt_tokens", 0),
        completion_tokens=llm.get("completion_tokens", 0),
        llm_seconds=llm.get("seconds", 0.0),
        outcome=rep.get("outcome"),
        stop_reason=rep.get("stop_reason"),
        applied=rep.get("applied"),
        # the plugin's own view of its best candidate (holdouts included), applied or not
        best_candidate=rep.get("after"),
        rounds=[
            {k: r.get(k) for k in ("round", "status", "llm_calls", "reason")}
            for r in rep.get("rounds", [])
        ],
    )
    if rep.get("problems"):
        out_row["notes"].extend(str(p)[:200] for p in rep["problems"])
    return out_row


def run_baseline(system: str, case_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    from pytest_trace_opt.llm import LLMConfig, build_llm

    # the plugin's defaults for everything but the budget (1024 tokens, 180 s, temperature 0)
    config = LLMConfig(
        model=args.llm,
        base_url=args.base_url,
        max_calls=args.budget,
        json_mode=args.json_mode == "on",
        timeout=180,
    )
    client = build_llm(config)
    module = trace_loop if system == "trace_loop" else naive
    try:
        detail = module.run(case_dir, client, args.budget, log=lambda s: print(s, flush=True))
    except Exception as e:  # noqa: BLE001 - a crashing baseline is a result, not the end
        detail = {"notes": [f"baseline crashed: {type(e).__name__}: {str(e)[:300]}"]}
    finally:
        client.close()
    st = client.stats
    return {
        **detail,
        "llm_calls": st.calls,
        "prompt_tokens": st.prompt_tokens,
        "completion_tokens": st.completion_tokens,
        "llm_seconds": round(st.seconds, 1),
    }


def aider_session(args: argparse.Namespace) -> aider_baseline.Aider:
    """The aider system of this run, with the other systems' LLM settings: the same GGUF file
    (``--llm local``) or the same OpenAI-compatible server (``--base-url``), 1024 completion
    tokens, n_ctx 8192, seed 0 (the plugin's defaults)."""
    from pytest_trace_opt.llm import LLMConfig

    config = LLMConfig()
    common: dict[str, Any] = {
        "exe": args.aider,
        "max_tokens": config.max_tokens,
        "n_ctx": config.n_ctx,
        "seed": config.seed,
        "log": lambda s: print(s, flush=True),
    }
    if args.llm == "local":
        from pytest_trace_opt.local import default_model_path

        path = config.model_path or str(default_model_path())
        return aider_baseline.Aider(model_path=path, **common)
    return aider_baseline.Aider(base_url=args.base_url, model=args.llm, **common)


def run_aider(case_dir: Path, args: argparse.Namespace, aider: Any) -> dict[str, Any]:
    try:
        return aider.run(case_dir, args.budget, log=lambda s: print(s, flush=True))
    except Exception as e:  # noqa: BLE001 - a crashing baseline is a result, not the end
        return {"notes": [f"aider crashed: {type(e).__name__}: {str(e)[:300]}"]}


# --------------------------------------------------------------------------- output


def complete_cases(result: dict[str, Any]) -> list[str]:
    """The cases every system of the run has finished, in the run's order."""
    done = {(r["case"], r["system"]) for r in result["rows"]}
    return [c for c in result["cases"] if all((c, s) in done for s in result["systems"])]


def run_totals(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Totals per system over the finished cases only, so the systems compare like for like."""
    finished = set(complete_cases(result))
    rows = [r for r in result["rows"] if r["case"] in finished]
    return [totals(rows, s) for s in result["systems"]]


def totals(rows: list[dict[str, Any]], system: str) -> dict[str, Any]:
    mine = [r for r in rows if r["system"] == system]
    return {
        "system": system,
        "cases": len(mine),
        "fixed": sum(r["fixed"] for r in mine),
        "overfit": sum(r["overfit"] for r in mine),
        "llm_calls": sum(r.get("llm_calls", 0) for r in mine),
        "prompt_tokens": sum(r.get("prompt_tokens", 0) for r in mine),
        "completion_tokens": sum(r.get("completion_tokens", 0) for r in mine),
        "seconds": round(sum(r["seconds"] for r in mine), 1),
    }


NOISY_ROW = 10.0  # CPU seconds of other work during one row that are worth a mention


def quiet_lines(rows: list[dict[str, Any]]) -> list[str]:
    """How much other work the machine did while the rows ran (rows measured before it was
    recorded say nothing)."""
    measured = [r["other_cpu_seconds"] for r in rows if r.get("other_cpu_seconds") is not None]
    if not measured:
        return []
    noisy = sum(1 for v in measured if v > NOISY_ROW)
    return [
        f"- other work on the machine while the rows ran: {sum(measured):.0f} CPU-seconds in "
        f"all, at most {max(measured):.0f} in one row; {noisy} of {len(measured)} rows had more "
        f"than {NOISY_ROW:.0f}"
    ]


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    partial = result["partial"]
    finished = complete_cases(result)
    incomplete = len(finished) < len(result["cases"])
    sittings = result.get("sittings") or []
    lines = [
        START,
        f"### Repair results: {result['date']}"
        + (" (SMOKE RUN, PARTIAL: not the full corpus / default budget)" if partial else "")
        + (
            f" (INCOMPLETE: {len(finished)} of {len(result['cases'])} cases finished; "
            "totals over the finished cases only)"
            if incomplete
            else ""
        ),
        "",
        f"- model: `{result['model']}`; budget: {result['budget']} LLM call(s) per case and "
        f"system; JSON mode {result.get('json_mode', 'off')}",
        f"- machine: {m['arch']}, {m['nproc']} cores, {m['memory_gib']} GiB RAM, Python "
        f"{m['python']}, load average {m['load_at_start'] or 0:.2f} at start",
        f"- command: `{result['command']}`"
        + (f" at commit `{result['commit']}`" if result.get("commit") else ""),
        f"- cases: {len(result['cases'])}; wall time {result['seconds'] / 60:.1f} min"
        + (f" in {len(sittings)} sittings (resumed with `--resume`)" if len(sittings) > 1 else ""),
        *quiet_lines(result["rows"]),
    ]
    versions = sorted(
        {
            r["aider_version"]
            for r in result["rows"]
            if r["system"] == "aider" and r.get("aider_version")
        }
    )
    if versions:
        lines.append(
            f"- aider: `{'`, `'.join(versions)}` (whole-file edits, `--auto-test` on the visible "
            "tests; the model served by `llama_cpp.server` when local)"
        )
    lines += [
        "",
        "| case | system | fixed | overfit | visible | holdout | LLM calls | tokens "
        "(prompt+completion) | wall s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    order = {(c, s): i for i, (c, s) in enumerate(
        (c, s) for c in result["cases"] for s in result["systems"]
    )}  # fmt: skip
    for r in sorted(result["rows"], key=lambda r: order.get((r["case"], r["system"]), 1 << 30)):
        lines.append(
            f"| {r['case']} | {r['system']} | {'yes' if r['fixed'] else 'no'} | "
            f"{'yes' if r['overfit'] else 'no'} | {r['visible_passed']}/{r['visible_total']} | "
            f"{r['holdout_passed']}/{r['holdout_total']} | {r.get('llm_calls', 0)} | "
            f"{r.get('prompt_tokens', 0)}+{r.get('completion_tokens', 0)} | {r['seconds']:.0f} |"
        )
    for t in run_totals(result):
        lines.append(
            f"| **total** | **{t['system']}** | **{t['fixed']}/{t['cases']}** | {t['overfit']} | | "
            f"| {t['llm_calls']} | {t['prompt_tokens']}+{t['completion_tokens']} | "
            f"{t['seconds']:.0f} |"
        )
    lines += ["", END]
    return "\n".join(lines)


def ways_markdown(result: dict[str, Any], reference: dict[str, Any] | None = None) -> str:
    """The "ways to win" block: each variant against the plugin as it ships.

    ``reference``: an earlier results file whose ``plugin`` rows stand for the default when
    this run did not include ``plugin`` itself (same model, budget and cases).
    """
    m = result["machine"]
    rows = list(result["rows"])
    systems = list(result["systems"])
    if "plugin" not in systems and reference is not None:
        wanted = set(result["cases"])
        rows += [r for r in reference["rows"] if r["system"] == "plugin" and r["case"] in wanted]
        systems = ["plugin", *systems]
    lines = [
        WAYS_START,
        f"### Ways to win: {result['date']}",
        "",
        f"- model: `{result['model']}`; budget: {result['budget']} LLM call(s) per case",
        f"- machine: {m['arch']}, {m['nproc']} cores, {m['memory_gib']} GiB RAM, load average "
        f"{m['load_at_start'] or 0:.2f} at start",
        f"- command: `{result['command']}`"
        + (f" at commit `{result['commit']}`" if result.get("commit") else "")
        + (f" (the `plugin` rows: `{reference['command']}`, {reference['date']})"
           if reference is not None and "plugin" not in result["systems"] else ""),
        f"- cases ({len(result['cases'])}): " + ", ".join(result["cases"]),
        *quiet_lines(rows),
        "",
        "| variant | what changes | fixed | overfit | best candidate passes all visible "
        "| LLM calls | tokens (prompt+completion) | wall s |",
        "|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for system in systems:
        mine = [r for r in rows if r["system"] == system]
        t = totals(rows, system)
        visible_ok = sum(
            1 for r in mine
            if (b := r.get("best_candidate")) and b["visible_passed"] == b["visible_total"]
        )  # fmt: skip
        what = "as shipped" if system == "plugin" else VARIANTS.get(system, ([], "", "?"))[2]
        lines.append(
            f"| {system} | {what} | {t['fixed']}/{t['cases']} | {t['overfit']} | {visible_ok} | "
            f"{t['llm_calls']} | {t['prompt_tokens']}+{t['completion_tokens']} | "
            f"{t['seconds']:.0f} |"
        )
    lines += ["", "| case | " + " | ".join(systems) + " |", "|---" * (len(systems) + 1) + "|"]
    for case in result["cases"]:
        cells = []
        for system in systems:
            found = [r for r in rows if r["system"] == system and r["case"] == case]
            cells.append("?" if not found else ("fixed" if found[0]["fixed"] else "-"))
        lines.append(f"| {case} | " + " | ".join(cells) + " |")
    lines += ["", WAYS_END]
    return "\n".join(lines)


def write_markdown(path: Path, block: str, start: str = START, end: str = END) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if start in text and end in text:
        pre, rest = text.split(start, 1)
        text = pre + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def save(result: dict[str, Any], out: Path) -> None:
    result["totals"] = run_totals(result)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


def emit(result: dict[str, Any], args: argparse.Namespace) -> None:
    """Print the run's table and put it in the Markdown file: the side-by-side comparison
    between the results markers, a run of variants between the ways-to-win markers."""
    if any(s in VARIANTS for s in result["systems"]):
        reference = json.loads(args.reference.read_text()) if args.reference else None
        md, start, end = ways_markdown(result, reference), WAYS_START, WAYS_END
    else:
        md, start, end = markdown(result), START, END
    print(md)
    if not args.no_markdown:
        write_markdown(args.markdown, md, start, end)


SPREAD_OFFSETS = (2, 4, 1, 3, 0)


def spread(cases: list[str]) -> list[str]:
    """Every fifth case from the third, then from the fifth, second, fourth and first."""
    return [c for offset in SPREAD_OFFSETS for c in cases[offset::5]]


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    # as Ctrl-C does: the aider server, its proxy and the temporary copies are cleaned up
    # (a killed run left the model server running, busy on its last request)
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=HERE / "corpus")
    ap.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--llm", default="local", help="'local' or a LiteLLM model string")
    ap.add_argument("--base-url", default=None)
    ap.add_argument("--budget", type=int, default=3, help="LLM calls per case and system")
    ap.add_argument(
        "--json-mode",
        choices=("off", "on"),
        default="off",
        help="JSON mode for every system (plugin: --trace-llm-json-mode; default off, as the "
        "plugin's default)",
    )
    ap.add_argument(
        "--aider",
        type=Path,
        default=None,
        metavar="PATH",
        help="an existing aider executable (default: benchmarks/.aider-venv/bin/aider, "
        f"created with aider-chat=={aider_baseline.AIDER_VERSION} when missing)",
    )
    ap.add_argument(
        "--order",
        choices=("sorted", "spread"),
        default="sorted",
        help="order of the cases: sorted by name, or spread (every fifth case of the sorted "
        "corpus from the third, then from the fifth, second, fourth and first: an "
        "interrupted run has measured a sample spread over the corpus)",
    )
    ap.add_argument("--out", type=Path, default=None, help="JSON results file")
    ap.add_argument("--markdown", type=Path, default=REPO / "docs" / "benchmarks.md")
    ap.add_argument("--no-markdown", action="store_true")
    ap.add_argument(
        "--render", type=Path, default=None, help="only rewrite the table from a results JSON"
    )
    ap.add_argument(
        "--resume",
        type=Path,
        default=None,
        metavar="FILE",
        help="go on with an interrupted run's results JSON: its cases, systems, model and "
        "budget; finished rows are kept",
    )
    ap.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="ways-to-win runs without 'plugin': take its rows from this results JSON",
    )
    ap.add_argument(
        "--replay",
        type=Path,
        default=None,
        metavar="DIR",
        help="plugin systems only: replay the replies recorded in DIR (a run's -reports "
        "directory) instead of calling the LLM; a prompt that changed since is a miss that "
        "ends the case's rounds (its stop reason says so). Checks what the code after the "
        "LLM call (edit search, parts of a change, acceptance) makes of the same replies; "
        "not a fix rate",
    )
    args = ap.parse_args(argv)
    for name in ("corpus", "aider", "out", "markdown", "render", "resume", "reference", "replay"):
        path = getattr(args, name)  # the systems run in case copies: a relative path would
        if path is not None:  # name a file there (a report written where no one reads it)
            setattr(args, name, path.resolve())
    if args.render:
        result = json.loads(args.render.read_text())
        emit(result, args)
        return 0

    now = dt.datetime.now()
    command = "python benchmarks/run.py" + "".join(
        " " + shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)
    )
    if args.resume:
        try:
            result = json.loads(args.resume.read_text())
        except (OSError, ValueError) as e:
            ap.error(f"--resume {args.resume}: {e}")
        systems, cases, out = result["systems"], result["cases"], args.resume
        measured, here = result.get("commit"), commit()
        if measured and here != measured:  # every row of one run measures the same code
            ap.error(
                f"--resume {args.resume}: the run measured commit {measured}, this checkout is "
                f"{here}; resume from a checkout of it "
                f"(git worktree add DIR {measured.removesuffix('+dirty')})"
            )
        # the run's own settings, whatever the command line says, so the rows stay comparable
        args.llm, args.budget = result.get("llm", args.llm), result["budget"]
        args.base_url = result.get("base_url", args.base_url)
        args.json_mode = result.get("json_mode", "off")
        previous_seconds = float(result.get("seconds", 0.0))
        result.setdefault("sittings", [{"date": result["date"], "seconds": previous_seconds}])
        result["sittings"].append({"date": f"{now:%Y-%m-%d %H:%M}", "seconds": 0.0})
        print(
            f"resuming {out}: {len(complete_cases(result))} of {len(cases)} cases finished",
            flush=True,
        )
    else:
        systems = [s for s in args.systems.split(",") if s]
        bad = [s for s in systems if s not in SYSTEMS and s not in VARIANTS]
        if bad:
            ap.error(f"unknown system(s): {', '.join(bad)}")
        if args.replay is not None:
            if not args.replay.is_dir():
                ap.error(f"--replay: {args.replay} is not a directory")
            others = [s for s in systems if s != "plugin" and s not in VARIANTS]
            if others:
                ap.error(f"--replay replays the plugin's replies only, not {', '.join(others)}")
        all_cases = sorted(p.name for p in args.corpus.iterdir() if (p / "case.toml").exists())
        cases = [c for c in args.cases.split(",") if c] or all_cases
        missing = [c for c in cases if c not in all_cases]
        if missing:
            ap.error(f"unknown case(s): {', '.join(missing)}")
        if args.order == "spread":
            cases = spread(cases)
        out = args.out or HERE / "results" / f"{now:%Y-%m-%d-%H%M}.json"
        previous_seconds = 0.0
        result = {
            "date": f"{now:%Y-%m-%d %H:%M}",
            "model": args.llm + (f" at {args.base_url}" if args.base_url else ""),
            "llm": args.llm,
            "base_url": args.base_url,
            "budget": args.budget,
            "json_mode": args.json_mode,
            "systems": systems,
            "cases": cases,
            "partial": sorted(cases) != all_cases or args.budget != 3 or systems != list(SYSTEMS),
            "command": command,
            "machine": machine(),
            "commit": commit(),
            "rows": [],
        }
        if args.llm == "local":
            from pytest_trace_opt.llm import LLMConfig, build_llm

            result["model"] = build_llm(LLMConfig()).describe()
    if "aider" in systems and args.llm != "local" and not args.base_url:
        ap.error(
            "the aider system needs --llm local or an OpenAI-compatible --base-url "
            "(or leave it out of --systems)"
        )
    done = {(r["case"], r["system"]) for r in result["rows"]}
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="trace-bench-")))
        aider = None  # the aider system's server and proxy: started on its first case
        aider_error = None  # why they could not start (then every aider row says so)
        if adopt_orphans():
            stack.callback(adopt_orphans, False)  # a caller's process is left as it was
        others = OtherWork(lambda: aider_server_pids(aider))
        for case in cases:
            for system in systems:
                if (case, system) in done:
                    continue
                work = tmp / f"{system}-{case}"
                work.mkdir()
                case_dir = copy_case(args.corpus / case, work)
                print(f"{case} / {system} ...", flush=True)
                if system == "aider" and aider is None and aider_error is None:
                    aider = stack.enter_context(aider_session(args))
                    try:
                        aider.start()  # installs aider, loads the server: not timed
                    except Exception as e:  # noqa: BLE001 - recorded in the rows
                        aider_error = f"aider could not start: {type(e).__name__}: {e}"[:400]
                        print(aider_error, flush=True)
                t0 = time.monotonic()
                others.start()
                if system == "aider" and aider_error:
                    detail = {"notes": [aider_error]}
                elif system == "aider":
                    detail = run_aider(case_dir, args, aider)
                elif system == "plugin" or system in VARIANTS:
                    detail = run_plugin(case_dir, args, reports_dir(out), system)
                else:
                    detail = run_baseline(system, case_dir, args)
                seconds = time.monotonic() - t0
                other_cpu = others.stop()
                verdict = judge(case_dir)
                row = {"case": case, "system": system, **verdict, "seconds": round(seconds, 1)}
                row["other_cpu_seconds"] = other_cpu
                row.update({k: v for k, v in detail.items() if k not in row})
                result["rows"].append(row)
                print(
                    f"{case} / {system}: fixed={verdict['fixed']} overfit={verdict['overfit']} "
                    f"visible {verdict['visible_passed']}/{verdict['visible_total']} holdout "
                    f"{verdict['holdout_passed']}/{verdict['holdout_total']} "
                    f"calls={row.get('llm_calls', 0)} tokens={row.get('prompt_tokens', 0)}+"
                    f"{row.get('completion_tokens', 0)} {seconds:.0f}s",
                    flush=True,
                )
                shutil.rmtree(work, ignore_errors=True)
                sitting = round(time.monotonic() - started, 1)
                result["seconds"] = round(previous_seconds + sitting, 1)
                if "sittings" in result:
                    result["sittings"][-1]["seconds"] = sitting
                save(result, out)  # after every row: an interrupted run keeps what it measured
    save(result, out)
    emit(result, args)
    print(f"results: {out}" + ("" if args.no_markdown else f"; table: {args.markdown}"))
    return 0


if __name__ == "__main__":
    # here, not in main(): a test that calls main() leaves its session's SIGTERM alone
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    sys.exit(main())
