"""Tests for pytest_trace_opt.source: locating, splicing, literals, diffs and atomic writes."""

from __future__ import annotations

import ast
import os
import random
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from pytest_trace_opt import source as src_mod
from pytest_trace_opt.source import (
    FunctionLocation,
    NotALiteralError,
    SourceChangedError,
    SourceError,
    atomic_write,
    locate_function,
    locate_function_at,
    locate_node_literal,
    read_source,
    replace_literal,
    sha256_file,
    sha256_text,
    splice_function,
    unified_diff,
)

P = Path("mod.py")

MODULE = '''\
"""A module."""

import re

from opto.trace import bundle, node


@bundle(
    trainable=True,
    allow_external_dependencies=True,
)
def slugify(text: str,
            sep: str = "-") -> str:
    """Turn text into a slug."""
    text = text.lower()
    return re.sub(r"\\W+", sep, text)  # the core
    # trailing comment of the body


def helper(x):
    return x  # end


class Agent:
    """An agent."""

    @bundle(trainable=True)
    def greet(self, name: str) -> str:
        """Say hi."""
        return f"Hello, {name}"
        # note inside greet

    # class-level comment, not part of greet
    async def fetch(self, url):
        return url

    class Inner:
        @staticmethod
        def method(a, b):
            return a + b


async def run():
    await Agent().fetch("x")
'''


def lines_of(text: str) -> list[str]:
    return text.split("\n")


# --------------------------------------------------------------------------- locate_function


def test_locate_decorated_multiline_decorator() -> None:
    loc = locate_function(P, "slugify", MODULE)
    lines = lines_of(MODULE)
    assert lines[loc.decorator_line - 1] == "@bundle("
    assert lines[loc.def_line - 1] == "def slugify(text: str,"
    assert lines[loc.end_line - 1] == "    # trailing comment of the body"
    assert loc.indent == ""
    assert not loc.is_method
    assert loc.signature == 'def slugify(text: str,\n            sep: str = "-") -> str:'
    assert loc.source.startswith("def slugify(text: str,\n")
    assert loc.source.endswith("    # trailing comment of the body\n")
    assert '"""Turn text into a slug."""' in loc.source
    assert loc.qualname == "slugify"
    assert loc.path == P


def test_blank_lines_before_next_def_are_excluded() -> None:
    loc = locate_function(P, "helper", MODULE)
    assert lines_of(MODULE)[loc.end_line - 1] == "    return x  # end"
    assert loc.source == "def helper(x):\n    return x  # end\n"
    assert loc.decorator_line == loc.def_line


def test_locate_method_with_docstring_and_trailing_comment() -> None:
    loc = locate_function(P, "Agent.greet", MODULE)
    lines = lines_of(MODULE)
    assert loc.is_method
    assert loc.indent == "    "
    assert lines[loc.decorator_line - 1] == "    @bundle(trainable=True)"
    assert lines[loc.end_line - 1] == "        # note inside greet"
    assert "class-level comment" not in loc.source
    assert loc.source == (
        "def greet(self, name: str) -> str:\n"
        '    """Say hi."""\n'
        '    return f"Hello, {name}"\n'
        "    # note inside greet\n"
    )
    assert loc.signature == "def greet(self, name: str) -> str:"


def test_locate_async_and_nested_class() -> None:
    fetch = locate_function(P, "Agent.fetch", MODULE)
    assert fetch.source.startswith("async def fetch(self, url):")
    assert fetch.signature == "async def fetch(self, url):"
    assert fetch.is_method
    inner = locate_function(P, "Agent.Inner.method", MODULE)
    assert inner.indent == " " * 8
    assert lines_of(MODULE)[inner.decorator_line - 1].strip() == "@staticmethod"
    assert inner.is_method
    run = locate_function(P, "run", MODULE)
    assert not run.is_method
    assert run.source == 'async def run():\n    await Agent().fetch("x")\n'


def test_locate_missing_and_nested_functions() -> None:
    with pytest.raises(SourceError, match=r"mod\.py.*nope"):
        locate_function(P, "nope", MODULE)
    text = "def outer():\n    def inner():\n        return 1\n    return inner\n"
    with pytest.raises(SourceError, match="nested"):
        locate_function(P, "outer.inner", text)
    with pytest.raises(SourceError, match="nested"):
        locate_function(P, "outer.<locals>.inner", text)
    with pytest.raises(SourceError, match="nested"):
        locate_function_at(P, "inner", 2, text)
    with pytest.raises(SourceError, match="parse"):
        locate_function(P, "f", "def f(:\n")


def test_locate_reads_file_when_text_omitted(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(MODULE)
    assert locate_function(path, "helper").source == locate_function(P, "helper", MODULE).source


def test_redefinition_prefers_bundled_then_last() -> None:
    text = "def f():\n    return 1\n\n\ndef f():\n    return 2\n"
    assert locate_function(P, "f", text).def_line == 5
    text = "@bundle()\ndef f():\n    return 1\n\n\ndef f():\n    return 2\n"
    assert locate_function(P, "f", text).def_line == 2


def test_function_inside_if_block() -> None:
    text = "import sys\nif sys:\n    def f():\n        return 1\nelse:\n    pass\n"
    loc = locate_function(P, "f", text)
    assert (loc.def_line, loc.end_line, loc.indent, loc.is_method) == (3, 4, "    ", False)


def test_one_line_function() -> None:
    loc = locate_function(P, "f", "def f(x): return x  # c\nY = 1\n")
    assert (loc.def_line, loc.end_line) == (1, 1)
    assert loc.signature == "def f(x):"


def test_signature_with_colons_inside() -> None:
    text = "def f(a: dict[str, int] = {'k': 1}, b=lambda: 2) -> list[int]: ...\n"
    assert locate_function(P, "f", text).signature == text.split(" ...")[0]


# --------------------------------------------------------------------------- locate_function_at


def test_locate_function_at_by_decorator_def_and_inner_decorator_line() -> None:
    expected = locate_function(P, "slugify", MODULE)
    for line in range(expected.decorator_line, expected.def_line + 1):
        assert locate_function_at(P, "slugify", line, MODULE) == expected
    greet = locate_function(P, "Agent.greet", MODULE)
    assert locate_function_at(P, "greet", greet.decorator_line, MODULE) == greet
    inner = locate_function(P, "Agent.Inner.method", MODULE)
    found = locate_function_at(P, "method", inner.decorator_line, MODULE)
    assert found.qualname == "Agent.Inner.method"
    with pytest.raises(SourceError, match="slugify"):
        locate_function_at(P, "slugify", expected.def_line + 3, MODULE)


def test_locate_function_at_matches_inspect(tmp_path: Path) -> None:
    import importlib.util
    import inspect

    path = tmp_path / "inspect_me.py"
    path.write_text(
        MODULE.replace("from opto.trace import bundle, node", "bundle = lambda **k: (lambda f: f)")
    )
    spec = importlib.util.spec_from_file_location("inspect_me", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for obj, qualname in [
        (module.slugify, "slugify"),
        (module.Agent.greet, "Agent.greet"),
        (module.Agent.Inner.method, "Agent.Inner.method"),
    ]:
        line = inspect.getsourcelines(obj)[1]
        assert line == obj.__code__.co_firstlineno
        assert locate_function_at(path, obj.__name__, line).qualname == qualname == obj.__qualname__


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


# --------------------------------------------------------------------------- node literals

NODES = '''\
from opto import trace
from opto.trace import node
import opto

SYSTEM = node("You are a helpful assistant.", trainable=True)
THRESHOLD = trace.node(0.75, trainable=True, description="cutoff")
LIMITS = opto.trace.node([1, 2, {"a": None}], trainable=True)
PROMPT = node(
    """Line one.
Line two with 'quotes' and "doubles".
""",
    trainable=True,
)
JOINED = node(
    "first part, "
    'second part',
    trainable=True,
)
TEMPLATE = "x"
BY_NAME = node(TEMPLATE, trainable=True)
BY_CALL = node(str(1), trainable=True)
BY_FSTRING = node(f"{TEMPLATE}!", trainable=True)
KW = node(data='kw value', trainable=True)
a, b = node("not trainable"), node("the one", trainable=True)


class Agent:
    def __init__(self):
        self.instr = node("Be brief.", trainable=True)
        self.ctx: object = node(
            "ctx",
            trainable=True,
        )
'''


def line_no(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


def test_node_literal_module_assignment() -> None:
    loc = locate_node_literal(P, line_no(NODES, "SYSTEM ="), NODES)
    assert loc.value == "You are a helpful assistant."
    assert loc.target_name == "SYSTEM"
    assert loc.start == (5, 14)
    out = replace_literal(NODES, loc, "You are terse.")
    assert 'SYSTEM = node("You are terse.", trainable=True)\n' in out
    assert out.replace('"You are terse."', '"You are a helpful assistant."') == NODES


def test_node_literal_attribute_chain_and_numbers() -> None:
    loc = locate_node_literal(P, line_no(NODES, "THRESHOLD"), NODES)
    assert (loc.value, loc.target_name) == (0.75, "THRESHOLD")
    out = replace_literal(NODES, loc, 0.5)
    assert "THRESHOLD = trace.node(0.5, trainable=True" in out
    loc = locate_node_literal(P, line_no(NODES, "LIMITS"), NODES)
    assert loc.value == [1, 2, {"a": None}]
    out = replace_literal(NODES, loc, [3, (4,), {"b": True, "c": "d'e"}])
    assert """LIMITS = opto.trace.node([3, (4,), {"b": True, "c": "d'e"}], trainable=True)""" in out


def test_node_literal_multiline_triple_quoted() -> None:
    start = line_no(NODES, "PROMPT =")
    for line in (start, start + 1, start + 2, start + 4):
        loc = locate_node_literal(P, line, NODES)
        assert loc.target_name == "PROMPT"
        assert loc.value == "Line one.\nLine two with 'quotes' and \"doubles\".\n"
    new_value = "Better line.\nSecond: 'q' \"d\" \\ back\n"
    out = replace_literal(NODES, loc, new_value)
    assert '    """Better line.\nSecond:' in out
    assert locate_node_literal(P, start, out).value == new_value
    assert out.count("\n") == NODES.count("\n")


def test_node_literal_implicit_concatenation() -> None:
    loc = locate_node_literal(P, line_no(NODES, "JOINED"), NODES)
    assert loc.value == "first part, second part"
    out = replace_literal(NODES, loc, "one piece")
    assert 'JOINED = node(\n    "one piece",\n    trainable=True,\n)' in out


def test_node_literal_non_literals() -> None:
    with pytest.raises(
        NotALiteralError, match="the name TEMPLATE, not a literal; rewrite it where"
    ):
        locate_node_literal(P, line_no(NODES, "BY_NAME"), NODES)
    with pytest.raises(NotALiteralError, match="call to str"):
        locate_node_literal(P, line_no(NODES, "BY_CALL"), NODES)
    with pytest.raises(NotALiteralError, match="f-string"):
        locate_node_literal(P, line_no(NODES, "BY_FSTRING"), NODES)
    with pytest.raises(NotALiteralError, match="without a value"):
        locate_node_literal(P, 1, "x = node(trainable=True)\n")
    with pytest.raises(SourceError, match="no node"):
        locate_node_literal(P, 1, NODES)


def test_node_literal_data_keyword_and_several_on_a_line() -> None:
    loc = locate_node_literal(P, line_no(NODES, "KW ="), NODES)
    assert (loc.value, loc.target_name) == ("kw value", "KW")
    assert "KW = node(data='new', trainable" in replace_literal(NODES, loc, "new")
    loc = locate_node_literal(P, line_no(NODES, "a, b ="), NODES)
    assert loc.value == "the one"
    assert loc.target_name is None


def test_node_literal_self_attribute_in_method() -> None:
    loc = locate_node_literal(P, line_no(NODES, "self.instr"), NODES)
    assert (loc.value, loc.target_name) == ("Be brief.", "instr")
    out = replace_literal(NODES, loc, 'Say "hi" briefly.')
    assert """        self.instr = node('Say "hi" briefly.', trainable=True)\n""" in out
    loc = locate_node_literal(P, line_no(NODES, "self.ctx") + 1, NODES)
    assert (loc.value, loc.target_name) == ("ctx", "ctx")


def test_node_literal_unicode_columns() -> None:
    text = 'X = node("héllo ✓", trainable=True)  # ünï\n'
    loc = locate_node_literal(P, 1, text)
    assert loc.start == (1, 9) and loc.end == (1, 18)
    assert replace_literal(text, loc, "日本") == 'X = node("日本", trainable=True)  # ünï\n'


def test_replace_literal_detects_stale_location() -> None:
    loc = locate_node_literal(P, line_no(NODES, "SYSTEM ="), NODES)
    with pytest.raises(SourceChangedError):
        replace_literal(NODES.replace("helpful", "usefulxx"), loc, "x")


def test_replace_literal_quote_styles() -> None:
    def rewrite(literal: str, value: object, eol: str = "\n") -> str:
        text = f"X = node({literal}, trainable=True){eol}"
        out = replace_literal(text, locate_node_literal(P, 1, text), value)
        assert out.startswith("X = node(") and out.endswith(f", trainable=True){eol}")
        return out[len("X = node(") : -len(f", trainable=True){eol}")]

    assert rewrite("'a'", "b") == "'b'"
    assert rewrite('"a"', "b") == '"b"'
    assert rewrite("'a'", "it's") == '"it\'s"'
    assert rewrite('"a"', "both ' and \"") == '"both \' and \\""'
    assert rewrite('"a"', "two\nlines") == '"""two\nlines"""'
    assert rewrite("'''a'''", "no newline") == "'''no newline'''"
    assert rewrite('"""\\\nabc\n"""', "new\n") == '"""\\\nnew\n"""'
    assert rewrite('r"\\d+"', "\\w+") == 'r"\\w+"'
    assert rewrite('r"\\d+"', "ends\\") == '"ends\\\\"'
    assert rewrite('"a"', "x\r\ny", "\r\n") == '"""x\\r\r\ny"""'
    assert rewrite("1", True) == "True"
    assert rewrite("1", None) == "None"
    assert rewrite("1", 10**30) == str(10**30)
    assert rewrite("1.5", float("inf")) == "1e999"
    assert rewrite("'x'", 2.5) == "2.5"
    assert rewrite("0", (1,)) == "(1,)"
    assert rewrite("0", set()) == "set()"
    with pytest.raises(SourceError, match="NaN"):
        rewrite("1.0", float("nan"))
    with pytest.raises(SourceError, match="object"):
        rewrite("1", object())


TRICKY = [
    "",
    "'",
    '"',
    "''",
    '""',
    "'''",
    '"""',
    '""""',
    "''''''",
    "a'b\"c",
    "\\",
    "ends with backslash\\",
    "\\\\",
    "\\n is not a newline",
    "\\'",
    '\\"',
    "quote at end'",
    'quote at end"',
    '"quote at start',
    "\n",
    "\n\n",
    "a\nb",
    "\nleading",
    "trailing\n",
    '"""\n"""',
    "\r",
    "\r\n",
    "a\rb",
    "\t",
    "tab\there",
    "\x00",
    "\x0b\x0c\x1c\x1d\x1e\x85",
    "\u2028\u2029",
    "\x7f",
    "\ufeff",
    "\ud800",
    "é",
    "日本語",
    "emoji 😀",
    "\U0001f600\\",
    "{braces} {{double}}",
    "# not a comment",
    "line one\n    indented\n\ttabbed\n",
    "mix \"of\" 'quotes'\nand \"\"\"triple\"\"\" and '''single triple'''",
    "backslash newline \\\nafter",
    "\\\n",
    "\\N{BULLET}",
    "\\x41",
    '"\n"',
    "'\n'",
]


def random_strings(count: int) -> list[str]:
    rng = random.Random(1234)
    alphabet = ["a", " ", "'", '"', "\\", "\n", "\r", "\t", "é", "😀", "\x00", "\u2028", "#", "{"]
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(count)]


ORIGINALS = [
    '"x"',
    "'x'",
    '"""x"""',
    "'''x'''",
    'r"x"',
    "R'x'",
    'r"""x"""',
    'u"x"',
    '"""\\\nx"""',
    "3",
]


@pytest.mark.parametrize("original", ORIGINALS)
@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_replace_literal_round_trip_property(original: str, eol: str) -> None:
    literal = original.replace("\n", eol)
    text = f"def f():{eol}    pass{eol}{eol}X = node({literal}, trainable=True)  # c{eol}Y = 1{eol}"
    loc = locate_node_literal(P, 4, text)
    for value in TRICKY + random_strings(300):
        out = replace_literal(text, loc, value)
        assert out.startswith(text[: text.index("node(") + 5])
        assert out.endswith(f", trainable=True)  # c{eol}Y = 1{eol}")
        tree = ast.parse(out)
        assert len(tree.body) == 3
        new_loc = locate_node_literal(P, 4, out)
        assert new_loc.value == value, (original, value, out)
        assert type(new_loc.value) is str
        if eol == "\r\n":
            assert "\n" not in out.replace("\r\n", "")


def test_replace_literal_round_trip_non_strings() -> None:
    text = "X = node('x', trainable=True)\n"
    loc = locate_node_literal(P, 1, text)
    values: list[object] = [
        0,
        -3,
        1.0,
        -0.0,
        1e-300,
        float("-inf"),
        True,
        False,
        None,
        [],
        (),
        {},
        [1, "two", ("three", 4.0)],
        {"k": ["v", None], 2: {"nested": "a\nb\\"}},
        {1, 2},
        b"bytes\x00",
        1 + 2j,
    ]
    for value in values:
        new = locate_node_literal(P, 1, replace_literal(text, loc, value)).value
        assert new == value and type(new) is type(value)


# --------------------------------------------------------------------------- unified_diff

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
needs_patch = pytest.mark.skipif(shutil.which("patch") is None, reason="patch not installed")


def run(args: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd), "LC_ALL": "C"}
    return subprocess.run(
        args, cwd=cwd, input=stdin, capture_output=True, text=True, env=env, check=False
    )


def diff_cases() -> list[tuple[str, str, str]]:
    greet = locate_function(P, "Agent.greet", MODULE)
    spliced = splice_function(MODULE, greet, "def greet(self, name):\n    return 'yo'\n")
    crlf = MODULE.replace("\n", "\r\n")
    crlf_spliced = splice_function(
        crlf, locate_function(P, "helper", crlf), "def helper(x):\n    return x * 3\n"
    )
    return [
        (MODULE, spliced, "pkg/agent.py"),
        (crlf, crlf_spliced, "crlf.py"),
        ("a\nb\nc", "a\nB\nc", "no_eol_both.py"),
        ("a\nb\nc", "a\nb\nc\n", "add_eol.py"),
        ("a\nb\nc\n", "a\nb\nc", "drop_eol.py"),
        ("x = 1\n", "x = 2\ny = 'é'\n", "dir with space/uni é.py"),
        (
            "".join(f"l{i}\n" for i in range(40)),
            "".join(f"l{i}\n" for i in range(40) if i % 9),
            "many.py",
        ),
    ]


def write_bytes_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def test_unified_diff_format() -> None:
    assert unified_diff("same\n", "same\n", "a.py") == ""
    diff = unified_diff("a\nb\n", "a\nc", ".\\pkg\\m.py")
    assert diff == (
        "diff --git a/pkg/m.py b/pkg/m.py\n"
        "--- a/pkg/m.py\n"
        "+++ b/pkg/m.py\n"
        "@@ -1,2 +1,2 @@\n"
        " a\n"
        "-b\n"
        "+c\n"
        "\\ No newline at end of file\n"
    )


@needs_git
@pytest.mark.parametrize("case", range(7))
def test_unified_diff_applies_with_git(tmp_path: Path, case: int) -> None:
    old, new, rel = diff_cases()[case]
    assert run(["git", "init", "-q"], tmp_path).returncode == 0
    write_bytes_text(tmp_path / rel, old)
    diff = unified_diff(old, new, rel)
    check = run(["git", "apply", "--check", "-"], tmp_path, diff)
    assert check.returncode == 0, check.stderr + diff
    applied = run(["git", "apply", "-"], tmp_path, diff)
    assert applied.returncode == 0, applied.stderr
    assert (tmp_path / rel).read_bytes() == new.encode("utf-8")


@needs_patch
@pytest.mark.parametrize("case", range(7))
def test_unified_diff_applies_with_patch(tmp_path: Path, case: int) -> None:
    old, new, rel = diff_cases()[case]
    write_bytes_text(tmp_path / rel, old)
    diff = unified_diff(old, new, rel)
    dry = run(["patch", "-p1", "--dry-run", "--binary"], tmp_path, diff)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert (tmp_path / rel).read_bytes() == old.encode("utf-8")
    real = run(["patch", "-p1", "--binary", "--no-backup-if-mismatch"], tmp_path, diff)
    assert real.returncode == 0, real.stdout + real.stderr
    assert (tmp_path / rel).read_bytes() == new.encode("utf-8")


# --------------------------------------------------------------------------- reading, hashing


def test_read_source_preserves_crlf_and_honours_cookie(tmp_path: Path) -> None:
    crlf = tmp_path / "crlf.py"
    crlf.write_bytes(b"x = 1\r\ny = 2\r\n")
    assert read_source(crlf) == "x = 1\r\ny = 2\r\n"
    latin = tmp_path / "latin.py"
    latin.write_bytes("# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n".encode("latin-1"))
    assert read_source(latin) == "# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n"
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfx = 1\n")
    assert read_source(bom) == "x = 1\n"
    with pytest.raises(SourceError, match="missing"):
        read_source(tmp_path / "missing.py")
    bad = tmp_path / "bad.py"
    bad.write_bytes(b"x = '\xff'\n")
    with pytest.raises(SourceError, match="decode"):
        read_source(bad)


def test_sha256(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_bytes("é\r\n".encode())
    assert sha256_file(path) == sha256_text(read_source(path))
    assert sha256_text("a") == "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"


# --------------------------------------------------------------------------- atomic_write


def test_atomic_write_success_with_backup(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(b"old\r\n")
    path.chmod(0o640)
    backup = atomic_write(path, "new\r\n", sha256_file(path))
    assert backup == tmp_path / "m.py.orig"
    assert path.read_bytes() == b"new\r\n"
    assert backup.read_bytes() == b"old\r\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.py", "m.py.orig"]


def test_atomic_write_without_backup_and_text_hash(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("old\n")
    assert atomic_write(path, "new\n", sha256_text(read_source(path)), backup_suffix=None) is None
    assert path.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["m.py"]


def test_atomic_write_refuses_when_changed(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("old\n")
    expected = sha256_file(path)
    path.write_text("edited by the user\n")
    with pytest.raises(SourceChangedError, match="changed on disk"):
        atomic_write(path, "new\n", expected)
    assert path.read_text() == "edited by the user\n"
    assert [p.name for p in tmp_path.iterdir()] == ["m.py"]
    with pytest.raises(SourceChangedError, match="no longer exists"):
        atomic_write(tmp_path / "gone.py", "new\n", expected)


@pytest.mark.parametrize("fail_on_call", [1, 2])
def test_atomic_write_leaves_no_temp_files_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_on_call: int
) -> None:
    path = tmp_path / "m.py"
    path.write_text("old\n")
    expected = sha256_file(path)
    calls = {"n": 0}
    real_replace = os.replace

    def flaky_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls["n"] += 1
        if calls["n"] == fail_on_call:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(src_mod.os, "replace", flaky_replace)
    with pytest.raises(SourceError, match="No space left"):
        atomic_write(path, "new\n", expected)
    assert path.read_text() == "old\n"
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    assert leftovers == (["m.py"] if fail_on_call == 1 else ["m.py", "m.py.orig"])


def test_atomic_write_keeps_encoding_and_follows_symlink(tmp_path: Path) -> None:
    latin = tmp_path / "latin.py"
    latin.write_bytes("# coding: latin-1\ns = 'caf\xe9'\n".encode("latin-1"))
    text = read_source(latin)
    atomic_write(latin, text.replace("caf", "th"), sha256_text(text), backup_suffix=None)
    assert latin.read_bytes() == "# coding: latin-1\ns = 'th\xe9'\n".encode("latin-1")

    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfx = 1\n")
    atomic_write(bom, "x = 2\n", sha256_file(bom), backup_suffix=None)
    assert bom.read_bytes() == b"\xef\xbb\xbfx = 2\n"

    with pytest.raises(SourceError, match="encode"):
        atomic_write(latin, "# coding: latin-1\ns = '日本'\n", sha256_file(latin))

    real = tmp_path / "real.py"
    real.write_text("a = 1\n")
    link = tmp_path / "link.py"
    link.symlink_to(real)
    atomic_write(link, "a = 2\n", sha256_file(link), backup_suffix=None)
    assert link.is_symlink()
    assert real.read_text() == "a = 2\n"


def test_end_to_end_locate_splice_diff_write(tmp_path: Path) -> None:
    path = tmp_path / "agent.py"
    path.write_bytes(MODULE.replace("\n", "\r\n").encode())
    text = read_source(path)
    expected = sha256_file(path)
    loc = locate_function(path, "Agent.greet", text)
    new_text = splice_function(text, loc, "def greet(self, name):\n    return name.title()\n")
    diff = unified_diff(text, new_text, "agent.py")
    assert diff.count("\n+") == 2 + 1  # +++ header and two added lines
    atomic_write(path, new_text, expected)
    assert read_source(path) == new_text
    with pytest.raises(SourceChangedError):
        atomic_write(path, text, expected)


def test_atomic_write_keeps_earlier_backups(tmp_path: Path) -> None:
    """A second apply must not overwrite the first .orig (the pristine original)."""
    path = tmp_path / "m.py"
    path.write_text("v0\n")
    first = atomic_write(path, "v1\n", sha256_file(path))
    second = atomic_write(path, "v2\n", sha256_file(path))
    third = atomic_write(path, "v3\n", sha256_file(path))
    assert [b.name for b in (first, second, third)] == ["m.py.orig", "m.py.orig.1", "m.py.orig.2"]
    assert [b.read_text() for b in (first, second, third)] == ["v0\n", "v1\n", "v2\n"]
    assert path.read_text() == "v3\n"
