"""reports.html: the page, the highlighted diff and the plot, from results (no run)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from test_reports_terminal import changed_target, make_result

from pytest_trace_opt.patch import unified_diff
from pytest_trace_opt.reports import PatchFiles, html_report
from pytest_trace_opt.reports.html import highlight_diff, passed_plot_svg

EXTERNAL = ("src=", "href=", "url(", "@import", "<link", "<script", "http:", "https:")


def test_html_report_escapes_and_bounds_the_exchanges() -> None:
    target = changed_target("def f():\n    return 1\n", "def f():\n    return '<b>'\n")
    long_reply = "<script>alert(1)</script>" + "x" * 20000
    result = make_result([target], patch=target.patch)
    result.rounds[1].response = long_reply
    result.rounds[1].feedback = "assert f() == '<b>'"
    page = html_report(result, "sub/")
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "(16025 more characters not shown)" in page
    assert "assert f() == &#x27;&lt;b&gt;&#x27;" in page
    assert '<span class="line add">+    <span class="k">return</span> ' in page
    assert "&lt;b&gt;" in page.split('<span class="line add">')[1]
    assert "diff --git a/sub/m.py b/sub/m.py" in page
    for external in EXTERNAL:
        assert external not in page


def test_the_diff_is_highlighted_as_python_per_side_of_each_hunk() -> None:
    old = 'def f(x):\n    """Add one:\n    returns x + 1."""\n    return x - 1  # wrong\n'
    new = old.replace("return x - 1  # wrong", "return x + 1")
    html = highlight_diff(unified_diff(old, new, "m.py") + "\\ No newline at end of file\n")
    # Pygments 2.20 escapes quotes as &quot; where earlier versions left them
    rows = html.replace("&quot;", '"').split("\n</span>")[:-1]
    classes = [row.split('"')[1] for row in rows]
    assert classes == [
        "line meta", "line meta", "line meta", "line hunk",
        "line ctx", "line ctx", "line ctx", "line del", "line add", "line meta",
    ]  # fmt: skip
    # the docstring is one token over two lines: its second line is a string, not names
    assert rows[6] == '<span class="line ctx"> <span class="sd">    returns x + 1."""</span>'
    assert rows[7] == (
        '<span class="line del">-    <span class="k">return</span> <span class="n">x</span> '
        '<span class="o">-</span> <span class="mi">1</span>  <span class="c1"># wrong</span>'
    )
    assert rows[3] == '<span class="line hunk">@@ -1,4 +1,4 @@'
    assert rows[-1] == '<span class="line meta">\\ No newline at end of file'


def test_the_page_embeds_the_highlighting_styles_and_stays_self_contained() -> None:
    target = changed_target("x = 1\n", "x = 2\n")
    page = html_report(make_result([target], patch=target.patch))
    style = page.split("<style>", 1)[1].split("</style>", 1)[0]
    assert ".diff .k {" in style and ".diff .s2 {" in style
    assert "\npre {" not in style  # only the token rules, scoped to the diff
    for external in EXTERNAL:
        assert external not in page


def test_how_to_apply_names_the_patch_written(tmp_path: Path) -> None:
    target = changed_target("x = 1\n", "x = 2\n")
    result = make_result([target], patch=target.patch)
    repo = tmp_path / "repo"
    page = html_report(result, "", PatchFiles(repo / "out" / "trace.patch", (), repo))
    apply = page.split('<h2 id="apply">', 1)[1].split("<h2", 1)[0]
    assert "out/trace.patch" in apply and "<pre>git apply out/trace.patch</pre>" in apply
    assert "Save the diffs" not in apply
    per_target = PatchFiles(None, (repo / "p" / "m.py_f.patch",), repo)
    apply = html_report(result, "", per_target).split('<h2 id="apply">', 1)[1]
    assert "<pre>git apply p/m.py_f.patch</pre>" in apply
    apply = html_report(result).split('<h2 id="apply">', 1)[1]
    assert "Save the diffs above as fix.patch" in apply
    applied = make_result([target], patch=target.patch, applied=["m.py"], apply_note="wrote m.py")
    assert "Applied by <code>--trace-apply</code>: wrote m.py" in html_report(applied)


def test_plot_is_well_formed_svg_with_a_point_per_round() -> None:
    result = make_result([])
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
