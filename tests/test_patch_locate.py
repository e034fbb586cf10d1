"""pytest_trace_opt.patch.locate: a function's exact span, the literal of a node(...) call."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_trace_opt.patch import (
    NotALiteralError,
    SourceError,
    locate_function,
    locate_function_at,
    locate_node_literal,
    replace_literal,
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
