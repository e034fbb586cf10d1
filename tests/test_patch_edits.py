"""pytest_trace_opt.patch.edits: accepted values to patches and written files, on real files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from test_ci_reports import CALC, WORDS

from pytest_trace_opt.patch import (
    FileEdit,
    build_targets,
    combined_patch,
    locate_function,
    sha256_file,
    write_changes,
)
from pytest_trace_opt.protocol import TargetInfo

PROMPTS = 'GREETING = node("Hello", trainable=True)\n'
ADD_FIXED = 'def add(a, b):\n    """Return the sum of a and b."""\n    return a + b\n'
MUL_FIXED = 'def mul(a, b):\n    """Return the product of a and b."""\n    return a * b\n'
SHOUT_FIXED = "def shout(text):\n    return text.upper()\n"


def code_target(root: Path, relpath: str, name: str) -> TargetInfo:
    loc = locate_function(root / relpath, name)
    return TargetInfo(
        key=f"{relpath}::{name}", kind="code", name=name, file=relpath, line=loc.def_line,
        original=loc.source, function_name=name,
    )  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "calc.py").write_text(CALC, encoding="utf-8")
    (tmp_path / "prompts.py").write_text(PROMPTS, encoding="utf-8")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "words.py").write_text(WORDS, encoding="utf-8")
    return tmp_path


@pytest.fixture
def known(project: Path) -> dict[str, TargetInfo]:
    targets = [
        code_target(project, "calc.py", "add"),
        code_target(project, "calc.py", "mul"),
        code_target(project, "pkg/words.py", "shout"),
        TargetInfo(key="prompts.py::GREETING@1", kind="value", name="GREETING",
                   file="prompts.py", line=1, original="Hello", origin="node"),
    ]  # fmt: skip
    return {t.key: t for t in targets}


def test_each_changed_target_gets_its_own_patch_and_each_file_one_edit(
    project: Path, known: dict[str, TargetInfo]
) -> None:
    values = {"calc.py::add": ADD_FIXED, "calc.py::mul": MUL_FIXED, "prompts.py::GREETING@1": "Hi"}
    results, edits = build_targets(project, known, values, reached=known)
    by_key = {r.key: r for r in results}
    assert [r.key for r in results] == list(known)  # in the order the tests reached them
    assert by_key["pkg/words.py::shout"].status == "unchanged"
    assert by_key["pkg/words.py::shout"].patch == ""
    for key in values:
        assert by_key[key].status == "changed" and by_key[key].final == values[key]
    # a target's patch holds its own change only, against the original file
    add_patch = by_key["calc.py::add"].patch
    assert "-    return a - b\n+    return a + b\n" in add_patch
    assert "a * b" not in add_patch
    assert by_key["prompts.py::GREETING@1"].patch == (
        "diff --git a/prompts.py b/prompts.py\n--- a/prompts.py\n+++ b/prompts.py\n"
        '@@ -1 +1 @@\n-GREETING = node("Hello", trainable=True)\n'
        '+GREETING = node("Hi", trainable=True)\n'
    )

    calc, prompts = edits  # one edit per changed file; words.py is unchanged
    assert (calc.relpath, prompts.relpath) == ("calc.py", "prompts.py")
    assert calc.original_sha256 == sha256_file(project / "calc.py")
    assert calc.new_text == CALC.replace("    return a + b\n", "    return a * b\n").replace(
        "    return a - b\n", "    return a + b\n"
    )
    assert prompts.patch == by_key["prompts.py::GREETING@1"].patch
    assert combined_patch(edits) == calc.patch + prompts.patch
    assert calc.patch.startswith("diff --git a/calc.py b/calc.py\n")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_combined_patch_applies_with_git(project: Path, known: dict[str, TargetInfo]) -> None:
    values = {
        "calc.py::add": ADD_FIXED,
        "pkg/words.py::shout": SHOUT_FIXED,
    }
    _, edits = build_targets(project, known, values, reached=known)
    assert [e.relpath for e in edits] == ["calc.py", "pkg/words.py"]
    patch = project / "fix.patch"
    patch.write_text(combined_patch(edits), encoding="utf-8")
    done = subprocess.run(
        ["git", "apply", str(patch)],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for edit in edits:
        assert (project / edit.relpath).read_text(encoding="utf-8") == edit.new_text


def test_values_for_unreached_targets_come_last_and_unknown_keys_are_skipped(
    project: Path, known: dict[str, TargetInfo]
) -> None:
    reached = {"calc.py::mul": known["calc.py::mul"]}
    values = {"calc.py::add": ADD_FIXED, "nowhere.py::ghost": "def ghost(): pass\n"}
    results, _ = build_targets(project, {"calc.py::add": known["calc.py::add"]}, values, reached)
    assert [(r.key, r.status) for r in results] == [
        ("calc.py::mul", "unchanged"),
        ("calc.py::add", "changed"),
    ]


def test_a_target_that_cannot_be_patched_says_why_and_the_others_still_are(
    project: Path, known: dict[str, TargetInfo]
) -> None:
    stale = TargetInfo(key="calc.py::gone", kind="code", name="gone", file="calc.py", line=7,
                       original="def gone(): pass\n", function_name="gone")  # fmt: skip
    values = {"calc.py::add": ADD_FIXED, "calc.py::gone": "def gone(): return 1\n"}
    results, edits = build_targets(project, {**known, stale.key: stale}, values, reached=known)
    by_key = {r.key: r for r in results}
    assert by_key["calc.py::gone"].status == "not-patchable"
    assert "no function named gone defined at line 7" in by_key["calc.py::gone"].note
    assert by_key["calc.py::add"].status == "changed"
    assert [e.relpath for e in edits] == ["calc.py"]


def test_a_file_deleted_since_the_run_began_is_not_patchable(
    project: Path, known: dict[str, TargetInfo]
) -> None:
    (project / "pkg" / "words.py").unlink()
    values = {"pkg/words.py::shout": SHOUT_FIXED}
    results, edits = build_targets(project, known, values, reached=known)
    [shout] = [r for r in results if r.key == "pkg/words.py::shout"]
    assert shout.status == "not-patchable" and "cannot read" in shout.note
    assert edits == []


def test_the_hash_taken_at_the_start_of_the_run_guards_the_edit(
    project: Path, known: dict[str, TargetInfo]
) -> None:
    start = {"calc.py": "0" * 64}
    _, [edit] = build_targets(project, known, {"calc.py::add": ADD_FIXED}, known, start)
    assert edit.original_sha256 == "0" * 64
    written, note = write_changes(project, [edit])
    assert written == []
    assert note.startswith("not written: calc.py: ") and "changed on disk" in note
    assert (project / "calc.py").read_text(encoding="utf-8") == CALC


def test_write_changes_writes_atomically_with_backups(
    project: Path, known: dict[str, TargetInfo]
) -> None:
    values = {
        "calc.py::add": ADD_FIXED,
        "pkg/words.py::shout": SHOUT_FIXED,
    }
    _, edits = build_targets(project, known, values, reached=known)
    written, note = write_changes(project, edits)
    assert written == ["calc.py", "pkg/words.py"]
    assert note == "wrote calc.py, pkg/words.py (previous content in .orig files)"
    assert (project / "calc.py.orig").read_text(encoding="utf-8") == CALC
    assert (project / "pkg" / "words.py.orig").read_text(encoding="utf-8") == WORDS
    for edit in edits:
        assert (project / edit.relpath).read_text(encoding="utf-8") == edit.new_text

    # a second apply keeps the first backup, and says where the previous content went
    again = FileEdit("calc.py", sha256_file(project / "calc.py"), CALC, "")
    written, note = write_changes(project, [again])
    assert written == ["calc.py"]
    assert note == "wrote calc.py (previous content in calc.py.orig.1)"
    assert (project / "calc.py.orig").read_text(encoding="utf-8") == CALC
    assert (project / "calc.py").read_text(encoding="utf-8") == CALC


def test_absolute_paths_are_used_as_they_are(tmp_path: Path, project: Path) -> None:
    path = project / "calc.py"
    info = code_target(project, "calc.py", "add")
    info.file = str(path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _, [edit] = build_targets(elsewhere, {info.key: info}, {info.key: ADD_FIXED}, {})
    assert edit.relpath == str(path)
    written, _ = write_changes(elsewhere, [edit])
    assert written == [str(path)]
    assert "return a + b" in path.read_text(encoding="utf-8")


TEMPERATURE = '''"""Unit conversions."""

from pytest_trace_opt import trainable


@trainable
def to_f(c):
    return c * 9 / 5 + 32


@trainable
def to_c(f):
    return f - 32 * 5 / 9
'''


def test_imports_the_new_code_needs_go_with_the_module_s_own(tmp_path: Path) -> None:
    # Each candidate imports Union above its def; in place above the lower function only,
    # the upper one's annotations would raise NameError when the module is imported.
    (tmp_path / "temperature.py").write_text(TEMPERATURE, encoding="utf-8")
    known = {
        t.key: t for t in (code_target(tmp_path, "temperature.py", n) for n in ("to_f", "to_c"))
    }
    values = {
        "temperature.py::to_f": "from typing import Union\n\n\n"
        "def to_f(c: Union[int, float]) -> float:\n    return c * 9 / 5 + 32\n",
        "temperature.py::to_c": "from typing import Union\n\n\n"
        "def to_c(f: Union[int, float]) -> float:\n    return (f - 32) * 5 / 9\n",
    }
    results, edits = build_targets(tmp_path, known, values, known)
    assert [r.status for r in results] == ["changed", "changed"]
    text = edits[0].new_text
    assert text.count("from typing import Union") == 1
    assert text.index("from pytest_trace_opt import trainable") < text.index("from typing")
    assert text.index("from typing") < text.index("def to_f")
    namespace: dict[str, object] = {}
    exec(compile(text, "temperature.py", "exec"), namespace)
    assert namespace["to_c"](212) == 100  # type: ignore[operator]
    for result in results:  # each target's own patch also carries the import
        assert "+from typing import Union" in result.patch


def test_a_module_without_imports_gets_them_after_its_docstring() -> None:
    from pytest_trace_opt.patch.splice import add_imports

    text = '"""Doc."""\n\ndef f(x):\n    return x\n'
    out = add_imports(text, ["import math", "import math"])
    assert out == '"""Doc."""\n\nimport math\n\ndef f(x):\n    return x\n'
    assert add_imports("def f(x):\n    return x\n", ["import re"]) == (
        "import re\n\ndef f(x):\n    return x\n"
    )
