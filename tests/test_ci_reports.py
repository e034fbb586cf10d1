"""CI outputs (pytest_trace_opt.ci_reports): patches from the git root, GitHub Actions job summary
and annotations, the fail-on-proposal gate, the JSON report schema. The HTML report and its
browser test live in test_html_report.py."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from test_patch_paths import git, git_init

from pytest_trace_opt.ci_reports import (
    escape_data,
    escape_property,
    html_report,
    passed_plot_svg,
    patch_file_name,
    summary_markdown,
    workflow_command,
)
from pytest_trace_opt.model import Counts, OptimizationResult, RoundRecord, TargetResult
from pytest_trace_opt.patch import (
    unified_diff,
)

SCHEMA_PATH = Path(__file__).parents[1] / "pytest_trace_opt" / "report.schema.json"
GITHUB_VARS = ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE", "CI")

# ----------------------------------------------------------------------------- the project

# The LLM test double, written into the project's conftest.py: for every code variable shown
# in the prompt (``__code0: def add(...)``) it suggests the known fix, or, for the calls that
# llm_plan.json marks "wrong", a wrong one. Every call is logged.
DOUBLE_CONFTEST = '''\
import json
import re
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).parent
FIXES = {
    "add": "def add(a, b):\\n    return a + b\\n",
    "mul": "def mul(a, b):\\n    return a * b\\n",
    "shout": "def shout(text):\\n    return text.upper() + '!'\\n",
}
WRONG = {
    "add": "def add(a, b):\\n    return a * b\\n",
    "mul": "def mul(a, b):\\n    return a - b\\n",
    "shout": "def shout(text):\\n    return text\\n",
}


class FixingLLM:
    """Test double for the LLM: suggests a fix for each code variable named in the prompt."""

    def __init__(self):
        plan = HERE / "llm_plan.json"
        self.plan = json.loads(plan.read_text("utf-8")) if plan.exists() else []
        self.calls = 0

    def __call__(self, messages=None, **kwargs):
        prompt = "\\n".join(str(m.get("content", "")) for m in messages or [])
        mode = self.plan[self.calls] if self.calls < len(self.plan) else "fix"
        self.calls += 1
        with (HERE / "prompts.log").open("a", encoding="utf-8") as log:
            log.write(json.dumps(prompt) + "\\n")
        table = WRONG if mode == "wrong" else FIXES
        suggestion = {
            var: table[name]
            for var, name in re.findall(r"(__code\\d+):\\s*def (\\w+)", prompt)
            if name in table
        }
        content = json.dumps({"reasoning": "", "answer": "", "suggestion": suggestion})
        return SimpleNamespace(
            choices=[SimpleNamespace(message=SimpleNamespace(content=content))],
            usage={"prompt_tokens": 100, "completion_tokens": 20},
        )


def pytest_trace_opt_make_llm(config, settings):
    return FixingLLM()
'''

CALC = '''\
from pytest_trace_opt import trainable


@trainable
def add(a, b):
    """Return the sum of a and b."""
    return a - b


@trainable
def mul(a, b):
    """Return the product of a and b."""
    return a + b
'''

WORDS = '''\
from pytest_trace_opt import trainable


@trainable
def shout(text):
    """Upper-case the text and add an exclamation mark."""
    return text.lower()
'''

TESTS = """\
import pytest

from calc import add, mul
from words import shout


@pytest.mark.trainable
def test_add():
    assert add(2, 3) == 5


@pytest.mark.trainable
def test_add_zero():
    assert add(5, 0) == 5


@pytest.mark.trainable
def test_mul():
    assert mul(2, 4) == 8


@pytest.mark.trainable
def test_shout():
    assert shout("hi") == "HI!"


def test_untagged():
    assert shout("a") in ("a", "A!")
"""


def make_project(root: Path, plan: list[str] | None = None) -> Path:
    """A pytest project (rootdir ``root``, marked by pytest.ini) with three buggy trainables."""
    root.mkdir(parents=True, exist_ok=True)
    files = {
        "pytest.ini": "[pytest]\n",
        "conftest.py": DOUBLE_CONFTEST,
        "calc.py": CALC,
        "words.py": WORDS,
        "test_all.py": TESTS,
        "llm_plan.json": json.dumps(plan or []),
    }
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def run_optimize(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    project: Path,
    *args: str,
    env: dict[str, str] | None = None,
    rounds: int = 2,
) -> pytest.RunResult:
    """``pytest --trace-optimize`` in a fresh interpreter, from ``project``, GitHub vars cleared."""
    monkeypatch.chdir(project)
    for name in GITHUB_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    return pytester.runpytest_subprocess(
        "--trace-optimize", "--trace-rounds", str(rounds), "--trace-test-timeout", "10", *args
    )


def validate_report(path: Path) -> dict[str, Any]:
    """Every JSON report the tests produce must match the package's schema."""
    data = json.loads(path.read_text(encoding="utf-8"))
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)
    return data


@pytest.fixture
def needs_git() -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")


@pytest.fixture
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Outputs live outside the repository so that the work tree only holds the project."""
    return tmp_path_factory.mktemp("ci-out")


# ----------------------------------------------------------------------------- end to end


@pytest.mark.usefixtures("needs_git")
def test_github_actions_run_from_a_subdirectory_of_the_git_repo(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, out_dir: Path
) -> None:
    repo = git_init(pytester.path / "repo")
    project = make_project(repo / "services" / "app")
    summary = out_dir / "step_summary.md"
    summary.write_text("previous step\n", encoding="utf-8")
    patch, patches, report = out_dir / "trace.patch", out_dir / "patches", out_dir / "r.json"
    result = run_optimize(
        pytester, monkeypatch, project,
        "--trace-patch", str(patch), "--trace-patch-dir", str(patches),
        "--trace-report-json", str(report),
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary),
             "GITHUB_WORKSPACE": str(repo)},
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(["trace-opt round 1: 4/4 visible passed; accepted*"])

    # --trace-patch and every per-target patch: paths relative to the git root, git-applicable
    text = patch.read_text(encoding="utf-8")
    assert "diff --git a/services/app/calc.py b/services/app/calc.py\n" in text
    assert "+++ b/services/app/words.py\n" in text
    per_target = sorted(patches.glob("*.patch"))
    assert [p.name for p in per_target] == [
        "calc.py_add.patch", "calc.py_mul.patch", "words.py_shout.patch"
    ]  # fmt: skip
    for path in [patch, *per_target]:
        check = git(repo, "apply", "--check", str(path))
        assert check.returncode == 0, (path.name, check.stderr)
    assert "-    return a - b" in (patches / "calc.py_add.patch").read_text("utf-8")
    assert "mul" not in (patches / "calc.py_add.patch").read_text("utf-8")
    # from the rootdir (a subdirectory) too, as the terminal summary suggests
    assert git(project, "apply", "--check", str(patch)).returncode == 0
    # the terminal summary names the files and ends with the command to apply
    result.stdout.fnmatch_lines(
        [
            "apply it with: git apply *trace.patch   (or re-run with --trace-apply)",
            "trace-opt patch per target (git apply from the repository root): *calc.py_add.patch*",
            "trace-opt GitHub job summary: appended to $GITHUB_STEP_SUMMARY",
            "apply it with: git apply *trace.patch   (or re-run with --trace-apply)",
            "*= 5 passed in *",
        ],
        consecutive=False,
    )
    assert result.outlines[-2].startswith("apply it with: git apply ")

    # the job summary: appended, outcome, rounds table, collapsible diffs, how to apply
    md = summary.read_text(encoding="utf-8")
    assert md.startswith("previous step\n## pytest-trace-opt: every tagged test passes")
    assert "**Outcome:** `fixed`" in md
    assert "| Round | Status | Visible passed |" in md
    assert re.search(r"^\| 0 \| baseline \| 1/4 \|.*\| 0 \+ 0 \|", md, re.M)
    # one LLM call per group of related trainables: add, mul and shout are unrelated
    assert re.search(r"^\| 1 \| accepted \| 4/4 \|.*\| 3 \| 300 \+ 60 \|", md, re.M)
    assert md.count("<details>") == 3 and md.count("</details>") == 3
    assert "```diff\ndiff --git a/services/app/calc.py b/services/app/calc.py\n" in md
    assert "+    return a * b\n" in md
    assert "git apply " in md and "trace.patch" in md

    # annotations: one per target, at the first changed line, with escaped properties
    notices = [line for line in result.outlines if line.startswith("::notice ")]
    assert len(notices) == 3, notices
    assert notices[0].startswith(
        "::notice file=services/app/calc.py,line=7,title=trace-opt%3A proposed change to add::"
    )
    assert any(n.startswith("::notice file=services/app/calc.py,line=13,") for n in notices)
    assert any(n.startswith("::notice file=services/app/words.py,line=7,") for n in notices)
    assert "%0A-    return a - b%0A+    return a + b" in notices[0]

    data = validate_report(report)
    assert data["outcome"] == "fixed"
    assert [t["status"] for t in data["targets"]] == ["changed"] * 3

    # the combined patch really applies and fixes the project
    assert git(repo, "apply", str(patch)).returncode == 0
    fixed = (project / "calc.py").read_text(encoding="utf-8")
    assert "return a + b" in fixed and "return a * b" in fixed


def test_outside_github_actions_nothing_is_emitted_and_a_pending_proposal_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, out_dir: Path
) -> None:
    """Not a git repo (paths stay rootdir-relative), no GITHUB_ACTIONS, --trace-fail-on-proposal."""
    project = make_project(pytester.path / "proj", plan=["wrong"])
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(pytester.path))
    summary = out_dir / "step_summary.md"
    patches, report = out_dir / "patches", out_dir / "r.json"
    result = run_optimize(
        pytester, monkeypatch, project,
        "--trace-patch-dir", str(patches), "--trace-report-json", str(report),
        "--trace-fail-on-proposal",
        env={"GITHUB_STEP_SUMMARY": str(summary)}, rounds=3,
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            # add, mul and shout are separate groups: each group's change is judged alone
            "trace-opt round 1: 3/4 visible passed; accepted (*add] it passes fewer tests*",
            "trace-opt round 2: 4/4 visible passed; accepted*",
            "*trace-opt: exit status 1 (--trace-fail-on-proposal): a change was proposed and not "
            "applied",
            "*5 passed*",
        ]
    )
    assert "::notice" not in result.stdout.str()
    assert not summary.exists()
    assert "GitHub job summary" not in result.stdout.str()
    assert re.match(r"apply it with: git apply \S*calc\.py_add\.patch ", result.outlines[-2])
    per_target = sorted(patches.glob("*.patch"))
    assert len(per_target) == 3
    # no git repository: paths relative to the rootdir, which is where git apply runs
    assert "diff --git a/calc.py b/calc.py\n" in per_target[0].read_text("utf-8")
    if shutil.which("git"):
        git_init(project)
        for path in per_target:
            check = git(project, "apply", "--check", str(path))
            assert check.returncode == 0, (path.name, check.stderr)
    data = validate_report(report)
    assert [r["status"] for r in data["rounds"]] == ["baseline", "accepted", "accepted"]


def test_github_off_and_an_applied_proposal_passes_the_gate(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, out_dir: Path
) -> None:
    project = make_project(pytester.path / "proj")
    summary = out_dir / "step_summary.md"
    report = out_dir / "r.json"
    result = run_optimize(
        pytester, monkeypatch, project,
        "--trace-github", "off", "--trace-apply", "--trace-fail-on-proposal",
        "--trace-report-json", str(report),
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(["applied: wrote calc.py, words.py*"])
    assert "::notice" not in result.stdout.str()
    assert "--trace-fail-on-proposal" not in result.stdout.str()
    assert not summary.exists()
    data = validate_report(report)
    assert data["applied"] == ["calc.py", "words.py"]


def test_github_option_is_validated(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--trace-github", "maybe")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--trace-github: invalid value 'maybe'; expected one of on, off"])


# ----------------------------------------------------------------------------- GitHub pieces


def test_workflow_command_values_are_escaped() -> None:
    assert escape_data("100%\r\ndone") == "100%25%0D%0Adone"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert escape_data("a:b,c") == "a:b,c"  # ':' and ',' only matter in properties
    line = workflow_command("notice", "x: 1,\n2", file="src/a,b.py", line=3, title="t: 1", col=None)
    assert line == "::notice file=src/a%2Cb.py,line=3,title=t%3A 1::x: 1,%0A2"
    assert workflow_command("notice", "plain") == "::notice::plain"


def test_patch_file_names_are_safe_and_unique() -> None:
    taken: set[str] = set()
    assert patch_file_name("pkg/mod.py::Klass.method", taken) == "pkg_mod.py_Klass.method.patch"
    assert patch_file_name("pkg/mod.py::Klass.method", taken) == "pkg_mod.py_Klass.method-2.patch"
    assert patch_file_name("../..::", taken) == "target.patch"


def _result(targets: list[TargetResult], **fields: Any) -> OptimizationResult:
    rounds = [
        RoundRecord(0, "baseline", Counts(0, 2, 1, 1)),
        RoundRecord(1, "rejected", Counts(2, 2, 0, 1), reason="it broke | a holdout",
                    llm_calls=1, prompt_tokens=50, completion_tokens=9,
                    feedback="test_x failed", response="{}"),
        RoundRecord(2, "accepted", Counts(2, 2, 1, 1), llm_calls=1, prompt_tokens=60,
                    completion_tokens=10),
    ]  # fmt: skip
    values: dict[str, Any] = {
        "outcome": "fixed",
        "stop_reason": "all tagged tests pass",
        "before": Counts(0, 2, 1, 1),
        "after": Counts(2, 2, 1, 1),
        "rounds": rounds,
        "targets": targets,
        "llm": {"model": "double", "optimizer": "OptoPrime", "calls": 2},
        "final_check": {"selected": 3, "passed": 3, "failed": 0, "broken_outside_tagged": []},
    }
    values.update(fields)
    return OptimizationResult(**values)


def _target(old: str, new: str, file: str = "m.py", name: str = "f") -> TargetResult:
    return TargetResult(
        key=f"{file}::{name}", kind="code", origin="trainable", name=name, file=file, line=1,
        status="changed", original=old, final=new, patch=unified_diff(old, new, file),
    )  # fmt: skip


def test_job_summary_escapes_cells_and_outgrows_backtick_fences() -> None:
    old = 'def f():\n    return "x"\n'
    new = 'def f():\n    return """\n```\n"""\n'
    target = _target(old, new)
    md = summary_markdown(_result([target], patch=target.patch), "sub/", "git apply t.patch")
    assert "| 1 | rejected | 2/2 | 0/1 |" in md  # holdout column when there are holdouts
    assert "it broke \\| a holdout" in md
    assert "<details open>" in md  # a single target is shown expanded
    assert "````diff\ndiff --git a/sub/m.py b/sub/m.py\n" in md
    assert md.count("\n````\n") == 1  # the closing fence
    assert "git apply t.patch" in md
    empty = summary_markdown(_result([], outcome="unchanged"))
    assert "No change was proposed." in empty


# ----------------------------------------------------------------------------- HTML pieces


def test_html_report_escapes_and_bounds_the_exchanges() -> None:
    target = _target("def f():\n    return 1\n", "def f():\n    return '<b>'\n")
    long_reply = "<script>alert(1)</script>" + "x" * 20000
    result = _result([target], patch=target.patch)
    result.rounds[1].response = long_reply
    result.rounds[1].feedback = "assert f() == '<b>'"
    page = html_report(result, "sub/")
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "(16025 more characters not shown)" in page
    assert "assert f() == &#x27;&lt;b&gt;&#x27;" in page
    assert '<span class="line add">+    <span class="k">return</span> ' in page
    assert "diff --git a/sub/m.py b/sub/m.py" in page
    for external in ("src=", "href=", "url(", "@import", "<link", "http:", "https:"):
        assert external not in page


def test_plot_is_well_formed_svg_with_a_point_per_round() -> None:
    result = _result([])
    svg = ET.fromstring(passed_plot_svg(result.rounds))
    circles = svg.findall("circle")
    assert len(circles) == 3
    assert [c.get("class") for c in circles] == [
        "round baseline",
        "round rejected",
        "round accepted",
    ]
    ys = [float(c.get("cy", 0)) for c in circles]
    assert ys[0] > ys[1] > ys[2]  # 1, 2 and 3 tests passed: higher is more
    assert svg.find("polyline") is not None
    assert ET.fromstring(passed_plot_svg([])).tag == "svg"


# ----------------------------------------------------------------------------- schema


def test_schema_is_a_valid_draft_2020_12_schema_and_catches_drift() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    target = _target("a\n", "b\n")
    data = _result([target], patch=target.patch).to_json()
    validator.validate(json.loads(json.dumps(data, default=str)))
    assert not list(validator.iter_errors(data))
    for broken in (
        {**data, "surprise": 1},
        {**data, "outcome": "great"},
        {**data, "schema_version": 2},
        {**data, "rounds": [{**data["rounds"][0], "status": "maybe"}]},
    ):
        assert list(validator.iter_errors(broken))
