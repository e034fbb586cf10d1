"""Children inside bubblewrap's walls (``--trace-sandbox on``/``strict``): a hostile candidate
cannot reach the real tree by absolute path or through ``/proc``, has no network, and
the header and the fallback say which mode runs. Real children, scripted LLM replies.

The walled tests need a working ``bwrap`` (``.ci/run`` installs bubblewrap); where it is
missing they are skipped with the reason, and the fallback tests run instead.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import CORRECT_ADD, code_reply

from pytest_trace_opt.core import walls

TESTS = """\
import pytest
from calc import add


@pytest.mark.trainable
def test_small():
    assert add(2, 3) == 5


@pytest.mark.trainable
def test_zero():
    assert add(0, 4) == 4
"""

needs_walls = pytest.mark.skipif(not walls.probe().strict, reason=walls.probe().reason)


def optimize(pytester: pytest.Pytester, *extra: str) -> tuple[pytest.RunResult, dict]:
    report = pytester.path.parent / f"{pytester.path.name}-report.json"
    result = pytester.runpytest_subprocess(
        "--trace-optimize", "--trace-rounds=1", "--trace-test-timeout=5", "-p", "no:randomly",
        "--trace-report-json", str(report), *extra, timeout=300,
    )  # fmt: skip
    data = json.loads(report.read_text("utf-8")) if report.exists() else {}
    return result, data


@needs_walls
def test_the_header_names_the_walls(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path]
) -> None:
    buggy_project([code_reply(CORRECT_ADD)], tests=TESTS)
    result, data = optimize(pytester)
    result.stdout.fnmatch_lines(["trace-opt: evaluations run in a private copy inside bubblewrap*"])
    assert data["outcome"] == "fixed"  # a plain candidate works inside the walls


@needs_walls
@pytest.mark.parametrize("route", ["absolute", "proc-cwd"])
def test_the_real_tree_cannot_be_written_by_absolute_path(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path], route: str
) -> None:
    root = buggy_project([], tests=TESTS)
    victim = root / "victim.txt"
    victim.write_text("keep me\n")
    target = (
        repr(str(victim))
        if route == "absolute"
        else "f'/proc/{os.getppid()}/cwd/victim.txt'"  # the controller's cwd is the real tree
    )
    hostile = (
        "import os\n"
        "def add(a, b):\n"
        "    for path in ("
        f"{target}, os.path.join(os.environ.get('PWD', '/'), 'victim.txt')):\n"
        "        try:\n"
        "            os.remove(path)\n"
        "        except OSError:\n"
        "            pass\n"
        "    return a + b\n"
    )
    (root / "scripted_replies.json").write_text(json.dumps([code_reply(hostile)]), "utf-8")
    result, _ = optimize(pytester)
    assert victim.read_text() == "keep me\n", result.stdout.str()[-2000:]


@pytest.fixture
def listening() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


NETWORK_CANDIDATE = """\
import socket
def add(a, b):
    try:
        socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
    except OSError:
        return a - b  # no network: stays wrong
    return a + b
"""


@needs_walls
def test_children_have_no_network(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path], listening: int
) -> None:
    buggy_project([code_reply(NETWORK_CANDIDATE.format(port=listening))], tests=TESTS)
    _, walled = optimize(pytester)
    assert walled["outcome"] == "unchanged"
    _, copied = optimize(pytester, "--trace-sandbox=copy")
    assert copied["outcome"] == "fixed"  # the same candidate reaches the port without walls


def without_bwrap(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH with this interpreter's directory but no ``bwrap``."""
    bin_dir = pytester.path.parent / f"{pytester.path.name}-bin"
    bin_dir.mkdir()
    for name in ("true", "sleep", "sh"):
        for folder in ("/usr/bin", "/bin"):
            if Path(folder, name).exists():
                (bin_dir / name).symlink_to(Path(folder, name))
                break
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{bin_dir}")


def test_without_bubblewrap_the_copy_runs_with_a_one_line_warning(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    buggy_project([code_reply(CORRECT_ADD)], tests=TESTS)
    without_bwrap(pytester, monkeypatch)
    result, data = optimize(pytester)
    result.stdout.fnmatch_lines(
        [
            "trace-opt: evaluations run in a private copy only (bubblewrap*not installed)",
            "trace-opt: evaluations run without walls (bubblewrap (bwrap) is not installed)*",
        ]
    )
    assert data["outcome"] == "fixed"


def test_strict_without_bubblewrap_is_a_usage_error(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    buggy_project([code_reply(CORRECT_ADD)], tests=TESTS)
    without_bwrap(pytester, monkeypatch)
    result, _ = optimize(pytester, "--trace-sandbox=strict")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--trace-sandbox strict, but bubblewrap (bwrap) is not installed*"]
    )


def test_copy_mode_says_so_and_warns_nothing(
    pytester: pytest.Pytester, buggy_project: Callable[..., Path]
) -> None:
    buggy_project([code_reply(CORRECT_ADD)], tests=TESTS)
    result, _ = optimize(pytester, "--trace-sandbox=copy")
    result.stdout.fnmatch_lines(["*evaluations run in a private copy without walls*"])
    assert "run without walls" not in result.stdout.str()


def test_the_walls_command_keeps_only_the_sandbox_writable(tmp_path: Path) -> None:
    args = walls.command("/usr/bin/bwrap", [tmp_path / "box", tmp_path / "eval"], tmp_path / "box")
    assert args[:4] == ["/usr/bin/bwrap", "--ro-bind", "/", "/"]
    binds = [args[i + 1] for i, a in enumerate(args) if a == "--bind"]
    assert binds == [str((tmp_path / "box").resolve()), str((tmp_path / "eval").resolve())]
    assert "--unshare-all" in args and "--die-with-parent" in args
    assert args.index("--tmpfs") < args.index("--bind")  # the private /tmp first, then binds
    assert args[-1] == "--"


def test_an_interpreter_or_package_under_tmp_stays_visible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pytest's tmp_path is under /tmp, which the walls replace by an empty private one
    venv, pkg = tmp_path / "venv", tmp_path / "src" / "editable_pkg"
    venv.mkdir()
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    monkeypatch.setattr(sys, "prefix", str(venv))
    module = type(sys)("editable_pkg")
    module.__file__ = str(pkg / "__init__.py")
    monkeypatch.setitem(sys.modules, "editable_pkg", module)
    paths = walls.interpreter_paths()
    assert venv.resolve() in paths and pkg.resolve() in paths
    args = walls.command("bwrap", [tmp_path / "box"], tmp_path, paths)
    assert args.index(str(venv.resolve())) > args.index("/tmp")  # bound after the private /tmp
