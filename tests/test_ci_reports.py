"""CI outputs of real runs: patches from the git root, the GitHub Actions job summary and
annotations, the fail-on-proposal gate, JSON reports that match the schema. The pieces are
unit-tested in test_reports_*.py; the HTML report of a real run in test_html_report.py."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import LLM_PATH_ONLY
from test_patch_paths import git, git_init

from pytest_trace_opt.reports import SCHEMA_PATH

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
WRONG2 = {  # another wrong answer: one already rejected is not evaluated again
    "add": "def add(a, b):\\n    return b - a\\n",
    "mul": "def mul(a, b):\\n    return a + b\\n",
    "shout": "def shout(text):\\n    return text.lower()\\n",
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
        table = {"wrong": WRONG, "wrong2": WRONG2}.get(mode, FIXES)
        suggestion = {
            var: table[name]
            for var, name in re.findall(r"(__code\\d+):\\s*def (\\w+)", prompt)
            if name in table
        }
        content = json.dumps({"reasoning": "", "answer": "", "suggestion": suggestion})
        repair = [n for n in re.findall(r"## Code to fix: (\\w+)", prompt) if n in table]
        if repair:  # the Repair optimizer's prompt: the code back in one python block
            content = "```python\\n" + "\\n\\n".join(table[n] for n in repair) + "```"
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
        "conftest.py": DOUBLE_CONFTEST + LLM_PATH_ONLY,
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
            "trace-opt patch per target (git apply from the repository root): *calc.py_add.patch*",
            "trace-opt GitHub job summary: appended to $GITHUB_STEP_SUMMARY",
            "apply it with: git apply *trace.patch   (or re-run with --trace-apply)",
            "*= 5 passed in *",
        ],
        consecutive=False,
    )
    assert result.outlines[-2].startswith("apply it with: git apply ")
    assert result.stdout.str().count("apply it with") == 1  # said once, at the end

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
