"""check_code / check_value: every reason, and what counts as a usable proposal."""

from __future__ import annotations

import ast
import builtins
import math
from collections.abc import Iterator

import pytest

from pytest_trace_opt.replies import Check, check_code, check_value, checks

CURRENT = '''def slugify(text, sep="-"):
    """Turn text into a URL slug."""
    return text.lower()
'''

FIXED = '''def slugify(text, sep="-"):
    """Turn text into a URL slug."""
    return sep.join(text.lower().split())
'''

METHOD = """def forward(self, question):
    return self.llm(question)
"""


def ok_code(candidate: str, current: str = CURRENT, name: str = "slugify", **kw: bool) -> Check:
    result = check_code(candidate, current, name, is_method=kw.get("is_method", False))
    assert result.ok, result.reason
    assert result.reason == ""
    return result


def reason_of(candidate: str, current: str = CURRENT, name: str = "slugify", **kw: bool) -> str:
    result = check_code(candidate, current, name, is_method=kw.get("is_method", False))
    assert not result.ok
    assert result.reason and "\n" not in result.reason
    return result.reason


# --------------------------------------------------------------------------------------------
# check_code: accepted


def test_fixed_function_is_accepted_and_black_formatted() -> None:
    result = ok_code(
        "def slugify(text,sep='-'):\n  '''Slug.'''\n  return sep.join(text.lower().split())"
    )
    assert result.value == (
        'def slugify(text, sep="-"):\n    """Slug."""\n    return sep.join(text.lower().split())\n'
    )


def test_indented_candidate_is_dedented() -> None:
    indented = "".join("        " + line + "\n" for line in FIXED.splitlines())
    assert ok_code(indented).value == FIXED


def test_decorators_on_the_candidate_are_stripped() -> None:
    result = ok_code("@functools.lru_cache(maxsize=None)\n@trace.bundle()\n" + FIXED)
    assert result.value == FIXED


def test_parameter_may_gain_or_change_a_default() -> None:
    current = "def pad(text, width):\n    return text\n"
    ok_code("def pad(text, width=10):\n    return text.ljust(width)\n", current, "pad")
    ok_code('def slugify(text, sep="_"):\n    return sep.join(text.split())\n')


@pytest.mark.parametrize(
    "signature",
    [
        'text, sep="-", lower=True',
        'text, sep="-", *args',
        'text, sep="-", **kwargs',
        'text, sep="-", *, strict=False',
        'text, sep="-", *words, lower=True, **options',
    ],
)
def test_new_parameters_with_defaults_or_variadic_are_allowed(signature: str) -> None:
    ok_code(f"def slugify({signature}):\n    return sep.join(text.lower().split())\n")


def test_module_level_helpers_imports_and_literal_constants_are_allowed() -> None:
    candidate = '''import re
from unicodedata import normalize as _norm

_PATTERN = r"[^a-z0-9]+"
_LIMITS: dict = {"max": 80}


class _Cache:
    """Memo."""

    size = 3

    def get(self, key):
        return None


def _clean(text):
    return re.sub(_PATTERN, " ", _norm("NFKD", text).lower())


def slugify(text, sep="-"):
    return sep.join(_clean(text).split())[: _LIMITS["max"]]
'''
    assert ok_code(candidate).value == candidate


def test_main_guard_is_dropped_silently() -> None:
    candidate = FIXED + '\nif __name__ == "__main__":\n    print(slugify("Hello World"))\n'
    assert ok_code(candidate).value == FIXED


def test_async_function_stays_async() -> None:
    current = "async def fetch(url, timeout=5):\n    return await get(url)\n"
    result = ok_code(
        "async def fetch(url, timeout=10):\n    return await get(url, timeout=timeout)",
        current,
        "fetch",
    )
    assert str(result.value).startswith("async def fetch(url, timeout=10):")


def test_method_with_self_is_accepted() -> None:
    result = ok_code(
        "def forward(self, question):\n    return self.llm(question.strip())",
        METHOD,
        "forward",
        is_method=True,
    )
    assert result.value == "def forward(self, question):\n    return self.llm(question.strip())\n"


def test_method_may_add_a_defaulted_parameter() -> None:
    ok_code(
        "def forward(self, question, retries=2):\n    return self.llm(question)\n",
        METHOD,
        "forward",
        is_method=True,
    )


def test_positional_only_and_keyword_only_parameters_are_kept() -> None:
    current = "def clamp(x, /, lo=0, *, hi=1):\n    return x\n"
    ok_code("def clamp(x, /, lo=0, *, hi=1):\n    return max(lo, min(hi, x))\n", current, "clamp")


def test_keyword_only_may_become_positional_or_keyword() -> None:
    current = "def clamp(x, *, hi=1):\n    return x\n"
    ok_code("def clamp(x, hi=1):\n    return min(hi, x)\n", current, "clamp")


def test_comment_only_edit_counts_as_unchanged() -> None:
    assert reason_of(CURRENT.replace("return", "# lowercase it\n    return")) == (
        "unchanged from the current value"
    )


def test_without_black_the_dedented_text_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_black(name: str, *args: object, **kwargs: object) -> object:
        if name == "black":
            raise ImportError("no black here")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    checks._black_formatter.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_black)
    try:
        result = ok_code("    def slugify(text,sep='-'):\n        return sep.join(text.split())")
        assert result.value == "def slugify(text,sep='-'):\n    return sep.join(text.split())\n"
        assert reason_of(CURRENT) == "unchanged from the current value"
    finally:
        monkeypatch.undo()
        checks._black_formatter.cache_clear()


@pytest.fixture
def black_rejects_everything(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def failing(code: str) -> str:
        raise ValueError("cannot format")

    checks._black_formatter.cache_clear()
    monkeypatch.setattr(checks, "_black_formatter", lambda: failing)
    yield


@pytest.mark.usefixtures("black_rejects_everything")
def test_black_failure_keeps_the_dedented_text() -> None:
    result = ok_code("def slugify(text,sep='-'):\n    return sep.join(text.split())")
    assert result.value == "def slugify(text,sep='-'):\n    return sep.join(text.split())\n"


# --------------------------------------------------------------------------------------------
# check_code: rejected, one reason each


def test_unchanged() -> None:
    assert reason_of(CURRENT) == "unchanged from the current value"
    assert reason_of(
        "def slugify(text, sep='-'):\n  '''Turn text into a URL slug.'''\n  return text.lower()"
    ) == ("unchanged from the current value")


def test_unchanged_value_is_still_normalised() -> None:
    result = check_code("  " + CURRENT.replace("\n", "\n  "), CURRENT, "slugify", is_method=False)
    assert not result.ok
    assert result.value == CURRENT


@pytest.mark.parametrize(
    ("candidate", "reason"),
    [
        (
            "def slugify(text, sep='-'):\n    return sep.join(text.lower().split()",
            "syntax error at line 2: '(' was never closed",
        ),
        (
            "(code) __code0: def slugify(text, sep='-'):\n    return text",
            "syntax error at line 1: invalid syntax",
        ),
        (
            "def slugify(text, sep='-'):\nreturn text",
            "syntax error at line 2: expected an indented block after function definition"
            " on line 1",
        ),
    ],
)
def test_syntax_errors_name_line_and_message(candidate: str, reason: str) -> None:
    assert reason_of(candidate) == reason


def test_null_byte_is_a_syntax_error() -> None:
    assert reason_of("def slugify(text, sep='-'):\n    return '\0'").startswith("syntax error")


def test_empty_code() -> None:
    assert reason_of("  \n\n ") == "empty code"


def test_not_text() -> None:
    result = check_code({"code": FIXED}, CURRENT, "slugify", is_method=False)  # type: ignore[arg-type]
    assert not result.ok
    assert result.reason == "suggested code is a dict, not text"


def test_defines_another_function() -> None:
    assert reason_of("def undo(slug):\n    return slug.replace('-', ' ')") == (
        "defines undo() instead of slugify()"
    )


def test_defines_a_class() -> None:
    assert reason_of("class Slugger:\n    def slugify(self, text):\n        return text") == (
        "defines class Slugger instead of slugify()"
    )


def test_no_function_at_all() -> None:
    assert reason_of("x = 1") == "does not define slugify()"


def test_defined_twice() -> None:
    assert reason_of(
        FIXED + "\n" + FIXED.replace("sep.join", "sep.join(reversed")[:-1] + ")\n"
    ) == ("defines slugify() 2 times")


@pytest.mark.parametrize(
    ("candidate", "reason"),
    [
        (
            "def slugify(s, sep='-'):\n    return s",
            "signature changed: parameter 'text' renamed to 's'",
        ),
        ("def slugify(text):\n    return text", "signature changed: parameter 'sep' removed"),
        (
            "def slugify(sep='-', text=''):\n    return text",
            "signature changed: parameter 'text' moved",
        ),
        (
            "def slugify(text, *, sep='-'):\n    return text",
            "signature changed: parameter 'sep' became keyword-only",
        ),
        (
            "def slugify(text, sep):\n    return text",
            "signature changed: parameter 'sep' lost its default",
        ),
        (
            "def slugify(text, sep='-', *, lower):\n    return text",
            "signature changed: new parameter 'lower' needs a default",
        ),
        (
            "def slugify(text, /, sep='-'):\n    return text",
            "signature changed: parameter 'text' became positional-only",
        ),
    ],
)
def test_signature_changes(candidate: str, reason: str) -> None:
    assert reason_of(candidate) == reason


def test_new_positional_parameter_without_default() -> None:
    current = "def area(w, h):\n    return w\n"
    assert reason_of("def area(w, h, d):\n    return w * h * d", current, "area") == (
        "signature changed: new parameter 'd' needs a default"
    )


def test_variadic_parameters_must_stay() -> None:
    current = "def log(msg, *args, **kwargs):\n    pass\n"
    assert reason_of("def log(msg, **kwargs):\n    print(msg)", current, "log") == (
        "signature changed: parameter '*args' removed"
    )
    assert reason_of("def log(msg, *args):\n    print(msg)", current, "log") == (
        "signature changed: parameter '**kwargs' removed"
    )


def test_keyword_only_parameter_removed() -> None:
    current = "def clamp(x, *, hi=1):\n    return x\n"
    assert reason_of("def clamp(x):\n    return min(1, x)\n", current, "clamp") == (
        "signature changed: parameter 'hi' removed"
    )


def test_async_must_match_current_kind() -> None:
    assert reason_of("async def slugify(text, sep='-'):\n    return text") == (
        "slugify() must stay 'def', not 'async def'"
    )
    current = "async def fetch(url):\n    return await get(url)\n"
    assert reason_of("def fetch(url):\n    return get(url)", current, "fetch") == (
        "fetch() must stay 'async def', not 'def'"
    )


def test_method_must_keep_self_first() -> None:
    assert reason_of(
        "def forward(question, self):\n    return question", METHOD, "forward", is_method=True
    ) == ("'self' must stay the first parameter")
    assert reason_of(
        "def forward(question):\n    return question", METHOD, "forward", is_method=True
    ) == ("'self' must stay the first parameter")


def test_a_method_candidate_s_imports_move_into_its_body() -> None:
    candidate = (
        "import re\nfrom typing import (\n    List,\n)\n\n"
        'def forward(self, question):\n    """Doc."""\n    return re.sub(" +", " ", question)\n'
    )
    check = check_code(candidate, METHOD, "forward", is_method=True)
    assert check.ok, check.reason
    body = ast.parse(str(check.value)).body
    assert len(body) == 1 and isinstance(body[0], ast.FunctionDef)
    inner = body[0].body
    assert ast.get_docstring(body[0]) == "Doc."
    assert [type(n) for n in inner[1:3]] == [ast.Import, ast.ImportFrom]


@pytest.mark.parametrize(
    ("extra", "shown"),
    [
        ("def helper(x):\n    return x\n", "def helper(x): ..."),
        ("LIMIT = 3\n", "LIMIT = 3"),
    ],
)
def test_method_allows_only_its_own_def(extra: str, shown: str) -> None:
    candidate = extra + "\ndef forward(self, question):\n    return self.llm(question.strip())\n"
    assert reason_of(candidate, METHOD, "forward", is_method=True) == (
        f"only the method forward() may be defined; found top-level {shown}"
    )


@pytest.mark.parametrize(
    ("extra", "shown"),
    [
        ('print(slugify("Hello World"))', "print(...)"),
        ("sys.exit(0)", "sys.exit(...)"),
        ("for case in ['a', 'b']:\n    slugify(case)", "for case in ['a', 'b']: ..."),
        ("while True:\n    pass", "while True: ..."),
        ("CACHE = load_cache()", "CACHE = load_cache()"),
        ("assert slugify('A B') == 'a-b'", "assert slugify('A B') == 'a-b'"),
        ("@register\ndef helper(x):\n    return x", "@register ..."),
        ("@app.route(make())\ndef helper(x):\n    return x", "@app.route(make()) ..."),
        ("def helper(x=compute()):\n    return x", "def helper(x=compute()): ..."),
        ("class Helper:\n    print('hi')", "class Helper: ..."),
        ("class Helper(make_base()):\n    pass", "class Helper(make_base()): ..."),
        ("import os\nos.system('rm -rf /tmp/x')", "os.system(...)"),
        ("x: int = compute()", "x: int = compute()"),
        ("del slugify", "del slugify"),
    ],
)
def test_top_level_code_that_would_run_at_import(extra: str, shown: str) -> None:
    candidate = extra + "\n\n" + FIXED + "\n"
    assert reason_of(candidate) == f"top-level statement would run at import: {shown}"


@pytest.mark.parametrize(
    "extra",
    [
        'print(slugify("Hello World"))',
        "sys.exit(0)",
        "for case in ['a', 'b']:\n    slugify(case)",
        "assert slugify('A B') == 'a-b'",
        "import os\nos.system('rm -rf /tmp/x')",
    ],
)
def test_code_below_the_definition_that_tries_it_out_is_dropped_never_run(extra: str) -> None:
    result = check_code(FIXED + "\n" + extra + "\n", CURRENT, "slugify", is_method=False)
    assert result.ok, result.reason
    assert extra.splitlines()[-1].strip() not in result.value
    assert "import os" not in result.value


def test_code_below_the_definition_that_does_not_try_it_out_is_still_refused() -> None:
    reason = reason_of(FIXED + "\nwhile True:\n    pass\n")
    assert reason == "top-level statement would run at import: while True: ..."


def test_long_statement_is_shortened_in_the_reason() -> None:
    reason = reason_of(FIXED + "\nVALUE = compute(" + "1, " * 50 + "1)\n")
    assert reason.endswith("...")
    assert len(reason) < 120


def test_inert_decorators_on_helpers_are_allowed() -> None:
    candidate = (
        "import functools\n\n\n@functools.lru_cache(maxsize=128)\ndef _words(text):\n"
        "    return tuple(text.lower().split())\n\n\n"
        'def slugify(text, sep="-"):\n    return sep.join(_words(text))\n'
    )
    assert ok_code(candidate).value == candidate


def test_current_that_does_not_parse_skips_the_signature_check() -> None:
    ok_code("def slugify(a):\n    return a\n", current="def slugify(:\n")


# --------------------------------------------------------------------------------------------
# check_value


@pytest.mark.parametrize(
    ("candidate", "current", "expected"),
    [
        ("Hello, {name}!", "Hi {name}", "Hello, {name}!"),
        ("'Hello, {name}!'", "Hi {name}", "Hello, {name}!"),
        ('"Hello, {name}!"', "Hi {name}", "Hello, {name}!"),
        ("'Hello' and 'bye'", "Hi", "'Hello' and 'bye'"),  # not one quoted literal
        ("'quoted'", "'old'", "'quoted'"),  # the current value is quoted itself
        (42, "41", "42"),
        ("7", 3, 7),
        (" 7 ", 3, 7),
        ("7.0", 3, 7),
        (7.0, 3, 7),
        ("1_000", 3, 1000),
        ("0.25", 0.5, 0.25),
        (1, 0.5, 1.0),
        ("'0.25'", 0.5, 0.25),
        ("true", False, True),
        ("False", True, False),
        ("yes", False, True),
        (1, False, True),
        (True, False, True),
        ("[1, 2, 3]", [1], [1, 2, 3]),
        ('["a", "b"]', ["x"], ["a", "b"]),
        ("[true, null]", [1], [True, None]),
        ("```python\n[1, 2]\n```", [1], [1, 2]),
        ((1, 2), [1], [1, 2]),
        ("(1, 2)", (0,), (1, 2)),
        ([1, 2], (0,), (1, 2)),
        ("{'a': 1}", {"a": 2}, {"a": 1}),
        ('{"a": 1}', {"a": 2}, {"a": 1}),
        ({"a": 1}, {"a": 2}, {"a": 1}),
        ("anything", None, "anything"),
    ],
)
def test_check_value_coerces(candidate: object, current: object, expected: object) -> None:
    result = check_value(candidate, current)
    assert result.ok, result.reason
    assert result.value == expected
    assert type(result.value) is type(expected)


@pytest.mark.parametrize(
    ("candidate", "current", "reason"),
    [
        ("seven", 3, "expected an int, got 'seven'"),
        ("3.5", 3, "expected an int, got '3.5'"),
        (True, 3, "expected an int, got True"),
        (3.5, 3, "expected an int, got 3.5"),
        ("fast", 0.5, "expected a float, got 'fast'"),
        (False, 0.5, "expected a float, got False"),
        ([1], 0.5, "expected a float, got [1]"),
        ("maybe", True, "expected a bool, got 'maybe'"),
        (2, True, "expected a bool, got 2"),
        ({"a": 1}, "text", "expected a str, got {'a': 1}"),
        ("[1, 2", [1], "expected a list, got '[1, 2': not a list literal"),
        ("{'a': 1}", [1], "expected a list, got \"{'a': 1}\""),
        ("[1]", {"a": 1}, "expected a dict, got '[1]'"),
    ],
)
def test_check_value_rejects(candidate: object, current: object, reason: str) -> None:
    result = check_value(candidate, current)
    assert not result.ok
    assert result.reason == reason
    assert result.value == candidate


@pytest.mark.parametrize(
    ("candidate", "current"),
    [
        ("Hi {name}", "Hi {name}"),
        ("'Hi {name}'", "Hi {name}"),
        ("3", 3),
        (3.0, 3),
        ("0.5", 0.5),
        ("true", True),
        ("[1, 2]", [1, 2]),
        ({"a": 1}, {"a": 1}),
        (math.nan, math.nan),
    ],
)
def test_check_value_unchanged(candidate: object, current: object) -> None:
    result = check_value(candidate, current)
    assert not result.ok
    assert result.reason == "unchanged from the current value"


def test_long_values_are_shortened_in_reasons() -> None:
    result = check_value("x" * 500, 3)
    assert not result.ok
    assert len(result.reason) < 100


def test_other_types_are_converted_with_their_constructor() -> None:
    from decimal import Decimal
    from fractions import Fraction

    assert check_value("1.5", Decimal("1.0")) == Check(True, Decimal("1.5"), "")
    result = check_value("one half", Fraction(1, 3))
    assert not result.ok
    assert result.reason == "cannot convert 'one half' to Fraction"


def test_keep_docstring_puts_the_original_back() -> None:
    from pytest_trace_opt.replies import keep_docstring

    original = 'def median(values):\n    """The median.\n\n    Even: mean.\n    """\n    return 1\n'
    candidate = "def median(values):\n    if not values:\n        raise ValueError\n    return 2\n"
    kept = keep_docstring(candidate, original, "median")
    assert kept.startswith('def median(values):\n    """The median.\n\n    Even: mean.\n    """\n')
    assert kept.endswith("    return 2\n")
    own = 'def median(values):\n    """New."""\n    return 2\n'
    assert keep_docstring(own, original, "median") == own
    assert keep_docstring("def median(values): return 2\n", original, "median").count('"""') == 0


READS_THE_CALLER = """\
import sys


def slugify(text, sep="-"):
    return sys._getframe(1).f_locals["expected"]
"""


@pytest.mark.parametrize(
    ("code", "named"),
    [
        (READS_THE_CALLER, "sys._getframe"),
        ("import inspect\ndef slugify(text, sep='-'):\n"
         "    return inspect.stack()[1].frame.f_locals['expected']\n", "inspect.stack"),
        ("import gc\ndef slugify(text, sep='-'):\n    gc.get_objects()\n    return text\n",
         "import gc"),
        ("def slugify(text, sep='-'):\n    import pytest\n    pytest.skip('later')\n",
         "import pytest"),
        ("def slugify(text, sep='-'):\n    f = getattr(__import__('sys'), '_getframe')\n"
         "    return f(1).f_locals['expected']\n", "__import__()"),
        ("def slugify(text, sep='-'):\n    return eval('text.lower()')\n", "eval()"),
        ("import os\ndef slugify(text, sep='-'):\n    os._exit(0)\n", "os._exit"),
        ("import traceback\ndef slugify(text, sep='-'):\n"
         "    return traceback.extract_stack()[-2].line\n", "traceback.extract_stack"),
        ("import glob\ndef slugify(text, sep='-'):\n"
         "    return open(glob.glob('test_*.py')[0]).read()\n", "'test_*.py'"),
        ("def slugify(text, sep='-'):\n    return open('tests/conftest.py').read()\n",
         "'tests/conftest.py'"),
    ],
    ids=["caller-frame", "inspect-stack", "gc", "pytest", "obfuscated", "eval", "hard-exit",
         "traceback-stack", "test-files", "conftest"],
)  # fmt: skip
def test_code_that_reaches_into_the_tests_is_refused(code: str, named: str) -> None:
    reason = reason_of(code, CURRENT, "slugify")
    assert reason.startswith("it reaches past its inputs into the tests"), reason
    assert named in reason


def test_what_the_current_code_already_does_is_no_reach() -> None:
    current = "import sys\n\n\ndef who():\n    return sys._getframe(1).f_code.co_name\n"
    fixed = "import sys\n\n\ndef who():\n    return sys._getframe(2).f_code.co_name\n"
    assert check_code(fixed, current, "who", is_method=False).ok


def test_ordinary_repairs_are_no_reach() -> None:
    for code in (
        "import re\ndef slugify(text, sep='-'):\n    return re.sub(r'\\W+', sep, text).lower()\n",
        "def slugify(text, sep='-'):\n    parts = text.split()\n    return sep.join(parts)\n",
        "import os\ndef slugify(text, sep='-'):\n    return os.path.basename(text)\n",
        "def slugify(text, sep='-'):\n    return text.replace('latest_version', sep)\n",
    ):
        assert check_code(code, CURRENT, "slugify", is_method=False).ok, code


def test_a_suggestion_that_adds_type_hints_keeps_the_current_header() -> None:
    # the model's hints need ``List``, which the module does not import: written, the file
    # would fail to import; the reviewer wants the fix without new hints either way
    current = "def change(amount, coins=(1, 2)):\n    return None\n"
    candidate = (
        "from typing import List\n\n"
        "def change(amount: int,\n           coins: List[int] = (1, 2)) -> int:\n"
        "    best = [0] * (amount + 1)\n    return best[amount]\n"
    )
    result = check_code(candidate, current, "change", is_method=False)
    assert result.ok
    assert "def change(amount, coins=(1, 2)):\n    best = [0]" in result.value
    assert "List[int]" not in result.value and "-> int" not in result.value
    hinted_only = "def change(amount: int, coins=(1, 2)) -> int:\n    return None\n"
    assert check_code(hinted_only, current, "change", is_method=False).reason == checks.UNCHANGED


def test_a_header_that_changes_more_than_annotations_is_kept_as_suggested() -> None:
    current = "async def fetch(url: str, *, retries: int = 3) -> bytes:\n    return b''\n"
    renamed_default = "async def fetch(url, *, retries=5):\n    return b'x'\n"
    result = check_code(renamed_default, current, "fetch", is_method=False)
    assert result.ok and "retries=5" in result.value
    dropped_hints = "async def fetch(url, *, retries=3):\n    return b'x'\n"
    result = check_code(dropped_hints, current, "fetch", is_method=False)
    assert result.ok
    assert "async def fetch(url: str, *, retries: int = 3) -> bytes:" in result.value


def test_a_method_suggestion_with_new_hints_keeps_the_current_header() -> None:
    current = "def total(self, items):\n    return 0\n"
    candidate = (
        "def total(self, items: list[Item]) -> int:\n    return sum(i.price for i in items)\n"
    )
    result = check_code(candidate, current, "total", is_method=True)
    assert result.ok
    assert result.value.startswith("def total(self, items):\n    return sum(")


def test_a_static_method_written_back_with_self_keeps_the_current_header() -> None:
    # the reply wrapped the static method in its class again, as a method taking self
    current = "def slugify(title):\n    return title.lower()\n"
    candidate = (
        "def slugify(self, title):\n"
        "    import re\n"
        "    return re.sub(r'[^a-z0-9]+', '-', title.lower()).strip('-')\n"
    )
    result = check_code(candidate, current, "slugify", is_method=True)
    assert result.ok, result.reason
    assert result.value.startswith("def slugify(title):\n    import re")
    # a method that takes self keeps it; a renamed parameter is still refused
    method = "def total(self, items):\n    return 0\n"
    assert check_code("def total(self, items):\n    return 1\n", method, "total",
                      is_method=True).ok  # fmt: skip
    renamed = check_code("def slugify(self, text):\n    return text\n", current, "slugify",
                         is_method=True)  # fmt: skip
    assert not renamed.ok


def test_what_a_reply_adds_below_the_definition_to_try_it_out_is_dropped() -> None:
    current = "def fewest(amount, coins):\n    return None\n"
    candidate = """\
import pytest
from typing import List

EURO = [1, 2, 5]
LIMIT = 10


def fewest(amount, coins: List[int]):
    best = [0] + [LIMIT] * amount
    return best[amount]

# Test cases
assert fewest(0, EURO) == 0
print(fewest(3, EURO))
result = fewest(5, [5])

def test_fewest():
    assert fewest(0, [1]) == 0

class TestFewest:
    def test_zero(self):
        assert fewest(0, [1]) == 0

for amount in range(3):
    print(amount, fewest(amount, EURO))
"""
    result = check_code(candidate, current, "fewest", is_method=False)
    assert result.ok, result.reason
    assert "LIMIT = 10" in result.value  # the definition uses it
    for gone in ("assert", "print", "test_fewest", "TestFewest", "EURO", "pytest", "result"):
        assert gone not in result.value, gone
    assert "Test cases" not in result.value


def test_statements_above_the_definition_and_its_helpers_are_not_taken_for_examples() -> None:
    current = "def area(r):\n    return 0\n"
    candidate = (
        "def area(r):\n    return PI * square(r)\n\n\n"
        "def square(x):\n    return x * x\n\n\nPI = 3.14\n"
    )
    result = check_code(candidate, current, "area", is_method=False)
    assert result.ok and "def square(x)" in result.value and "PI = 3.14" in result.value
    called_above = "print('loading')\n\n\ndef area(r):\n    return r\n"
    assert check_code(called_above, current, "area", is_method=False).reason.startswith(
        "top-level statement would run at import"
    )
