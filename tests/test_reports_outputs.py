"""reports.outputs: every file of an optimization written once, from its result, in tmp_path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_ci_reports import validate_report
from test_patch_paths import git_init
from test_reports_terminal import changed_target, make_result

from pytest_trace_opt.reports import write_outputs, write_plan_report
from pytest_trace_opt.settings import Settings


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> dict[Path, int]:
    """How many times each file was written."""
    counts: dict[Path, int] = {}
    real = Path.write_text

    def counting(self: Path, *args: object, **kwargs: object) -> int:
        counts[self] = counts.get(self, 0) + 1
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", counting)
    return counts


def two_targets() -> tuple[str, str]:
    return "def f():\n    return 1\n", "def f():\n    return 2\n"


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_every_output_is_written_once_with_paths_from_the_repository_root(
    tmp_path: Path, writes: dict[Path, int]
) -> None:
    repo = git_init(tmp_path / "repo")
    rootdir = repo / "sub"
    rootdir.mkdir()
    out = tmp_path / "out"
    old, new = two_targets()
    f, g = changed_target(old, new, name="f"), changed_target(old, new, file="n.py", name="g")
    result = make_result([f, g], patch=f.patch + g.patch)
    settings = Settings(
        patch=out / "trace.patch", patch_dir=out / "patches", report_json=out / "r.json",
        report_html=out / "r.html",
    )  # fmt: skip
    summary = out / "summary.md"
    out.mkdir()
    summary.write_text("earlier step\n", encoding="utf-8")
    writes.clear()
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    outputs = write_outputs(result, settings, rootdir, cwd=out, environ=env)

    patches = sorted((out / "patches").iterdir())
    assert [p.name for p in patches] == ["m.py_f.patch", "n.py_g.patch"]
    assert writes == {p: 1 for p in [out / "trace.patch", *patches, out / "r.json", out / "r.html"]}
    whole = (out / "trace.patch").read_text(encoding="utf-8")
    assert whole.startswith("diff --git a/sub/m.py b/sub/m.py\n") and "+++ b/sub/n.py\n" in whole
    assert result.patch_file == str(out / "trace.patch")
    assert result.patch == f.patch + g.patch  # the result keeps rootdir-relative diffs
    data = validate_report(out / "r.json")
    assert data["patch_file"] == str(out / "trace.patch")
    assert "diff --git a/sub/m.py b/sub/m.py" in (out / "r.html").read_text(encoding="utf-8")
    markdown = summary.read_text(encoding="utf-8")
    assert markdown.startswith("earlier step\n## pytest-trace-opt: ")
    assert f"git apply {out / 'trace.patch'}" in markdown  # outside the repository: absolute

    assert outputs.files.whole == out / "trace.patch"
    assert outputs.files.per_target == tuple(patches)
    assert outputs.lines == [
        "patch per target (git apply from the repository root): patches/m.py_f.patch, "
        "patches/n.py_g.patch",
        "HTML report: r.html",
        "GitHub job summary: appended to $GITHUB_STEP_SUMMARY",
    ]
    assert len(outputs.annotations) == 2
    assert outputs.annotations[0].startswith("::notice file=sub/m.py,line=2,")


def test_nothing_asked_nothing_written(tmp_path: Path, writes: dict[Path, int]) -> None:
    old, new = two_targets()
    target = changed_target(old, new)
    result = make_result([target], patch=target.patch)
    outputs = write_outputs(result, Settings(), tmp_path, tmp_path, environ={})
    assert writes == {} and list(tmp_path.iterdir()) == []
    assert outputs.lines == [] and outputs.annotations == []
    assert outputs.files.whole is None and outputs.files.per_target == ()
    assert result.patch_file is None
    # under GitHub Actions but switched off: no summary, no annotation
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "s.md")}
    outputs = write_outputs(result, Settings(github="off"), tmp_path, tmp_path, environ=env)
    assert outputs.annotations == [] and not (tmp_path / "s.md").exists()


def test_no_patch_file_without_a_proposal(tmp_path: Path) -> None:
    result = make_result([], outcome="unchanged")
    write_outputs(result, Settings(patch=tmp_path / "p.patch"), tmp_path, tmp_path, environ={})
    assert not (tmp_path / "p.patch").exists() and result.patch_file is None


def test_one_output_failing_does_not_cost_the_others(tmp_path: Path) -> None:
    old, new = two_targets()
    target = changed_target(old, new)
    result = make_result([target], patch=target.patch)
    (tmp_path / "r.html").mkdir()  # a directory where the report should go
    settings = Settings(patch=tmp_path / "p.patch", report_html=tmp_path / "r.html",
                        report_json=tmp_path / "r.json")  # fmt: skip
    outputs = write_outputs(result, settings, tmp_path, tmp_path, environ={})
    [line] = outputs.lines
    assert line.startswith("--trace-report-html: could not write: ")
    assert (tmp_path / "p.patch").read_text(encoding="utf-8") == target.patch
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["outcome"] == "fixed"


def test_the_plan_report(tmp_path: Path) -> None:
    plan = {"summary": {}, "targets": []}
    write_plan_report(tmp_path / "deep" / "plan.json", plan)
    data = json.loads((tmp_path / "deep" / "plan.json").read_text(encoding="utf-8"))
    assert data == {"schema_version": 1, "mode": "plan", "plan": plan}
