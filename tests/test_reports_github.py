"""reports.github: workflow commands, the job summary and the annotations, from results."""

from __future__ import annotations

from pathlib import Path

from test_reports_terminal import changed_target, make_result

from pytest_trace_opt.reports import PatchFiles, annotation_lines, summary_markdown
from pytest_trace_opt.reports.github import escape_data, escape_property, workflow_command


def test_workflow_command_values_are_escaped() -> None:
    assert escape_data("100%\r\ndone") == "100%25%0D%0Adone"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert escape_data("a:b,c") == "a:b,c"  # ':' and ',' only matter in properties
    line = workflow_command("notice", "x: 1,\n2", file="src/a,b.py", line=3, title="t: 1", col=None)
    assert line == "::notice file=src/a%2Cb.py,line=3,title=t%3A 1::x: 1,%0A2"
    assert workflow_command("notice", "plain") == "::notice::plain"


def test_job_summary_escapes_cells_and_outgrows_backtick_fences() -> None:
    old = 'def f():\n    return "x"\n'
    new = 'def f():\n    return """\n```\n"""\n'
    target = changed_target(old, new)
    files = PatchFiles(Path("t.patch"))
    md = summary_markdown(make_result([target], patch=target.patch), "sub/", files)
    assert "| 1 | rejected | 2/2 | 0/1 |" in md  # holdout column when there are holdouts
    assert "it broke \\| a holdout" in md
    assert "<details open>" in md  # a single target is shown expanded
    assert "````diff\ndiff --git a/sub/m.py b/sub/m.py\n" in md
    assert md.count("\n````\n") == 1  # the closing fence
    assert "```sh\ngit apply t.patch\n```" in md
    empty = summary_markdown(make_result([], outcome="unchanged"))
    assert "No change was proposed." in empty


def test_one_notice_per_changed_target_at_its_first_changed_line() -> None:
    old = "".join(f"x{i} = {i}\n" for i in range(1, 11))
    first = changed_target(old, old.replace("x7 = 7", "x7 = 70"), file="pkg/a.py", name="a")
    second = changed_target("y = 1\n", "y = 2\n", file="b.py", name="b")
    result = make_result([first, second], patch=first.patch + second.patch)
    notices = annotation_lines(result, "sub/", None, "git apply fix.patch")
    assert len(notices) == 2
    assert notices[0].startswith(
        "::notice file=sub/pkg/a.py,line=7,title=trace-opt%3A proposed change to a::"
    )
    assert "Apply it with: git apply fix.patch" in notices[0]
    assert "%0Adiff --git a/sub/pkg/a.py b/sub/pkg/a.py%0A" in notices[0]
    assert notices[1].startswith("::notice file=sub/b.py,line=1,")
    assert "Apply it with" not in annotation_lines(result)[0]
