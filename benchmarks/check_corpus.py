#!/usr/bin/env python
"""Check the benchmark corpus of buggy projects (see benchmarks/README.md).

For every case directory under the corpus, in a temporary copy:

1. static checks: ``case.toml`` (description / kind / difficulty), the test file
   ``test_<case>.py``, a reference module for every module in
   ``benchmarks/reference/<case>/``, at least 4 visible and 2 holdout tests (markers
   read with ``ast``), the reference differs from the buggy module only inside
   trainable definitions, and no file of the case contains a line of the fix;
2. the buggy code under plain pytest: at least one visible test fails and at least
   one visible test passes (an ``infinite_loop`` case may hang instead: a timeout is
   the expected failure, and its tests are then run one by one);
3. the reference module copied over: every test passes.

Cases whose tests use the ``trace_feedback`` fixture need the plugin; when
``pytest_trace_opt.plugin`` cannot be imported they are reported as NOCHECK (not a
failure) unless ``--stub-feedback`` supplies a minimal stand-in fixture.

Only the standard library is used here; pytest runs in subprocesses.
Exit status: 0 when no case has a violation, 1 otherwise.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from sessions import run_in_session  # noqa: E402

# what the caller's environment must not pass on to a case's pytest (a child marker, options
# and plugins meant for the caller's own session)
SCRUB_ENV = ("PYTEST_TRACE_OPT_CHILD", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")

KINDS = {
    "off_by_one",
    "wrong_operator",
    "wrong_comparison",
    "missing_base_case",
    "infinite_loop",
    "wrong_exception",
    "string_formatting",
    "parsing",
    "numeric_rounding",
    "mutable_default",
    "dict_set_handling",
    "sorting_key",
    "unicode",
    "prompt_template",
    "threshold",
    "model_bundle",
    "method",
    "global_helper",
    "two_trainables",
    "overfit_trap",
    "recursion",
    "graph_search",
    "dynamic_programming",
    "wrong_data_structure",
    "two_interacting",
    "spec_in_module",
    "parametrized",
}
DIFFICULTIES = {"easy", "medium", "hard"}
MIN_VISIBLE, MIN_HOLDOUT = 4, 2
MAX_MODULE_LINES = 40  # a longer module is a warning, not a violation
LEAK_MIN_CHARS = 12  # fix lines shorter than this are too generic to count as a leak

STUB_PLUGIN = '''\
"""Stand-in for the trace_feedback fixture (check_corpus.py --stub-feedback)."""
import pytest


class _Feedback:
    def __init__(self):
        self.critiques, self.scores = [], []

    def critique(self, text):
        self.critiques.append(str(text))

    def score(self, value):
        value = float(value)
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"score must be in [0, 1], got {value}")
        self.scores.append(value)


@pytest.fixture
def trace_feedback():
    return _Feedback()


def pytest_configure(config):
    config.addinivalue_line("markers", "trainable(holdout=False): stub registration")
'''


# --------------------------------------------------------------------------- static


def _mark_of(expr: ast.expr) -> str | None:
    """'visible' / 'holdout' for a ``pytest.mark.trainable`` expression, else None."""
    call = None
    if isinstance(expr, ast.Call):
        call, expr = expr, expr.func
    name = (
        expr.attr
        if isinstance(expr, ast.Attribute)
        else expr.id
        if isinstance(expr, ast.Name)
        else None
    )
    if name != "trainable":
        return None
    if isinstance(expr, ast.Attribute) and not (
        isinstance(expr.value, ast.Attribute) and expr.value.attr == "mark"
    ):
        return None
    if call is not None:
        for kw in call.keywords:
            if kw.arg == "holdout" and isinstance(kw.value, ast.Constant) and kw.value.value:
                return "holdout"
    return "visible"


def _marks_in(expr: ast.expr | None) -> str | None:
    if expr is None:
        return None
    items = expr.elts if isinstance(expr, (ast.List, ast.Tuple)) else [expr]
    found = [m for m in (_mark_of(e) for e in items) if m]
    return found[0] if found else None


def _pytestmark(body: list[ast.stmt]) -> str | None:
    for stmt in body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets
        ):
            return _marks_in(stmt.value)
    return None


def _decorator_mark(node: ast.FunctionDef | ast.ClassDef) -> str | None:
    for dec in node.decorator_list:
        mark = _mark_of(dec)
        if mark:
            return mark
    return None


def classify_tests(test_file: Path) -> dict[str, str]:
    """Map test id (``test_x`` or ``TestC::test_x``) to visible / holdout / unmarked."""
    tree = ast.parse(test_file.read_text(), filename=str(test_file))
    module_mark = _pytestmark(tree.body)
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith(
            "test"
        ):
            out[node.name] = _decorator_mark(node) or module_mark or "unmarked"
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            class_mark = _decorator_mark(node) or _pytestmark(node.body)
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and sub.name.startswith(
                    "test"
                ):
                    out[f"{node.name}::{sub.name}"] = (
                        _decorator_mark(sub) or class_mark or module_mark or "unmarked"
                    )
    return out


def uses_trace_feedback(paths: list[Path]) -> bool:
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names = [a.arg for a in node.args.args + node.args.kwonlyargs]
                if "trace_feedback" in names:
                    return True
    return False


def _callee_name(expr: ast.expr) -> str | None:
    if isinstance(expr, ast.Call):
        expr = expr.func
    if isinstance(expr, ast.Attribute):
        return expr.attr
    if isinstance(expr, ast.Name):
        return expr.id
    return None


def _has_trainable_true(call: ast.expr) -> bool:
    return isinstance(call, ast.Call) and any(
        kw.arg == "trainable" and isinstance(kw.value, ast.Constant) and kw.value.value is True
        for kw in call.keywords
    )


def trainable_spans(source: str) -> list[tuple[int, int, str]]:
    """(first line, last line, name) of every trainable definition in a module."""
    spans = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in node.decorator_list:
                name = _callee_name(dec)
                if name == "trainable" or (name == "bundle" and _has_trainable_true(dec)):
                    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                    spans.append((start, node.end_lineno or node.lineno, node.name))
                    break
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            value = node.value
            if (
                value is not None
                and _callee_name(value) == "node"
                and isinstance(value, ast.Call)
                and _has_trainable_true(value)
            ):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                name = ", ".join(ast.unparse(t) for t in targets)
                spans.append((node.lineno, node.end_lineno or node.lineno, name))
    return spans


def _outside_trainables(source: str) -> list[str]:
    """The module's lines with every trainable definition replaced by one marker line."""
    lines = source.splitlines()
    for start, end, name in sorted(trainable_spans(source), reverse=True):
        lines[start - 1 : end] = [f"<trainable {name}>"]
    return [line.rstrip() for line in lines]


def fix_outside_trainables(buggy: str, fixed: str) -> list[str]:
    """Problems if the reference changes anything outside the trainable definitions."""
    if not trainable_spans(buggy):
        return [
            "no trainable definition "
            "(@trainable, @bundle(trainable=True), node(..., trainable=True))"
        ]
    try:
        a, b = _outside_trainables(buggy), _outside_trainables(fixed)
    except SyntaxError as exc:
        return [f"reference does not parse: {exc}"]
    if a == b:
        return []
    diff = [d for d in difflib.unified_diff(a, b, "buggy", "reference", n=0, lineterm="")][2:]
    return ["reference changes code outside the trainable definitions: " + " / ".join(diff[:6])]


def fix_lines(buggy: str, fixed: str) -> list[str]:
    a, b = buggy.splitlines(), fixed.splitlines()
    added = []
    for tag, _i1, _i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("replace", "insert"):
            added += [line.strip() for line in b[j1:j2]]
    old = {line.strip() for line in a}
    return [line for line in added if len(line) >= LEAK_MIN_CHARS and line not in old]


# --------------------------------------------------------------------------- running


@dataclass
class Run:
    outcomes: dict[str, str] = field(default_factory=dict)  # test id -> passed/failed/skipped
    timed_out: bool = False
    returncode: int | None = None
    output: str = ""
    seconds: float = 0.0


def parse_junit(path: Path) -> dict[str, str]:
    outcomes: dict[str, str] = {}
    if not path.exists():
        return outcomes
    for case in ET.parse(path).getroot().iter("testcase"):
        classname = case.get("classname", "")
        name = case.get("name", "").split("[", 1)[0]
        parts = classname.split(".")
        test_id = f"{parts[-1]}::{name}" if parts and parts[-1].startswith("Test") else name
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            outcome = "failed"
        elif "skipped" in tags:
            outcome = "skipped"
        else:
            outcome = "passed"
        # a parametrized test fails if any of its instances fails
        if outcomes.get(test_id) != "failed":
            outcomes[test_id] = outcome
    return outcomes


class Runner:
    def __init__(
        self,
        python: str,
        timeout: float,
        per_test_timeout: float,
        plugin_args: list[str],
        extra_path: list[str],
    ):
        self.python = python
        self.timeout = timeout
        self.per_test_timeout = per_test_timeout
        self.plugin_args = plugin_args
        env = {k: v for k, v in os.environ.items() if k not in SCRUB_ENV}
        env["PYTHONPATH"] = os.pathsep.join(
            [*extra_path, str(REPO)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
        )
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
        self.env = env

    def cmd(self, workdir: Path, ini: Path, junit: Path, selection: list[str]) -> list[str]:
        return [
            self.python, "-m", "pytest", "-q", "-rN", "-p", "no:cacheprovider",
            "-c", str(ini), "--rootdir", str(workdir),
            "-W", "ignore::pytest.PytestUnknownMarkWarning",
            f"--junitxml={junit}", *self.plugin_args, *selection,
        ]  # fmt: skip

    def run(
        self, workdir: Path, test_files: list[str], test_ids: dict[str, str], allow_hang: bool
    ) -> Run:
        """Run the tests; ``test_ids`` maps each test id to its file (for one-by-one reruns)."""
        ini = workdir.parent / "pytest.ini"
        ini.write_text("[pytest]\n")
        junit = workdir.parent / "junit.xml"
        junit.unlink(missing_ok=True)
        rc, out, secs = run_in_session(
            self.cmd(workdir, ini, junit, test_files), workdir, self.env, self.timeout
        )
        run = Run(parse_junit(junit), rc is None, rc, out, secs)
        if run.timed_out and allow_hang:
            # learn each test's outcome on its own; a test that hangs alone is "hang"
            for test_id, test_file in test_ids.items():
                junit.unlink(missing_ok=True)
                cmd = self.cmd(workdir, ini, junit, [f"{test_file}::{test_id}"])
                rc1, _out1, secs1 = run_in_session(cmd, workdir, self.env, self.per_test_timeout)
                run.seconds += secs1
                if rc1 is None:
                    run.outcomes[test_id] = "hang"
                else:
                    run.outcomes[test_id] = parse_junit(junit).get(test_id, "failed")
        return run


def probe_plugin(runner: Runner) -> dict:
    code = (
        "import json, importlib, importlib.metadata as md\n"
        "r = {'importable': False, 'error': '', 'entry_point': None}\n"
        "try:\n"
        "    importlib.import_module('pytest_trace_opt.plugin'); r['importable'] = True\n"
        "except Exception as e:\n"
        "    r['error'] = f'{type(e).__name__}: {e}'\n"
        "for ep in md.entry_points(group='pytest11'):\n"
        "    if ep.value.split(':')[0] == 'pytest_trace_opt.plugin': r['entry_point'] = ep.name\n"
        "print(json.dumps(r))\n"
    )
    proc = subprocess.run(
        [runner.python, "-c", code], env=runner.env, capture_output=True, text=True, timeout=120
    )
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except Exception:  # noqa: BLE001
        return {"importable": False, "error": proc.stderr.strip()[-300:], "entry_point": None}


# --------------------------------------------------------------------------- per case


@dataclass
class Result:
    name: str
    kind: str = "?"
    difficulty: str = "?"
    visible: int = 0
    holdout: int = 0
    buggy: str = "-"
    reference: str = "-"
    status: str = "OK"
    violations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def summarize(outcomes: dict[str, str], kinds: dict[str, str], which: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for test_id, kind in kinds.items():
        if kind == which:
            outcome = outcomes.get(test_id, "missing")
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def fmt_counts(counts: dict[str, int]) -> str:
    order = ["failed", "hang", "passed", "skipped", "missing"]
    letters = {"failed": "F", "hang": "H", "passed": "P", "skipped": "S", "missing": "?"}
    return " ".join(f"{counts[k]}{letters[k]}" for k in order if counts.get(k)) or "-"


def check_case(
    case_dir: Path, ref_root: Path, runner: Runner, plugin: dict, stub: bool, keep: bool
) -> Result:
    name = case_dir.name
    res = Result(name)
    v = res.violations

    # case.toml
    toml_path = case_dir / "case.toml"
    meta: dict = {}
    if not toml_path.exists():
        v.append("missing case.toml")
    else:
        try:
            meta = tomllib.loads(toml_path.read_text())
        except tomllib.TOMLDecodeError as exc:
            v.append(f"case.toml: {exc}")
    desc = meta.get("description")
    if not isinstance(desc, str) or not desc.strip() or "\n" in desc:
        v.append("case.toml: description must be one non-empty line")
    res.kind = str(meta.get("kind", "?"))
    res.difficulty = str(meta.get("difficulty", "?"))
    if res.kind not in KINDS:
        v.append(f"case.toml: unknown kind {res.kind!r}")
    if res.difficulty not in DIFFICULTIES:
        v.append(f"case.toml: difficulty must be one of {sorted(DIFFICULTIES)}")

    # tests and markers
    test_files = sorted(
        p
        for p in case_dir.glob("*.py")
        if p.name.startswith("test_") or p.name.endswith("_test.py")
    )
    if not (case_dir / f"test_{name}.py").exists():
        v.append(f"missing test_{name}.py")
    kinds: dict[str, str] = {}
    files_of: dict[str, str] = {}
    for tf in test_files:
        for test_id, kind in classify_tests(tf).items():
            if test_id in kinds:
                v.append(f"test id {test_id} defined in two test files")
            kinds[test_id] = kind
            files_of[test_id] = tf.name
    res.visible = sum(k == "visible" for k in kinds.values())
    res.holdout = sum(k == "holdout" for k in kinds.values())
    if res.visible < MIN_VISIBLE:
        v.append(f"{res.visible} visible trainable tests (need {MIN_VISIBLE}+)")
    if res.holdout < MIN_HOLDOUT:
        v.append(f"{res.holdout} holdout tests (need {MIN_HOLDOUT}+)")
    unmarked = [t for t, k in kinds.items() if k == "unmarked"]
    if unmarked:
        res.notes.append(f"unmarked tests: {', '.join(unmarked)}")

    # reference modules
    ref_dir = ref_root / name
    ref_files = sorted(p for p in ref_dir.rglob("*.py")) if ref_dir.is_dir() else []
    if not ref_files:
        v.append(f"no reference module in {ref_dir}")
    case_texts = {
        p: p.read_text(errors="replace")
        for p in case_dir.rglob("*")
        if p.is_file() and p.suffix in {".py", ".toml", ".txt", ".md", ".cfg", ".ini", ".json"}
    }
    for ref in ref_files:
        rel = ref.relative_to(ref_dir)
        buggy_path = case_dir / rel
        if not buggy_path.exists():
            v.append(f"reference {rel} has no counterpart in the case")
            continue
        buggy, fixed = buggy_path.read_text(), ref.read_text()
        if buggy == fixed:
            v.append(f"reference {rel} is identical to the buggy module")
            continue
        v.extend(f"{rel}: {p}" for p in fix_outside_trainables(buggy, fixed))
        # a line of the fix must not appear in the other files of the case, nor as a
        # whole (possibly commented-out) line of the buggy module itself
        commented = {line.strip().lstrip("#").strip() for line in buggy.splitlines()}
        for line in fix_lines(buggy, fixed):
            if line in commented:
                v.append(f"fix line {line!r} appears in {rel} (commented out?)")
            for path, text in case_texts.items():
                if path != buggy_path and line in text:
                    v.append(f"fix line {line!r} appears in {path.relative_to(case_dir)}")
        n_lines = len(buggy.splitlines())
        if n_lines > MAX_MODULE_LINES:
            res.notes.append(f"{rel} has {n_lines} lines (guideline: {MAX_MODULE_LINES})")
    for junk in ("__pycache__", ".pytest_cache"):
        if any(case_dir.rglob(junk)):
            res.notes.append(f"stray {junk} in the case dir")

    if not test_files or not ref_files:
        res.status = "FAIL"
        return res

    needs_plugin = uses_trace_feedback(test_files + list(case_dir.glob("conftest.py")))
    if needs_plugin and not plugin["importable"] and not stub:
        res.status = "NOCHECK"
        res.notes.append(
            "tests use trace_feedback and pytest_trace_opt.plugin is not importable "
            f"({plugin.get('error') or 'missing'}); could not run (try --stub-feedback)"
        )
        if v:
            res.status = "FAIL"
        return res

    tmp = Path(tempfile.mkdtemp(prefix=f"corpus-{name}-"))
    try:
        work = tmp / name
        shutil.copytree(
            case_dir, work, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache")
        )
        names = [tf.name for tf in test_files]

        # (1) buggy code
        hang_ok = res.kind == "infinite_loop"
        buggy = runner.run(work, names, files_of, allow_hang=hang_ok)
        res.seconds += buggy.seconds
        vis = summarize(buggy.outcomes, kinds, "visible")
        hold = summarize(buggy.outcomes, kinds, "holdout")
        res.buggy = f"{fmt_counts(vis)} | {fmt_counts(hold)}"
        if buggy.timed_out:
            res.buggy = f"timeout; {res.buggy}" if hang_ok else "timeout"
            if not hang_ok:
                v.append(
                    f"buggy run timed out after {runner.timeout:.0f}s "
                    "(only infinite_loop cases may hang)"
                )
        if not buggy.timed_out and not buggy.outcomes:
            v.append("buggy run produced no test results:\n" + _tail(buggy.output))
        elif not hang_ok or not buggy.timed_out or buggy.outcomes:
            if not (vis.get("failed") or vis.get("hang")):
                v.append("no visible test fails with the buggy code")
            if not vis.get("passed"):
                v.append("no visible test passes with the buggy code (a fix must have one to keep)")
        if hang_ok and not buggy.timed_out:
            res.notes.append("infinite_loop case did not hang")

        # (2) reference fix copied over
        ref_dir = ref_root / name
        for ref in ref_files:
            shutil.copy2(ref, work / ref.relative_to(ref_dir))
        fixed = runner.run(work, names, files_of, allow_hang=False)
        res.seconds += fixed.seconds
        not_passed = {
            t: o for t, o in ((t, fixed.outcomes.get(t, "missing")) for t in kinds) if o != "passed"
        }
        res.reference = (
            "timeout"
            if fixed.timed_out
            else f"{sum(o == 'passed' for o in fixed.outcomes.values())}/{len(kinds)}P"
        )
        if fixed.timed_out:
            v.append(f"reference run timed out after {runner.timeout:.0f}s")
        elif not_passed or fixed.returncode != 0:
            v.append(
                "with the reference fix, not passing: "
                f"{not_passed or 'returncode ' + str(fixed.returncode)}\n" + _tail(fixed.output)
            )
    finally:
        if keep:
            res.notes.append(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    if v:
        res.status = "FAIL"
    return res


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join("      " + line for line in text.strip().splitlines()[-lines:])


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=HERE / "corpus")
    ap.add_argument("--reference", type=Path, default=None, help="default: <corpus>/../reference")
    ap.add_argument("--python", default=sys.executable, help="interpreter that runs pytest")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds per pytest run")
    ap.add_argument(
        "--per-test-timeout",
        type=float,
        default=5.0,
        help="per test, when a hanging case is rerun test by test",
    )
    ap.add_argument(
        "--stub-feedback",
        action="store_true",
        help="provide a stand-in trace_feedback fixture when the plugin is missing",
    )
    ap.add_argument("--no-plugin", action="store_true", help="never load pytest_trace_opt.plugin")
    ap.add_argument("--keep", action="store_true", help="keep the temporary copies")
    ap.add_argument("cases", nargs="*", help="only these case names")
    args = ap.parse_args(argv)

    corpus = args.corpus.resolve()
    ref_root = (args.reference or corpus.parent / "reference").resolve()
    case_dirs = sorted(
        p for p in corpus.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
    )
    if args.cases:
        unknown = set(args.cases) - {p.name for p in case_dirs}
        if unknown:
            print(f"unknown cases: {sorted(unknown)}", file=sys.stderr)
            return 2
        case_dirs = [p for p in case_dirs if p.name in args.cases]

    stub_dir = Path(tempfile.mkdtemp(prefix="corpus-stub-"))
    try:
        runner = Runner(args.python, args.timeout, args.per_test_timeout, [], [])
        plugin = (
            probe_plugin(runner)
            if not args.no_plugin
            else {"importable": False, "error": "--no-plugin", "entry_point": None}
        )
        plugin_args: list[str] = []
        extra_path: list[str] = []
        if args.no_plugin:
            plugin_args += ["-p", "no:trace_opt"]
        elif plugin["importable"] and not (
            plugin["entry_point"] and not os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
        ):
            plugin_args += ["-p", "pytest_trace_opt.plugin"]
        use_stub = args.stub_feedback and not plugin["importable"]
        if use_stub:
            (stub_dir / "_corpus_stub_feedback.py").write_text(STUB_PLUGIN)
            extra_path.append(str(stub_dir))
            plugin_args += ["-p", "_corpus_stub_feedback"]
        runner = Runner(args.python, args.timeout, args.per_test_timeout, plugin_args, extra_path)

        how = (
            "-p pytest_trace_opt.plugin"
            if "pytest_trace_opt.plugin" in plugin_args
            else f"entry point {plugin['entry_point']}"
        )
        state = (
            f"loaded ({how})"
            if plugin["importable"]
            else f"not importable ({plugin['error'] or 'missing'})"
            + ("; using the --stub-feedback fixture" if use_stub else "")
        )
        print(f"corpus: {corpus}\nreference: {ref_root}\nplugin: {state}\n")

        results = []
        for case_dir in case_dirs:
            print(f"  checking {case_dir.name} ...", file=sys.stderr, flush=True)
            try:
                results.append(check_case(case_dir, ref_root, runner, plugin, use_stub, args.keep))
            except Exception as exc:  # noqa: BLE001 - a broken case must not hide the others
                results.append(
                    Result(
                        case_dir.name,
                        status="FAIL",
                        violations=[f"checker error: {type(exc).__name__}: {exc}"],
                    )
                )
    finally:
        shutil.rmtree(stub_dir, ignore_errors=True)

    header = (
        "case",
        "kind",
        "diff",
        "vis",
        "hold",
        "buggy: visible | holdout",
        "reference",
        "time",
        "status",
    )
    rows = [
        (
            r.name,
            r.kind,
            r.difficulty,
            str(r.visible),
            str(r.holdout),
            r.buggy,
            r.reference,
            f"{r.seconds:.1f}s",
            r.status,
        )
        for r in results
    ]
    widths = [
        max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
        for i, h in enumerate(header)
    ]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print("\nbuggy column: F failed, H hung (timed out alone), P passed, S skipped, ? not run")

    for r in results:
        if r.violations or r.notes:
            print(f"\n{r.name}:")
            for msg in r.violations:
                print(f"  VIOLATION: {msg}")
            for msg in r.notes:
                print(f"  note: {msg}")

    failed = [r.name for r in results if r.status == "FAIL"]
    nocheck = [r.name for r in results if r.status == "NOCHECK"]
    kinds_seen = sorted({r.kind for r in results})
    print(
        f"\n{len(results)} cases, {len(results) - len(failed) - len(nocheck)} OK, "
        f"{len(nocheck)} could not be run, {len(failed)} with violations; "
        f"{len(kinds_seen)} kinds: {', '.join(kinds_seen)}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
