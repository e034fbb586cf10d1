"""The benchmark runner's bookkeeping (benchmarks/run.py): which cases a run finished, the
totals it reports, and going on with an interrupted run. Pure logic on recorded rows; the
runner's LLM work is exercised by running the benchmark itself."""

from __future__ import annotations

import importlib.util
import json
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

RUN_PY = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def bench() -> Any:
    spec = importlib.util.spec_from_file_location("benchmark_run_under_test", RUN_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def recorded_row(case: str, system: str, fixed: bool, calls: int = 2) -> dict[str, Any]:
    return {
        "case": case,
        "system": system,
        "fixed": fixed,
        "overfit": False,
        "visible_passed": 4 if fixed else 1,
        "visible_total": 4,
        "holdout_passed": 2 if fixed else 0,
        "holdout_total": 2,
        "judge_timed_out": False,
        "seconds": 10.0,
        "llm_calls": calls,
        "prompt_tokens": 100 * calls,
        "completion_tokens": 10 * calls,
    }


def recorded_run(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "date": "2026-11-23 19:09",
        "model": "local test model",
        "budget": 3,
        "json_mode": "off",
        "systems": ["plugin", "naive"],
        "cases": ["a_case", "b_case", "c_case"],
        "partial": False,
        "command": "python benchmarks/run.py",
        "machine": {
            "arch": "x86_64",
            "nproc": 2,
            "memory_gib": 24.0,
            "python": "3.11.7",
            "load_at_start": 0.1,
        },
        "rows": rows,
        "seconds": 60.0,
    }


def test_a_case_counts_as_finished_only_when_every_system_ran_it(bench: Any) -> None:
    run = recorded_run(
        [
            recorded_row("a_case", "plugin", True),
            recorded_row("a_case", "naive", False),
            recorded_row("b_case", "plugin", True),  # naive never ran b_case
        ]
    )
    assert bench.complete_cases(run) == ["a_case"]


def test_totals_leave_out_unfinished_cases(bench: Any) -> None:
    run = recorded_run(
        [
            recorded_row("a_case", "plugin", True, calls=1),
            recorded_row("a_case", "naive", False, calls=3),
            recorded_row("b_case", "plugin", True, calls=2),
        ]
    )
    by_system = {t["system"]: t for t in bench.run_totals(run)}
    assert by_system["plugin"]["cases"] == 1
    assert by_system["plugin"]["fixed"] == 1
    assert by_system["plugin"]["llm_calls"] == 1
    assert by_system["naive"]["fixed"] == 0


def test_incomplete_table_says_so(bench: Any) -> None:
    run = recorded_run(
        [recorded_row("a_case", "plugin", True), recorded_row("a_case", "naive", True)]
    )
    table = bench.markdown(run)
    assert "INCOMPLETE: 1 of 3 cases finished" in table
    assert "| **total** | **plugin** | **1/1** |" in table


def test_complete_table_lists_rows_in_case_order(bench: Any) -> None:
    rows = [
        recorded_row(case, system, fixed=case != "b_case")
        for case in ("c_case", "a_case", "b_case")
        for system in ("naive", "plugin")
    ]
    run = recorded_run(rows)
    run["commit"] = "abc1234"
    table = bench.markdown(run)
    assert "INCOMPLETE" not in table
    assert "- command: `python benchmarks/run.py` at commit `abc1234`" in table
    body = [line for line in table.splitlines() if line.startswith("| ") and "_case" in line]
    assert [line.split(" | ")[0:2] for line in body] == [
        ["| a_case", "plugin"],
        ["| a_case", "naive"],
        ["| b_case", "plugin"],
        ["| b_case", "naive"],
        ["| c_case", "plugin"],
        ["| c_case", "naive"],
    ]
    assert "| **total** | **plugin** | **2/3** |" in table


def test_resume_of_a_finished_run_runs_nothing_and_keeps_its_rows(
    bench: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        recorded_row(case, system, True)
        for case in ("a_case", "b_case", "c_case")
        for system in ("plugin", "naive")
    ]
    results = tmp_path / "run.json"
    results.write_text(json.dumps(recorded_run(rows)))
    table = tmp_path / "benchmarks.md"

    assert bench.main(["--resume", str(results), "--markdown", str(table)]) == 0

    saved = json.loads(results.read_text())
    assert saved["rows"] == rows
    assert [s["date"] for s in saved["sittings"]][0] == "2026-11-23 19:09"
    assert "resuming" in capsys.readouterr().out
    text = table.read_text()
    assert "| **total** | **plugin** | **3/3** |" in text
    assert "in 2 sittings" in text


def finished_run(path: Path) -> Path:
    """A results file whose three cases are all finished: resuming it runs nothing."""
    rows = [
        recorded_row(c, s, True)
        for c in ("a_case", "b_case", "c_case")
        for s in ("plugin", "naive")
    ]
    path.write_text(json.dumps(recorded_run(rows)))
    return path


def test_a_relative_results_path_is_taken_from_where_the_runner_started(
    bench: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the systems run inside case copies: a relative path handed on to them named a file
    # there (the plugin's JSON report went where the runner never read it)
    finished_run(tmp_path / "run.json")
    monkeypatch.chdir(tmp_path)
    assert bench.main(["--resume", "run.json", "--no-markdown"]) == 0
    assert f"resuming {tmp_path / 'run.json'}:" in capsys.readouterr().out


def test_the_runner_called_as_a_function_leaves_sigterm_alone(
    bench: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # its handler turns SIGTERM into SystemExit: installed by main(), it stayed in the test
    # session and would have raised inside whatever test ran when the session was stopped
    results = finished_run(tmp_path / "run.json")
    before = signal.getsignal(signal.SIGTERM)
    assert bench.main(["--resume", str(results), "--no-markdown"]) == 0
    assert signal.getsignal(signal.SIGTERM) is before


def test_resume_at_another_commit_is_a_usage_error(
    bench: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = recorded_run([recorded_row("a_case", "plugin", True)])
    run["commit"] = "0000000"  # not this checkout
    results = tmp_path / "run.json"
    results.write_text(json.dumps(run))
    with pytest.raises(SystemExit) as stopped:
        bench.main(["--resume", str(results)])
    assert stopped.value.code == 2
    assert "the run measured commit 0000000" in capsys.readouterr().err
    assert json.loads(results.read_text()) == run  # nothing written


def test_resume_of_an_unreadable_file_is_a_usage_error(bench: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(SystemExit) as exc:
        bench.main(["--resume", str(broken), "--no-markdown"])
    assert exc.value.code == 2


def test_the_aider_version_is_named_above_the_table(bench: Any) -> None:
    rows = [
        recorded_row("a_case", "plugin", True),
        {**recorded_row("a_case", "aider", True), "aider_version": "aider 0.86.2"},
    ]
    run = recorded_run(rows)
    run["systems"] = ["plugin", "aider"]
    table = bench.markdown(run)
    assert "- aider: `aider 0.86.2`" in table
    assert "| **total** | **aider** | **1/1** |" in table
    assert "- aider:" not in bench.markdown(recorded_run(rows[:1]))


def test_aider_proxy_forwards_counts_and_refuses_past_the_budget(bench: Any) -> None:
    import http.client
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Upstream(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            reply = {
                "choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 100, "completion_tokens": 7},
            }
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    proxy = bench.aider_baseline.CountingProxy(f"http://127.0.0.1:{upstream.server_port}/v1")
    try:
        proxy.start_case(2)
        port = int(proxy.base_url.rsplit(":", 1)[1].split("/")[0])
        statuses = []
        for _ in range(3):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            body = {"messages": [{"role": "user", "content": "x"}], "temperature": 0}
            conn.request("POST", "/v1/chat/completions", body=json.dumps(body))
            resp = conn.getresponse()
            statuses.append((resp.status, json.loads(resp.read())))
            conn.close()
        stats = proxy.totals()
    finally:
        proxy.close()
        upstream.shutdown()
        upstream.server_close()
    assert [s for s, _ in statuses] == [200, 200, 400]
    assert "refused" in statuses[2][1]["error"]["message"]
    assert stats["llm_calls"] == 2 and stats["refused_calls"] == 1
    assert (stats["prompt_tokens"], stats["completion_tokens"]) == (200, 14)
    assert [c["temperature"] for c in stats["calls"]] == [0, 0]


QUICKSTART_PY = RUN_PY.with_name("quickstart.py")


@pytest.fixture(scope="module")
def quickstart() -> Any:
    spec = importlib.util.spec_from_file_location("benchmark_quickstart_under_test", QUICKSTART_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quickstart_times_the_readmes_own_main_job(quickstart: Any) -> None:
    readme = (RUN_PY.parents[1] / "README.md").read_text("utf-8")
    command = quickstart.main_job_command(readme)
    assert command[0] == sys.executable
    assert command[1:5] == ["-m", "pytest", "--trace-optimize", "examples/"]
    assert not any("&" in arg for arg in command)  # the install before it is not timed


def test_quickstart_table_and_markers(quickstart: Any, tmp_path: Path) -> None:
    run = {
        "seconds": 200.0, "exit_status": 0, "outcome": "fixed", "rounds": 2, "llm_calls": 4,
        "prompt_tokens": 3000, "completion_tokens": 400, "llm_seconds": 150.0,
        "changed": ["median", "greet"], "tail": "",
    }  # fmt: skip
    text = quickstart.table([sys.executable, "-m", "pytest", "--trace-optimize"], [run], 0.5)
    assert "| 1 | 200.0 | 0 | fixed | 2 | 4 | 3000+400 | 150.0 | median, greet | - |" in text
    output = "FAILED examples/greeting/test_greeting_agent.py::test_spanish_speaker - Asser...\n"
    assert quickstart.still_failing(output) == ["test_spanish_speaker"]
    doc = tmp_path / "bench.md"
    doc.write_text(f"intro\n{quickstart.START}\nold\n{quickstart.END}\nafter\n")
    quickstart.write_markdown(doc, text)
    written = doc.read_text()
    assert "old" not in written and "intro" in written and "after" in written
    assert written.count(quickstart.START) == 1 and text in written


def test_spread_order_visits_every_case_once_starting_with_every_fifth_from_the_third(
    bench: Any,
) -> None:
    cases = [f"case{i:02d}" for i in range(12)]
    order = bench.spread(cases)
    assert sorted(order) == cases
    assert order[:3] == ["case02", "case07", "case04"]
    assert order[-3:] == ["case00", "case05", "case10"]


def test_the_plugins_report_and_cassette_stay_beside_the_results(
    bench: Any, tmp_path: Path
) -> None:
    # A case whose tests already pass: the plugin stops before any LLM call, in a real child.
    case = tmp_path / "passing_case"
    case.mkdir()
    (case / "calc.py").write_text("def double(x):\n    return 2 * x\n")
    (case / "test_calc.py").write_text(
        "import pytest\nfrom calc import double\n\n\n"
        "@pytest.mark.trainable\ndef test_double():\n    assert double(2) == 4\n"
    )
    keep = bench.reports_dir(tmp_path / "results" / "run.json")
    assert keep == tmp_path / "results" / "run-reports"
    stale = keep / "passing_case-plugin-report.json"
    keep.mkdir(parents=True)
    stale.write_text("{}")  # from an interrupted sitting: measured again, not reused
    args = bench.argparse.Namespace(budget=3, llm="local", json_mode="off", base_url=None)
    row = bench.run_plugin(case, args, keep)
    assert row["exit_status"] == 0, row
    report = json.loads(stale.read_text())
    assert report["stop_reason"] == "all tagged tests pass"
    assert row["llm_calls"] == 0 and row["stop_reason"] == report["stop_reason"]


def test_the_replies_reader_prints_prompts_once_and_their_changes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "replies_under_test", RUN_PY.with_name("replies.py")
    )
    assert spec is not None and spec.loader is not None
    replies = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(replies)

    def item(prompt: str, reply: str, sample: int = 0) -> dict[str, Any]:
        request: dict[str, Any] = {"messages": [{"role": "user", "content": prompt}],
                                   "temperature": 0.0}  # fmt: skip
        if sample:
            request["sample"] = sample
        usage = {"prompt_tokens": 10, "completion_tokens": 5}
        return {"key": "k", "request": request, "response": {"content": reply, "usage": usage}}

    cassette = {"version": 1, "interactions": [
        item("fix f\nfails: 1", "def f(): ..."),
        item("fix f\nfails: 1", "def f(): pass", sample=1),
        item("fix f\nfails: 2", "def f(): return 1"),
    ]}  # fmt: skip
    lines = list(replies.calls(cassette))
    assert lines[:4] == ["=== reply 1 (temperature 0.0, sample 0, 10+5 tokens)", "--- prompt",
                         "fix f\nfails: 1", "--- reply"]  # fmt: skip
    assert "--- the same prompt" in lines
    assert "-fails: 1" in lines and "+fails: 2" in lines
    path = tmp_path / "case-plugin-cassette.json"
    path.write_text(json.dumps(cassette))
    report = {"rounds": [{"round": 1, "status": "rejected", "reason": "no test gained"}]}
    (tmp_path / "case-plugin-report.json").write_text(json.dumps(report))
    assert replies.main([str(path)]) == 0


def test_a_replay_uses_the_recorded_replies_and_never_the_llm(bench: Any, tmp_path: Path) -> None:
    # The recorded cassette is copied beside the new report and read in replay-only mode:
    # a prompt it does not hold ends the rounds as a cassette miss, with no LLM call.
    case = tmp_path / "greeting_case"
    case.mkdir()
    (case / "greet.py").write_text(
        "from pytest_trace_opt import trainable\n\n\n@trainable\n"
        "def greet(name):\n    return 'Hi ' + name\n"
    )
    (case / "test_greet.py").write_text(
        "import pytest\nfrom greet import greet\n\n\n"
        "@pytest.mark.trainable\ndef test_greet():\n    assert greet('Ada') == 'Hello, Ada!'\n"
    )
    recorded = tmp_path / "recorded-reports"
    recorded.mkdir()
    cassette = {"version": 1, "interactions": []}
    (recorded / "greeting_case-plugin-cassette.json").write_text(json.dumps(cassette))
    keep = tmp_path / "replayed-reports"
    args = bench.argparse.Namespace(
        budget=1, llm="local", json_mode="off", base_url=None, replay=recorded
    )
    row = bench.run_plugin(case, args, keep)
    assert row["llm_calls"] == 0, row
    assert row["outcome"] == "error"
    assert row["stop_reason"].startswith("no recorded LLM answer in cassette"), row
    assert json.loads((keep / "greeting_case-plugin-cassette.json").read_text()) == cassette
    assert (case / "greet.py").read_text().endswith("return 'Hi ' + name\n")


def test_a_replay_is_for_the_plugins_systems_only(bench: Any, tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        bench.main(["--replay", str(tmp_path), "--systems", "plugin,naive", "--no-markdown"])
    with pytest.raises(SystemExit):
        bench.main(["--replay", str(tmp_path / "missing"), "--systems", "plugin"])


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="reads Linux's /proc")
def test_a_row_records_the_cpu_other_processes_used_while_it_ran(
    bench: Any, tmp_path: Path
) -> None:
    import subprocess
    import time

    busy = tmp_path / "busy.py"
    busy.write_text(
        "import sys, time\nend = time.process_time() + float(sys.argv[1])\n"
        "while time.process_time() < end:\n    pass\n"
    )

    def ended(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            return True

    # a process of someone else (orphaned at once, so not the runner's child), busy 1 s
    others = bench.OtherWork()
    others.start()
    started = subprocess.run(
        ["sh", "-c", f"{sys.executable} {busy} 1 >/dev/null 2>&1 & echo $!"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    stranger = int(started.stdout)
    while not ended(stranger):
        time.sleep(0.05)
    assert others.stop() >= 0.8

    # the runner's own long-lived process (aider's server), named: not other work (what
    # else the machine does counts the same in both, so only the difference is asserted)
    child = subprocess.Popen([sys.executable, str(busy), "5"])
    try:
        time.sleep(0.3)
        named, unnamed = bench.OtherWork(lambda: [child.pid]), bench.OtherWork()
        named.start()
        unnamed.start()
        time.sleep(1.5)
        assert unnamed.stop() - named.stop() >= 0.5
    finally:
        child.kill()
        child.wait()


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="reads Linux's /proc")
def test_the_runner_adopts_the_processes_its_descendants_orphan(tmp_path: Path) -> None:
    # bwrap leaves its sandboxed processes to init: orphaned, their CPU time would count
    # as other work. The runner adopts and reaps them (in a child here: the test process
    # itself is left as it is).
    import subprocess

    busy = tmp_path / "busy.py"
    busy.write_text(
        "import time\nend = time.process_time() + 1.0\n"
        "while time.process_time() < end:\n    pass\n"
    )
    script = tmp_path / "adopting_runner.py"
    script.write_text(
        f"""
import importlib.util, resource, subprocess, sys, time
spec = importlib.util.spec_from_file_location("bench", {str(RUN_PY)!r})
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
assert bench.adopt_orphans()
def children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
before = children()
others = bench.OtherWork()
others.start()
# an orphan: its parent, the shell, ends at once; adopted, it waits for us as a zombie
shell = ["sh", "-c", "{sys.executable} {busy} >/dev/null 2>&1 & echo $!"]
pid = int(subprocess.run(shell, capture_output=True, text=True, check=True).stdout)
end = time.monotonic() + 30
while time.monotonic() < end:
    with open(f"/proc/{{pid}}/stat") as stat:
        if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
            break
    time.sleep(0.05)
others.stop()  # reaps the orphan
print(round(children() - before, 2))
"""
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert float(done.stdout.split()[-1]) >= 0.8, done.stdout


def test_busy_seconds_are_read_from_proc_stat_and_said_above_the_table(bench: Any) -> None:
    tick = bench.os.sysconf("SC_CLK_TCK")
    stat = f"cpu  {3 * tick} {tick} {2 * tick} 999 7 0 {tick} 0 0 0\ncpu0 1 2 3\n"
    assert bench.busy_seconds(stat) == 7.0  # idle and iowait left out
    assert bench.busy_seconds("garbage") is None
    rows = [recorded_row("a_case", s, True) for s in ("plugin", "trace_loop", "naive")]
    rows[0]["other_cpu_seconds"], rows[1]["other_cpu_seconds"] = 1.5, 42.0
    table = bench.markdown(recorded_run(rows))
    assert "other work on the machine while the rows ran: 44 CPU-seconds in all" in table
    assert "at most 42 in one row; 1 of 2 rows had more than 10" in table
    assert "other work" not in bench.markdown(recorded_run(rows[2:]))


def test_a_stopped_runner_takes_the_rows_command_down_with_it(
    bench: Any, tmp_path: Path
) -> None:
    # the command runs in its own session, out of reach of the terminal's Ctrl-C; a
    # runner stopped while it ran (SIGTERM, Ctrl-C) must not leave it running
    import os

    class Stopped(Exception):
        pass

    pid_file = tmp_path / "pid"

    def stop(signum: int, frame: Any) -> None:
        if not pid_file.exists():  # not started yet: stop it a little later
            signal.setitimer(signal.ITIMER_REAL, 0.2)
            return
        raise Stopped

    command = [
        sys.executable,
        "-c",
        f"import os, time; p = {str(pid_file)!r}; open(p + '.new', 'w').write(str(os.getpid()));"
        " os.rename(p + '.new', p); time.sleep(60)",
    ]
    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(Stopped):
            bench.run_in_session(command, tmp_path, dict(os.environ), timeout=30)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
