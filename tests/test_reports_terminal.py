"""reports.terminal and reports.apply: the summary lines, and how to apply a proposal.

``make_result`` and ``changed_target`` build the results the other test_reports_* files use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_trace_opt.model import Counts, OptimizationResult, RoundRecord, TargetResult
from pytest_trace_opt.patch import unified_diff
from pytest_trace_opt.reports import PatchFiles, apply_steps, pending, summary_lines, terminal_line


def make_result(targets: list[TargetResult], **fields: Any) -> OptimizationResult:
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


def changed_target(old: str, new: str, file: str = "m.py", name: str = "f") -> TargetResult:
    return TargetResult(
        key=f"{file}::{name}", kind="code", origin="trainable", name=name, file=file, line=1,
        status="changed", original=old, final=new, patch=unified_diff(old, new, file),
    )  # fmt: skip


def test_summary_lines_say_the_outcome_the_diffs_and_what_could_not_be_done() -> None:
    changed = changed_target("def f():\n    return 1\n", "def f():\n    return 2\n")
    stuck = TargetResult(
        key="n.py::g",
        kind="code",
        origin="trainable",
        name="g",
        file="n.py",
        line=4,
        status="not-patchable",
        original="",
        final="",
        note="gone",
    )
    same = TargetResult(key="n.py::h", kind="code", origin="bundle", name="h", file="n.py",
                        line=9, status="unchanged", original="", final="")  # fmt: skip
    result = make_result(
        [changed, stuck, same],
        patch=changed.patch,
        problems=["a marker names nothing"],
        llm={"model": "m", "optimizer": "OptoPrime", "calls": 2, "prompt_tokens": 10,
             "completion_tokens": 3, "seconds": 1.25, "cost": 0.5},
        final_check={"broken_outside_tagged": ["t.py::u"]},
    )  # fmt: skip
    lines = list(summary_lines(result))
    assert lines[:3] == [
        "outcome: every tagged test passes with the proposed change",
        "stopped: all tagged tests pass",
        "tagged tests: before 0/2 visible, 1/1 holdout; after 2/2 visible, 1/1 holdout",
    ]
    assert "WARNING: the change breaks 1 untagged test(s): t.py::u" in lines
    assert "LLM: m via OptoPrime: 2 call(s), 10+3 tokens, 1.2 s, $0.5000" in lines
    assert "problem: a marker names nothing" in lines
    assert "changed f (m.py:1):" in lines and "+    return 2" in lines
    assert "cannot patch g (n.py:4): gone" in lines
    assert lines[-1] == "unchanged h (n.py:9)"
    # how to apply is not part of the summary: the run ends with it (see terminal_line)
    assert not any("apply" in line for line in lines)
    applied = make_result([changed], patch=changed.patch, applied=["m.py"], apply_note="wrote m.py")
    assert list(summary_lines(applied))[-1] == "applied: wrote m.py"
    refused = make_result([changed], apply_note="not applied: it breaks a test")
    assert list(summary_lines(refused))[-1] == "--trace-apply: not applied: it breaks a test"


def test_a_proposal_is_pending_until_applied() -> None:
    changed = changed_target("a\n", "b\n")
    assert pending(make_result([changed], patch=changed.patch))
    assert not pending(make_result([changed], patch=changed.patch, applied=["m.py"]))
    assert not pending(make_result([]))
    assert not pending(None)


def test_the_terminal_names_the_file_written_relative_to_the_invocation_dir(
    tmp_path: Path,
) -> None:
    whole, per_target = tmp_path / "out" / "fix.patch", tmp_path / "out" / "p" / "m.py_f.patch"
    cwd = tmp_path / "work"
    assert terminal_line(PatchFiles(whole, (per_target,)), cwd) == (
        "apply it with: git apply ../out/fix.patch   (or re-run with --trace-apply)"
    )
    assert terminal_line(PatchFiles(None, (per_target,)), cwd) == (
        "apply it with: git apply ../out/p/m.py_f.patch   (or re-run with --trace-apply)"
    )
    assert terminal_line(PatchFiles(), cwd) == (
        "write it with --trace-patch FILE, or re-run with --trace-apply"
    )


def test_reports_name_the_patch_written_and_the_command_to_apply_it(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    whole = repo / "trace-opt" / "fix.patch"
    intro, commands, after = apply_steps(PatchFiles(whole, (), repo))
    assert "trace-opt/fix.patch" in intro and "Save the diffs" not in intro
    assert commands == ["git apply trace-opt/fix.patch"]
    assert "--trace-apply" in after
    outside = tmp_path / "elsewhere.patch"
    assert apply_steps(PatchFiles(outside, (), repo))[1] == [f"git apply {outside}"]
    per_target = (repo / "p" / "a.patch", repo / "p" / "b.patch")
    intro, commands, _ = apply_steps(PatchFiles(None, per_target, repo))
    assert "--trace-patch-dir" in intro
    assert commands == ["git apply p/a.patch", "git apply p/b.patch"]
    intro, commands, _ = apply_steps(PatchFiles())
    assert intro.startswith("Save the diffs above as fix.patch")
    assert commands == ["git apply fix.patch"]
