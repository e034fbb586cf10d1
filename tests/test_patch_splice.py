"""pytest_trace_opt.patch.splice: replacing one function, every other byte identical."""

from __future__ import annotations

import ast

import pytest
from test_patch_locate import MODULE, P

from pytest_trace_opt.patch import (
    FunctionLocation,
    SourceChangedError,
    SourceError,
    locate_function,
    splice_function,
)

# --------------------------------------------------------------------------- splice_function


def check_only_region_changed(old: str, new: str, loc: FunctionLocation) -> None:
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    head = loc.decorator_line - 1
    assert new_lines[:head] == old_lines[:head]
    tail = len(old_lines) - loc.end_line
    if tail:
        assert new_lines[-tail:] == old_lines[-tail:]
    ast.parse(new)


def test_splice_identity_is_byte_identical() -> None:
    for qualname in [
        "slugify",
        "helper",
        "Agent.greet",
        "Agent.fetch",
        "Agent.Inner.method",
        "run",
    ]:
        loc = locate_function(P, qualname, MODULE)
        assert splice_function(MODULE, loc, loc.source) == MODULE


def test_splice_method_keeps_decorators_and_indentation() -> None:
    loc = locate_function(P, "Agent.greet", MODULE)
    new_source = (
        "def greet(self, name: str) -> str:\n"
        '    """Say hi, politely."""\n'
        '    return f"Good day, {name}!"\n'
    )
    out = splice_function(MODULE, loc, new_source)
    check_only_region_changed(MODULE, out, loc)
    assert (
        "    @bundle(trainable=True)\n"
        "    def greet(self, name: str) -> str:\n"
        '        """Say hi, politely."""\n'
        '        return f"Good day, {name}!"\n'
        "\n"
        "    # class-level comment, not part of greet\n"
    ) in out
    again = locate_function(P, "Agent.greet", out)
    assert again.source == new_source


def test_splice_accepts_indented_new_source_and_ignores_its_decorators() -> None:
    loc = locate_function(P, "Agent.Inner.method", MODULE)
    new_source = "    @staticmethod\n    def method(a, b):\n        return a * b\n\n"
    out = splice_function(MODULE, loc, new_source)
    check_only_region_changed(MODULE, out, loc)
    assert out.count("@staticmethod") == 1
    assert "        @staticmethod\n        def method(a, b):\n            return a * b\n" in out


def test_splice_module_function_with_leading_import_and_helper() -> None:
    loc = locate_function(P, "slugify", MODULE)
    new_source = (
        "import re\n"
        "import unicodedata\n"
        "\n"
        "\n"
        "def _ascii(text):\n"
        "    return unicodedata.normalize('NFKD', text)\n"
        "\n"
        "\n"
        "def slugify(text: str, sep: str = '-') -> str:\n"
        '    """Turn text into a slug."""\n'
        "    text = _ascii(text).lower()\n"
        '    return re.sub(r"\\W+", sep, text).strip(sep)\n'
    )
    out = splice_function(MODULE, loc, new_source)
    ast.parse(out)
    # the existing `import re` is not duplicated; the rest goes above the decorators
    assert out.count("import re\n") == 1
    helper_pos = out.index("def _ascii")
    assert (
        out.index("import unicodedata")
        < helper_pos
        < out.index("@bundle(")
        < out.index("def slugify")
    )
    assert out.startswith(MODULE[: MODULE.index("@bundle(")])
    assert out.endswith(MODULE[MODULE.index("\n\n\ndef helper") :])
    new_loc = locate_function(P, "slugify", out)
    assert "strip(sep)" in new_loc.source
    assert "# trailing comment" not in new_loc.source
    namespace: dict[str, object] = {}
    exec(
        compile(
            out.replace(
                "from opto.trace import bundle, node", "bundle = lambda **k: (lambda f: f)"
            ),
            "m",
            "exec",
        ),
        namespace,
    )
    assert namespace["slugify"]("Hello World!") == "hello-world"  # type: ignore[operator]


def test_splice_module_function_trailing_helper() -> None:
    loc = locate_function(P, "helper", MODULE)
    out = splice_function(
        MODULE, loc, "def helper(x):\n    return _two(x)\n\n\ndef _two(x):\n    return 2 * x\n"
    )
    ast.parse(out)
    assert (
        "def helper(x):\n    return _two(x)\n\n\ndef _two(x):\n    return 2 * x\n\n\nclass Agent:"
        in out
    )


def test_splice_method_rejects_extra_statements() -> None:
    loc = locate_function(P, "Agent.greet", MODULE)
    with pytest.raises(SourceError, match="method"):
        splice_function(MODULE, loc, "import os\n\ndef greet(self, name):\n    return name\n")


def test_splice_rejects_wrong_name_bad_syntax_and_stale_location() -> None:
    loc = locate_function(P, "helper", MODULE)
    with pytest.raises(SourceError, match="does not define helper"):
        splice_function(MODULE, loc, "def other(x):\n    return x\n")
    with pytest.raises(SourceError, match="does not parse"):
        splice_function(MODULE, loc, "def helper(x:\n    return x\n")
    with pytest.raises(SourceError, match="empty"):
        splice_function(MODULE, loc, "\n  \n")
    with pytest.raises(SourceChangedError):
        splice_function(MODULE.replace("return x  # end", "return x + 1"), loc, loc.source)


def test_splice_last_function_without_final_newline() -> None:
    text = "import os\n\n\ndef last(x):\n    return x"
    loc = locate_function(P, "last", text)
    assert loc.end_line == 5
    assert loc.source == "def last(x):\n    return x\n"
    out = splice_function(text, loc, "def last(x):\n    y = x * 2\n    return y\n")
    assert out == "import os\n\n\ndef last(x):\n    y = x * 2\n    return y"
    assert splice_function(text, loc, loc.source) == text


def test_crlf_file_locate_and_splice() -> None:
    text = MODULE.replace("\n", "\r\n")
    loc = locate_function(P, "Agent.greet", text)
    assert loc == locate_function(P, "Agent.greet", MODULE)  # same lines, LF source
    out = splice_function(text, loc, "def greet(self, name):\n    return 'yo ' + name\n")
    assert "\n" not in out.replace("\r\n", "")
    check_only_region_changed(text, out, loc)
    assert "    def greet(self, name):\r\n        return 'yo ' + name\r\n" in out


def test_crlf_without_final_newline() -> None:
    text = "def f():\r\n    return 1"
    loc = locate_function(P, "f", text)
    assert splice_function(text, loc, "def f():\n    a = 1\n    return a\n") == (
        "def f():\r\n    a = 1\r\n    return a"
    )


def test_tab_indented_file_reuses_tabs() -> None:
    text = (
        "class A:\n"
        "\t@bundle(trainable=True)\n"
        "\tdef m(self, x):\n"
        '\t\t"""Doc."""\n'
        "\t\tif x:\n"
        "\t\t\treturn 1\n"
        "\t\treturn 0\n"
        "\n"
        "\tdef other(self):\n"
        "\t\treturn 2\n"
    )
    loc = locate_function(P, "A.m", text)
    assert loc.indent == "\t"
    assert loc.source.startswith("def m(self, x):\n\t")
    new_source = 'def m(self, x):\n    """Doc."""\n    if x > 1:\n        return 1\n    return 0\n'
    out = splice_function(text, loc, new_source)
    check_only_region_changed(text, out, loc)
    assert (
        "\t@bundle(trainable=True)\n"
        "\tdef m(self, x):\n"
        '\t\t"""Doc."""\n'
        "\t\tif x > 1:\n"
        "\t\t\treturn 1\n"
        "\t\treturn 0\n"
    ) in out
    assert "    " not in out


def test_two_space_file_reuses_unit() -> None:
    text = "def f(x):\n  if x:\n    return 1\n  return 0\n"
    loc = locate_function(P, "f", text)
    out = splice_function(text, loc, "def f(x):\n    if not x:\n        return 1\n    return 0\n")
    assert out == "def f(x):\n  if not x:\n    return 1\n  return 0\n"


def test_splice_keeps_unchanged_string_lines_verbatim() -> None:
    # String content at column 0 inside a method must survive even though it is not indented.
    text = 'class A:\n    def m(self):\n        s = """\ntop\n    mid"""\n        return s\n'
    loc = locate_function(P, "A.m", text)
    new = loc.source.replace("return s", "return s.upper()")
    out = splice_function(text, loc, new)
    assert out == text.replace("return s", "return s.upper()")
