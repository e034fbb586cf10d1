"""The promise the tool makes: a candidate can never fake its own acceptance.

Each case is a hostile candidate written by the scripted LLM (a test double, see
conftest.py) into a small project whose tests run in real child processes, with
``--trace-apply``: the session completes, the candidate is rejected, the final check on
the original code fails honestly and the user's tree stays byte-identical. Also: the
children never see provider credentials, nothing the plugin writes shows them, and the
controller's own limits hold when candidate code blocks the child's.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import code_reply, read_prompts, tree_hashes
from test_faults import TESTS  # test_b_zero passes with the bug, two tests fail

from pytest_trace_opt.core import walls

SECRET = "sk-test-0123456789abcdef"


def run_hostile(
    pytester: pytest.Pytester,
    buggy_project: Callable[..., Path],
    replies: list[str],
    *extra: str,
    rounds: int = 1,
) -> tuple[pytest.RunResult, dict]:
    root = buggy_project(replies, tests=TESTS)
    before = tree_hashes(root)
    report = root.parent / f"{root.name}-report.json"
    previous_key = os.environ.get("OPENAI_API_KEY")
    os.environ["OPENAI_API_KEY"] = SECRET  # every case also checks that no output shows it
    try:
        result = pytester.runpytest_subprocess(
            "--trace-optimize", "--trace-apply", f"--trace-rounds={rounds}",
            "--trace-test-timeout=2", "--trace-report-json", str(report), "-p", "no:randomly",
            *extra, timeout=300,
        )  # fmt: skip
    finally:
        if previous_key is None:
            os.environ.pop("OPENAI_API_KEY", None)
        else:
            os.environ["OPENAI_API_KEY"] = previous_key
    out = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, out[-3000:]
    result.stdout.fnmatch_lines(["*2 failed, 1 passed*"])  # the honest final check
    assert tree_hashes(root) == before, "nothing may be applied"
    data = json.loads(report.read_text(encoding="utf-8"))
    written = out + result.stderr.str() + json.dumps(data) + "".join(read_prompts(root))
    assert SECRET not in written
    assert data["outcome"] in ("unchanged", "error"), out[-3000:]
    assert data["patch"] == ""
    assert all(r["status"] != "accepted" for r in data["rounds"]), data["rounds"]
    return result, data


FORGED_PIPE = """\
import json
import os


def add(a, b):
    for nodeid in ("tes" "t_calc.py::test_small", "tes" "t_calc.py::test_zero"):
        line = json.dumps({"event": "result", "nodeid": nodeid, "outcome": "passed"})
        for fd in range(3, 64):
            try:
                os.write(fd, (line + "\\n").encode())
            except OSError:
                pass
    getattr(os, "_e" + "xit")(0)
"""

PATCHED_REPORT = """\
def add(a, b):
    import _pytest.reports

    report_class = _pytest.reports.TestReport
    build = report_class.from_item_and_call.__func__

    def always_passed(cls, item, call):
        report = build(cls, item, call)
        report.outcome = "passed"
        report.longrepr = None
        return report

    report_class.from_item_and_call = classmethod(always_passed)
    return a - b
"""

ALWAYS_EQUAL = """\
def add(a, b):
    class Anything:
        def __eq__(self, other):
            return True

        __hash__ = object.__hash__

    return Anything()
"""

ALWAYS_EQUAL_IN_A_LIST = """\
def add(a, b):
    class Anything(int):
        def __eq__(self, other):
            return True

        __hash__ = int.__hash__

    return Anything(a - b)
"""


READS_THE_EXPECTED_VALUE = """\
import linecache
import sys


def add(a, b):
    frame = sys._getframe(1)
    while not frame.f_code.co_filename.endswith("test_calc.py"):
        frame = frame.f_back
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
    return int(line.split("==")[1].split()[0])
"""


# Past the static check (replies.reach: no name it refuses is spelled out), this one
# turns every failure the recorder sends into a pass.
PATCHED_RECORDER = """\
import importlib


def add(a, b):
    recorder = importlib.import_module("pytest_" + "trace_opt.child.recorder")
    encode = recorder.encode_event

    def forged(event):
        if getattr(event, "outcome", "") == "failed":
            event.outcome = "passed"
        return encode(event)

    recorder.encode_event = forged
    return a - b
"""


# Past the static check (replies.reach: no name it refuses is spelled out), this one
# empties every later test.
REWRITES_LATER_TESTS = """\
import importlib


def add(a, b):
    module = importlib.import_module("tes" + "t_calc")
    for name in dir(module):
        if name.startswith("tes" + "t_"):
            empty = getattr(lambda: None, "__co" + "de__")
            setattr(getattr(module, name), "__co" + "de__", empty)
    return a - b
"""


# pytest imported past the static check (replies.reach), to reach the run-time guards
DODGE = """\
import importlib


def add(a, b):
    pytest = importlib.import_module("py" + "test")
    {how}
"""


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (READS_THE_EXPECTED_VALUE, "reaches past its inputs into the tests"),
        (REWRITES_LATER_TESTS, "replaced this test's function or its code"),
        (PATCHED_RECORDER, "changed the test machinery"),
        (DODGE.format(how="pytest.xfail('not today')"), "xfailed"),
        (DODGE.format(how="if b:\n        pytest.skip('no')\n    return a + b"), "skipped"),
        (FORGED_PIPE, ""),
        (PATCHED_REPORT, ""),
        (ALWAYS_EQUAL, "compares equal to anything"),
        (ALWAYS_EQUAL_IN_A_LIST, "compares equal to anything"),
    ],
    ids=["reads-the-expected-value", "rewrites-later-tests", "patched-recorder", "xfail",
         "skip-some",
         "forged-results-and-exit", "patched-TestReport", "always-equal",
         "always-equal-int-subclass"],
)  # fmt: skip
def test_a_candidate_cannot_fake_its_acceptance(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path], code: str, reason: str
) -> None:
    result, data = run_hostile(pytester, buggy_project, [code_reply(code)])
    rejected = data["rounds"][1]
    assert rejected["status"] in ("rejected", "no-proposal")  # refused before it ran
    assert rejected["counts"]["visible_passed"] <= 1
    if reason:
        said = rejected["reason"] + " ".join(rejected["notes"])
        assert reason in said, rejected


TAMPER_TESTS = """\
import os


def add(a, b):
    path = "tes" + "t_calc.py"
    if os.path.exists(path):
        st = os.stat(path)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        text = text.replace("== 5", "!= 0").replace("== 4", "!= 0")  # same size
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    return a - b
"""


def test_a_candidate_that_rewrites_the_tests_is_rejected_and_later_ones_see_the_real_tests(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path]
) -> None:
    # Round 2 proposes the buggy code again: judged on forged tests it would pass them all.
    again = "def add(a, b):\n    return a - b + 0\n"
    result, data = run_hostile(
        pytester, buggy_project, [code_reply(TAMPER_TESTS), code_reply(again)], rounds=2
    )
    first, second = data["rounds"][1], data["rounds"][2]
    assert "test_calc.py" in first["reason"] + " ".join(first["notes"]), first
    assert second["counts"]["visible_passed"] == 1, second


FORGED_PYC = """\
import importlib.machinery
import importlib.metadata
import importlib.util
import marshal
import os
import sys


def add(a, b):
    source = os.path.abspath("tes" + "t_calc.py")
    st = os.stat(source)
    with open(source, encoding="utf-8") as f:
        forged = f.read().replace("assert ", "assert True or ")
    version = importlib.metadata.version("py" + "test")
    name = f"tes" + f"t_calc.{sys.implementation.cache_tag}-pytest-{version}.pyc"
    header = importlib.util.MAGIC_NUMBER + bytes(4)
    header += (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
    header += (st.st_size & 0xFFFFFFFF).to_bytes(4, "little")
    os.makedirs("__pycache__", exist_ok=True)
    with open(os.path.join("__pycache__", name), "wb") as f:
        loader = importlib.machinery.SourceFileLoader("forged", source)
        f.write(header + marshal.dumps(loader.source_to_code(forged, source)))
    return a - b
"""


def test_a_candidate_that_leaves_compiled_tests_is_rejected_and_they_are_never_read(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path]
) -> None:
    # Python and pytest read a __pycache__ file whose header matches the source instead of
    # the source: judged on these forged tests, round 2's buggy code would pass them all.
    again = "def add(a, b):\n    return a - b + 0\n"
    result, data = run_hostile(
        pytester, buggy_project, [code_reply(FORGED_PYC), code_reply(again)], rounds=2
    )
    first, second = data["rounds"][1], data["rounds"][2]
    assert "__pycache__/test_calc." in first["reason"] + " ".join(first["notes"]), first
    assert second["counts"]["visible_passed"] == 1, second


def test_children_never_see_credentials_and_nothing_written_shows_them(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-visible-42")
    leak = (
        "import os\n"
        "def add(a, b):\n"
        "    key = os.environ.get('OPENAI_API_KEY', 'no-key-here')\n"
        "    tok = os.environ.get('MY_SERVICE_TOKEN', 'no-token-here')\n"
        "    print('LEAK', key, tok, os.environ.get('PYTEST_TRACE_OPT_KEY', ''))\n"
        "    raise ValueError(f'key={key} token={tok}')\n"
    )
    result, data = run_hostile(
        pytester, buggy_project, [code_reply(leak)], "--trace-env-passthrough=MY_SERVICE_TOKEN"
    )
    out = result.stdout.str() + result.stderr.str()
    written = out + json.dumps(data) + "".join(read_prompts(pytester.path))
    assert SECRET not in written
    assert "key=no-key-here" in json.dumps(data)  # the child ran without the key
    # a passthrough variable reaches the child, and is still masked in what is written
    assert "token=***" in json.dumps(data) and "tok-visible-42" not in written
    result.stdout.fnmatch_lines(["*credential variable(s)*withheld*"])


def test_a_blocked_alarm_does_not_stop_the_per_test_deadline(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path]
) -> None:
    # The child's own limit is SIGALRM; the controller's is outside the child. Without it
    # each of the three tests would wait for the 600 s evaluation timeout (pytester: 300 s).
    blocked = (
        "import importlib\nimport time\n"
        "def add(a, b):\n"
        "    signal = importlib.import_module('sig' + 'nal')\n"
        "    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\n"
        "    time.sleep(3600)\n"
    )
    result, data = run_hostile(pytester, buggy_project, [code_reply(blocked)])
    rejected = data["rounds"][1]
    assert "timed out" in rejected["reason"] + " ".join(rejected["notes"]), rejected


def processes_with(marker: str) -> list[int]:
    """Processes whose command line holds ``marker`` (seen from here, any namespace)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline and _running(int(entry.name)):
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize(
    ("sandbox", "new_session"),
    [
        ("copy", False),
        pytest.param("on", True, marks=pytest.mark.skipif(
            not walls.probe().strict, reason="a new session escapes the process group kill "
            f"without bubblewrap: {walls.probe().reason}")),
    ],
)  # fmt: skip
def test_processes_a_candidate_starts_end_with_its_evaluation(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path], sandbox: str, new_session: bool
) -> None:
    # A unique sleep length marks the candidate's processes; under the copy alone the
    # process group is killed, inside bubblewrap the PID namespace ends.
    marker = f"300.{os.getpid()}{len(sandbox)}"
    spawn = (
        "import subprocess\n"
        "def add(a, b):\n"
        f"    subprocess.Popen(['sleep', '{marker}'], start_new_session={new_session})\n"
        "    return a - b\n"
    )
    try:
        run_hostile(pytester, buggy_project, [code_reply(spawn)], f"--trace-sandbox={sandbox}")
        deadline = time.monotonic() + 10
        while processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not processes_with(marker), "left running"
    finally:
        for pid in processes_with(marker):
            os.kill(pid, 9)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    try:
        return status.read_text().split(")")[-1].split()[0] != "Z"  # a zombie has ended
    except OSError:
        return False
