"""Shared helpers of the benchmark harness: running a case's tests, finding and rewriting
trainable definitions in a module's source.

Only the standard library (plus ``check_corpus.classify_tests`` for visible / holdout
classification). Nothing here imports the plugin.
"""

from __future__ import annotations

import ast
import os
import sys
import tempfile
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from check_corpus import SCRUB_ENV, classify_tests  # noqa: E402
from sessions import run_in_session  # noqa: E402


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUB_ENV}
    env.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    env.update(extra)
    return env


# --------------------------------------------------------------------------- tests


def test_file(case_dir: Path) -> Path:
    files = sorted(case_dir.glob("test_*.py"))
    if not files:
        raise FileNotFoundError(f"no test_*.py in {case_dir}")
    return files[0]


def test_kinds(case_dir: Path) -> dict[str, str]:
    """Map test id (``test_x`` / ``TestC::test_x``) to ``visible`` / ``holdout`` / ``unmarked``."""
    out: dict[str, str] = {}
    for path in sorted(case_dir.glob("test_*.py")):
        for tid, kind in classify_tests(path).items():
            out[f"{path.name}::{tid}"] = kind
    return out


@dataclass
class TestRun:
    results: dict[str, bool] = field(default_factory=dict)  # node id -> passed
    output: str = ""
    status: int | None = None  # None: the whole run timed out
    seconds: float = 0.0

    def passed(self, ids: list[str]) -> int:
        return sum(1 for i in ids if self.results.get(i, False))

    def failing(self, ids: list[str]) -> list[str]:
        return [i for i in ids if not self.results.get(i, False)]


def _junit_results(xml_path: Path, test_files: list[str]) -> dict[str, bool]:
    results: dict[str, bool] = {}
    try:
        root = ET.parse(xml_path).getroot()
    except (OSError, ET.ParseError):
        return results
    stems = {Path(f).stem: Path(f).name for f in test_files}
    for case in root.iter("testcase"):
        classname = case.get("classname", "")
        name = case.get("name", "").split("[", 1)[0]
        parts = classname.split(".")
        # the classname is the module path relative to the rootdir: keep from the test file on
        at = max((i for i, p in enumerate(parts) if p in stems), default=0)
        parts = parts[at:]
        fname = stems.get(parts[0], parts[0] + ".py")
        tid = "::".join([fname, *parts[1:], name])
        bad = any(child.tag in ("failure", "error", "skipped") for child in case)
        results[tid] = results.get(tid, True) and not bad
    return results


def run_tests(
    case_dir: Path,
    node_ids: list[str] | None = None,
    *,
    timeout: float = 60.0,
    per_test_timeout: float = 5.0,
    python: str = sys.executable,
) -> TestRun:
    """Plain pytest on ``case_dir`` (all tests, or ``node_ids``), in a subprocess.

    The plugin stays installed but off; ``bench_timeout`` gives each test
    ``per_test_timeout`` seconds, the whole run has ``timeout`` seconds.
    """
    files = [p.name for p in sorted(case_dir.glob("test_*.py"))]
    with tempfile.TemporaryDirectory(prefix="bench-junit-") as tmp:
        xml = Path(tmp) / "junit.xml"
        cmd = [
            python,
            "-m",
            "pytest",
            "-q",
            "-rfE",
            "--tb=short",
            "--no-header",
            "-p",
            "no:cacheprovider",
            "-p",
            "bench_timeout",
            f"--junitxml={xml}",
            *(node_ids or []),
        ]
        env = clean_env(
            PYTHONPATH=os.pathsep.join([str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])]),
            BENCH_TEST_TIMEOUT=str(per_test_timeout),
            CI="1",  # pytest does not truncate the short summary lines on CI
            PYTHONDONTWRITEBYTECODE="1",
        )
        status, out, secs = run_in_session(cmd, case_dir, env, timeout)
        results = _junit_results(xml, files)
    return TestRun(results=results, output=out, status=status, seconds=secs)


def summary_lines(output: str) -> list[str]:
    """The ``FAILED ...`` / ``ERROR ...`` lines of pytest's short test summary."""
    return [line for line in output.splitlines() if line.startswith(("FAILED ", "ERROR "))]


def failures_section(output: str, limit: int = 4000) -> str:
    """pytest's output from the FAILURES / ERRORS section on (bounded)."""
    lines = output.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if "= FAILURES =" in line or "= ERRORS =" in line), 0
    )
    text = "\n".join(lines[start:])
    if len(text) > limit:
        text = text[: limit // 2] + "\n...[truncated]...\n" + text[-limit // 2 :]
    return text


# --------------------------------------------------------------------------- source


@dataclass
class Target:
    """One trainable definition in a module's source."""

    module: Path
    kind: str  # "code" | "value"
    qualname: str  # "func", "Class.method" or the node's variable name
    start: int  # code: 1-based line of ``def``; value: character offset of the value
    end: int  # code: last line (inclusive); value: end character offset
    indent: int = 0  # code: column of ``def``
    source: str = ""  # original text of the definition / value expression


def _decorator_name(dec: ast.expr) -> tuple[str | None, ast.Call | None]:
    call = dec if isinstance(dec, ast.Call) else None
    fn = dec.func if call else dec
    if isinstance(fn, ast.Attribute):
        return fn.attr, call
    if isinstance(fn, ast.Name):
        return fn.id, call
    return None, call


def _trainable_kw(call: ast.Call | None) -> bool:
    return call is not None and any(
        kw.arg == "trainable" and isinstance(kw.value, ast.Constant) and kw.value.value is True
        for kw in call.keywords
    )


def _is_trainable_def(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for dec in fn.decorator_list:
        name, call = _decorator_name(dec)
        if name == "trainable" or (name == "bundle" and _trainable_kw(call)):
            return True
    return False


def _offset(text: str, line: int, col: int) -> int:
    lines = text.splitlines(keepends=True)
    prefix = lines[line - 1].encode()[:col].decode(errors="ignore")  # col is in UTF-8 bytes
    return sum(len(ln) for ln in lines[: line - 1]) + len(prefix)


def find_targets(module: Path) -> list[Target]:
    """Trainable functions/methods (``@trainable``, ``@bundle(trainable=True)``) and
    trainable values (``NAME = node(VALUE, trainable=True, ...)``) of a module."""
    text = module.read_text()
    tree = ast.parse(text)
    lines = text.splitlines()
    out: list[Target] = []

    def code_target(fn: ast.FunctionDef | ast.AsyncFunctionDef, qual: str) -> Target:
        src = "\n".join(lines[fn.lineno - 1 : fn.end_lineno])
        return Target(
            module,
            "code",
            qual,
            fn.lineno,
            fn.end_lineno or fn.lineno,
            fn.col_offset,
            textwrap.dedent(src),
        )

    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_trainable_def(stmt):
            out.append(code_target(stmt, stmt.name))
        elif isinstance(stmt, ast.ClassDef):
            for sub in stmt.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_trainable_def(
                    sub
                ):
                    out.append(code_target(sub, f"{stmt.name}.{sub.name}"))
        elif (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, ast.Call)
            and _decorator_name(stmt.value)[0] == "node"
            and _trainable_kw(stmt.value)
            and stmt.value.args
        ):
            arg = stmt.value.args[0]
            start = _offset(text, arg.lineno, arg.col_offset)
            end = _offset(text, arg.end_lineno or arg.lineno, arg.end_col_offset or 0)
            out.append(Target(module, "value", stmt.targets[0].id, start, end, 0, text[start:end]))
    return out


def strip_decorators(code: str) -> str:
    """Drop leading decorator lines and blank lines of a function's source (dedented)."""
    code = textwrap.dedent(code.strip("\n"))
    lines = code.splitlines()
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("@")):
        lines.pop(0)
    return textwrap.dedent("\n".join(lines))


def render(original: str, targets: list[Target], new: dict[str, str]) -> str:
    """``original`` with the definitions / values of ``targets`` replaced by ``new``
    (qualname -> code of the function, or the Python literal of the value).

    Decorators stay; a new function body is re-indented to the original column. Works
    from the bottom up on the original positions, so a broken candidate cannot break
    the positions of the others.
    """
    text = original
    code_targets = [t for t in targets if t.kind == "code" and t.qualname in new]
    value_targets = [t for t in targets if t.kind == "value" and t.qualname in new]
    for t in sorted(value_targets, key=lambda t: t.start, reverse=True):
        text = text[: t.start] + new[t.qualname] + text[t.end :]
    if value_targets and code_targets:
        raise ValueError("mixing value and code targets in one module is not supported")
    lines = text.splitlines()
    for t in sorted(code_targets, key=lambda t: t.start, reverse=True):
        body = textwrap.indent(strip_decorators(new[t.qualname]), " " * t.indent).splitlines()
        lines[t.start - 1 : t.end] = body
    return "\n".join(lines) + ("\n" if original.endswith("\n") else "")


def trainable_modules(case_dir: Path) -> dict[Path, list[Target]]:
    out: dict[Path, list[Target]] = {}
    for path in sorted(case_dir.glob("*.py")):
        if path.name.startswith("test_") or path.name == "conftest.py":
            continue
        try:
            targets = find_targets(path)
        except SyntaxError:
            continue
        if targets:
            out[path] = targets
    return out
